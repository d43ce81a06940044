// Triggering a task from another task and waiting for its result. While the parent waits it
// gives up its queue slot, so this chain completes even on one worker and a queue of one.
#include <taskkit/taskkit.hpp>

struct order {
    std::string item;
    int quantity = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(order, item, quantity)

inline const taskkit::queue_options serial{.name = "orders", .concurrency_limit = 1};

inline const taskkit::task<order, int> price_order({
    .id = "price-order",
    .queue = serial,
    .run = [](const order& o) { return o.quantity * (o.item == "tea" ? 3 : 5); },
});

inline const taskkit::task<order, std::string> process_order({
    .id = "process-order",
    .queue = serial,
    .run =
        [](const order& o, taskkit::run_context& ctx) {
            auto price = price_order.trigger_and_wait(o);  // result: ok(), output(), error(), unwrap()
            if (!price.ok()) throw std::runtime_error("pricing failed: " + price.error().message);
            ctx.logger().info("priced {} x{} at {}", o.item, o.quantity, price.output());
            return fmt::format("{} x{} = {}", o.item, o.quantity, price.unwrap());
        },
});

int main() {
    taskkit::runtime rt({.workers = 1});
    auto handle = rt.trigger(process_order, {.item = "tea", .quantity = 4});
    fmt::print("{}\n", handle.get());
    const auto record = handle.snapshot();
    fmt::print("the parent {} has child {}\n", record.id, record.children.at(0));
    return 0;
}
