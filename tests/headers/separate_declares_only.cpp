// Under separate compilation the umbrella header declares and no more: the runtime's engine (its
// workers and timers, detail/executor.hpp, and the memory backend's queues, detail/memory_backend.hpp) and the
// definitions (.ipp files) stay out of the files that define, trigger and await tasks, which is what keeps their
// compile cost near that of nlohmann/json and fmt alone (docs/performance.md, compile time). Each definition below is a
// redefinition error if the header brought in the one it stands for.
#if !defined(TASKKIT_SEPARATE_COMPILATION)
#error "compiled in separate compilation (it links taskkit::compiled)"
#endif
#include <taskkit/taskkit.hpp>

namespace taskkit::detail {

class executor {};        // detail/executor.hpp
class memory_backend {};  // detail/memory_backend.hpp

void ring(run_state&) {}  // detail/impl/executor.ipp

}  // namespace taskkit::detail
