// A task file: it defines tasks and triggers them, so it includes <taskkit/task.hpp> and nothing of
// the runtime. Header-only, this file does not compile taskkit's engine: the file that creates the
// runtime does, once per program (see docs/integration.md).
#include "signup_tasks.hpp"

namespace signup {

const taskkit::task<new_user, std::string> send_welcome({
    .id = "send-welcome-email",
    .retry = {.max_attempts = 3},
    .run =
        [](const new_user& user, taskkit::run_context& ctx) {
            ctx.logger().info("welcoming {} on plan {}", user.email, user.plan);
            return "email-to-" + user.email;
        },
});

std::string welcome(const new_user& user) { return send_welcome.trigger(user).get(); }

}  // namespace signup
