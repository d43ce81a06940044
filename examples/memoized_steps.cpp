// Memoized steps: an order charges a card, then calls a warehouse that fails twice. Each retry
// runs the task again from the top, but ctx.step returns the stored receipt instead of charging
// the card again. With a durable backend the same holds after a crash of the process.
#include <atomic>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include <taskkit/taskkit.hpp>

namespace {

std::atomic<int> cards_charged{0};
std::atomic<int> warehouse_calls{0};

std::string charge_card(int cents) {
    ++cards_charged;
    return fmt::format("receipt for {} cents", cents);
}

void reserve_stock() {
    if (++warehouse_calls < 3) throw std::runtime_error("the warehouse is not answering");
}

const taskkit::task<int, std::string> place_order({
    .id = "place-order",
    .retry = {.max_attempts = 5, .min_timeout = std::chrono::milliseconds(10), .randomize = false},
    .run =
        [](const int& cents, taskkit::run_context& ctx) {
            auto receipt = ctx.step("charge-card", [&] { return charge_card(cents); });
            ctx.step("reserve-stock", [] { reserve_stock(); });
            return receipt;
        },
});

}  // namespace

int main() {
    taskkit::runtime rt({.workers = 2});
    auto order = place_order.trigger(1999);
    const std::string receipt = order.get();
    fmt::print("{} after {} attempts: the card was charged {} time(s), the warehouse called {} times\n", receipt,
               order.snapshot().attempts.size(), cards_charged.load(), warehouse_calls.load());
    return cards_charged == 1 ? 0 : 1;
}
