// A user's program: define a task, trigger it on an embedded runtime, read its result.
#include <taskkit/taskkit.hpp>

#include <cstdio>

inline const taskkit::task<int, int> square({
    .id = "square",
    .run = [](const int& n) { return n * n; },
});

int main() {
    taskkit::runtime rt({.workers = 2});
    const int result = rt.trigger(square, 12).get();
    std::printf("square(12) = %d\n", result);
    return result == 144 ? 0 : 1;
}
