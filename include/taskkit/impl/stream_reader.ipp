/// @file impl/stream_reader.ipp
/// The definitions of what <taskkit/stream_reader.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/stream_reader.hpp>

#include <mutex>
#include <utility>

#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/error.hpp>
#include <taskkit/stream_writer.hpp>

namespace taskkit {

TASKKIT_DECL stream_reader::stream_reader(std::shared_ptr<detail::runtime_core> core, std::string run_id,
                                          std::string name)
    : core_(std::move(core)), run_id_(std::move(run_id)), name_(std::move(name)) {
    stream_writer::check_name(name_);
}

TASKKIT_DECL auto stream_reader::read() const -> stream_record {
    // A backend that keeps its runs here has them on the run's object; a database has every chunk
    // any process appended, where a mirror here may lag.
    if (!core_->runs().traits().keeps_local_runs) {
        auto record = core_->runs().find(run_id_);
        if (!record) throw state_error("no run " + run_id_ + " to read stream '" + name_ + "' of");
        auto it = record->streams.find(name_);
        return it == record->streams.end() ? stream_record{} : std::move(it->second);
    }
    if (auto run = core_->local(run_id_)) {
        std::lock_guard lock(run->mutex);
        return detail::copy_stream(run->extras_if_any(), name_);
    }
    auto record = core_->runs().find(run_id_);
    if (!record) throw state_error("no run " + run_id_ + " to read stream '" + name_ + "' of");
    auto it = record->streams.find(name_);
    return it == record->streams.end() ? stream_record{} : std::move(it->second);
}

TASKKIT_DECL auto stream_reader::subscribe(std::function<void(const stream_chunk&)> callback) const -> subscription {
    // The chunks kept now, then the live ones, without a gap or a repeat: the live callback is
    // registered first and passes on only indexes past those already passed, and the replay runs
    // under the same lock, so a chunk appended meanwhile waits for it.
    struct follower {
        std::mutex mutex;
        std::size_t next = 0;  ///< the first index not passed on yet
        std::function<void(const stream_chunk&)> callback;
    };
    auto state = std::make_shared<follower>();
    state->callback = std::move(callback);
    std::unique_lock replaying(state->mutex);
    auto sub = core_->watch(
        [state, name = name_](const run_update& update) {
            if (update.kind != update_kind::stream || update.stream != name || !update.chunk) return;
            std::lock_guard lock(state->mutex);
            if (update.index < state->next) return;
            state->next = update.index + 1;
            state->callback(stream_chunk{update.stream, update.index, *update.chunk});
        },
        [id = run_id_](const detail::run_state& run, run_status) { return run.id == id; });
    subscription following(core_, sub);
    // The replay reads the run's object when this process holds one: a chunk is kept there (under
    // the run's lock) before anyone is told of it, while it reaches a database a little later. A
    // run this process does not hold is read from its backend.
    stream_record kept;
    if (auto held = core_->held_run_state(run_id_)) {
        std::lock_guard lock(held->mutex);
        kept = detail::copy_stream(held->extras_if_any(), name_);
    } else {
        kept = read();
    }
    for (std::size_t i = 0; i < kept.chunks.size(); ++i) {
        const auto index = kept.dropped + i;
        if (index < state->next) continue;
        state->next = index + 1;
        state->callback(stream_chunk{name_, index, kept.chunks[i]});
    }
    return following;
}

}  // namespace taskkit
