// A process the SQLite tests start (posix_spawn), talk to through pipes on its stdin and stdout,
// and stop — by closing its stdin, or with SIGKILL. Every read and wait has a deadline.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

extern char** environ;

namespace sqlite_test {

/// A child process with a pipe from its stdout and one to its stdin. Killed (SIGKILL) and reaped
/// at the end of the scope if the test has not stopped it.
class child_process {
public:
    child_process(const std::string& program, const std::vector<std::string>& args) {
        int out[2];
        int in[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
        std::vector<char*> argv{const_cast<char*>(program.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        ::close(in[0]);
        out_ = out[0];
        in_ = in[1];
        if (rc != 0) pid_ = -1;
        REQUIRE(rc == 0);
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        kill();
        if (out_ >= 0) ::close(out_);
        close_input();
    }

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    /// The next line the child prints, or nothing when none comes before the deadline (or the
    /// child exited).
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
                auto line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{out_, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) return std::nullopt;
            char chunk[4096];
            const auto n = ::read(out_, chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;  // the child exited
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// Writes a line to the child's stdin; false when it cannot take it (it exited).
    bool send(const std::string& line) {
        if (in_ < 0) return false;
        const std::string text = line + "\n";
        std::size_t done = 0;
        while (done < text.size()) {
            const auto n = ::write(in_, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// Closes the child's stdin: the helpers take it as the signal to shut down and exit.
    void close_input() {
        if (in_ < 0) return;
        ::close(in_);
        in_ = -1;
    }

    /// Waits for the child to exit on its own; its exit status (as waitpid gives it), or nothing
    /// when it is still running at the deadline.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        if (pid_ <= 0) return exit_status_;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t done = ::waitpid(pid_, &status, WNOHANG);
            if (done == pid_) {
                pid_ = -1;
                exit_status_ = status;
                return status;
            }
            if (done < 0 && errno != EINTR) return std::nullopt;
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            // Polls its end (there is no descriptor to wait on for a child's exit without a signal).
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    /// SIGKILL, then reaps it: the process ends with no chance to finish or give anything back.
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        exit_status_ = status;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    int in_ = -1;
    std::optional<int> exit_status_;
    std::string buffer_;
};

/// Polls `condition` every millisecond or so until it holds or `timeout` passes; whether it held.
/// (For conditions read from the file, which a tight loop would hammer.)
template <class Condition>
bool poll_until(Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace sqlite_test
