// Locals and global hooks: a global middleware opens a connection for every task's attempt and
// keeps it in a typed local; the run function and the task's hooks use it; a global on_failure
// reports any task's failure with its payload as JSON; the connection is closed after cleanup.
#include <taskkit/taskkit.hpp>

using namespace std::chrono_literals;

/// Stands for a database connection: opened per attempt, closed when destroyed.
struct db_connection {
    int id = 0;
    explicit db_connection(int n) : id(n) { fmt::print("  open connection {}\n", id); }
    db_connection(db_connection&& other) noexcept : id(std::exchange(other.id, 0)) {}
    db_connection(const db_connection&) = delete;
    ~db_connection() {
        if (id) fmt::print("  close connection {}\n", id);
    }
    int count_orders(const std::string& user) const { return static_cast<int>(user.size()); }
};

/// The key every task uses to find the attempt's connection.
inline const taskkit::local<db_connection> db{"db"};

inline const taskkit::task<std::string, int> count_orders({
    .id = "count-orders",
    .retry = {.max_attempts = 1},
    .run =
        [](const std::string& user, taskkit::run_context& ctx) {
            if (user.empty()) throw std::invalid_argument("no user given");
            return ctx.locals().get(db).count_orders(user);
        },
    .cleanup =
        [](const std::string&, taskkit::run_context& ctx) {
            if (const db_connection* c = ctx.locals().find(db))
                fmt::print("  cleanup, connection {} still open\n", c->id);
        },
    .on_start_attempt =
        [](const std::string& user, taskkit::run_context& ctx) {
            fmt::print("attempt {} for '{}'\n", ctx.attempt().number, user);
        },
});

int main() {
    auto& hooks = taskkit::registry::global().hooks();
    int opened = 0;
    // Around every task's attempt, outside the task's own middleware.
    auto connect = hooks.middleware([&opened](const taskkit::hook_context& hc, const std::function<void()>& next) {
        hc.ctx().locals().set(db, db_connection(++opened));
        next();
    });
    // For every task that fails; the payload comes as JSON, the hook knows no payload type.
    auto report = hooks.on_failure([](const taskkit::hook_context& hc) {
        fmt::print("  global on_failure: task {} with payload {}: {}\n", hc.task_id(), hc.payload().dump(),
                   hc.error()->message);
    });
    taskkit::runtime rt({.workers = 1});
    fmt::print("orders: {}\n", rt.trigger(count_orders, "ada").get());
    auto failed = rt.trigger(count_orders, "").result();
    fmt::print("second run: {}\n", taskkit::to_string(failed.status()));
    return failed.status() == taskkit::run_status::failed ? 0 : 1;
}
