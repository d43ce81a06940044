// Human in the loop: a task that waits for a person's approval. The run creates a waitpoint
// token, hands its id to whoever decides (here: main, standing in for an email link, a chat
// button or an HTTP handler), and waits on it without holding a worker or a queue slot. A second
// request is never answered and times out.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <taskkit/taskkit.hpp>

using namespace std::chrono_literals;

struct refund {
    std::string order;
    int amount = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(refund, order, amount)

struct approval {
    bool approved = false;
    std::string by;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(approval, approved, by)

inline const taskkit::task<refund, std::string> refund_order({
    .id = "refund-order",
    .run =
        [](const refund& r, taskkit::run_context& ctx) {
            // The token's tags let the reviewer's side find it; its timeout bounds the wait.
            auto token = ctx.create_token({.timeout = 24h, .tags = {"refund", r.order}});
            ctx.logger().info("waiting for approval of {} on token {}", r.order, token.id);
            auto decision = ctx.wait_for_token<approval>(token);
            if (!decision.ok())  // timed out (error_code::token_timed_out), canceled, or data of another shape
                return fmt::format("{}: not refunded ({})", r.order, decision.error().message);
            if (!decision.output().approved) return fmt::format("{}: refused by {}", r.order, decision.output().by);
            return fmt::format("{}: refunded {} (approved by {})", r.order, r.amount, decision.output().by);
        },
});

int main() {
    // A virtual clock, so that the 24 h timeout of the second request passes at once.
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt({.workers = 1, .clock = clock});
    auto first = rt.trigger(refund_order, {.order = "order-17", .amount = 40});
    auto second = rt.trigger(refund_order, {.order = "order-18", .amount = 90});

    // The reviewer's side: find the waiting token of order-17 and approve it. Both runs wait at
    // once, on one worker: a waiting run holds no worker thread's turn and no queue slot.
    std::vector<taskkit::token_record> waiting;
    while ((waiting = rt.tokens({.status = taskkit::token_status::waiting, .tag = "order-17"})).empty() ||
           rt.tokens({.status = taskkit::token_status::waiting}).size() < 2)
        std::this_thread::sleep_for(1ms);
    const auto done = rt.complete_token(waiting.at(0).id, approval{.approved = true, .by = "ada"});
    fmt::print("completed: {}\n", done == taskkit::token_completion::completed);
    const auto again = rt.complete_token(waiting.at(0).id, approval{.approved = false, .by = "bob"});
    fmt::print("completed again: {}\n", again == taskkit::token_completion::already_completed ? "no, already" : "yes");
    fmt::print("{}\n", first.get());

    // Nobody answers order-18: a day passes on the clock and its token times out.
    clock->advance(25h);
    fmt::print("{}\n", second.get());
    const auto token = rt.tokens({.tag = "order-18"}).at(0);
    fmt::print("order-18's token is {}\n", taskkit::to_string(token.status));
    try {
        (void)rt.complete_token(token.id, approval{.approved = true, .by = "late"});
    } catch (const taskkit::token_timed_out_error& e) {
        fmt::print("too late: {}\n", taskkit::to_string(e.code()));
    }
    return 0;
}
