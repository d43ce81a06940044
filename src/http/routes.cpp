// The route table and the REST API's handlers.
#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include <taskkit/queue_controls.hpp>

#include "http/assets.hpp"
#include "http/codec.hpp"
#include "http/server_state.hpp"

#if TASKKIT_HTTP_SCHEMA
#include <taskkit/schema/schema_error.hpp>
#endif

namespace taskkit::http::detail {

// ------------------------------------------------------------------ the table

// Waitpoint tokens (defined below, with their helpers).
void handle_list_waitpoints(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_get_waitpoint(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_complete_waitpoint(server_state&, const httplib::Request&, httplib::Response&, const route_params&);

namespace {

constexpr route_entry table[] = {
    {{"GET", "/api/v1/openapi.json", "The API description (OpenAPI 3.1)", route_access::open}, handle_openapi},
    {{"GET", "/api/v1/health", "Whether the server is up", route_access::open}, handle_health},
    {{"GET", "/api/v1/tasks", "Every registered task", route_access::token}, handle_list_tasks},
    {{"GET", "/api/v1/tasks/{id}", "One task", route_access::token}, handle_get_task},
    {{"POST", "/api/v1/tasks/{id}/trigger", "Trigger a run of the task", route_access::token}, handle_trigger, true},
    {{"GET", "/api/v1/runs", "One page of runs, newest first", route_access::token}, handle_list_runs},
    {{"GET", "/api/v1/runs/stream", "Server-sent events of status changes", route_access::stream}, handle_stream},
    {{"POST", "/api/v1/runs/cancel", "Cancel the runs a filter or a list of ids selects", route_access::token},
     handle_bulk_cancel,
     true},
    {{"POST", "/api/v1/runs/replay", "Replay the runs a filter or a list of ids selects", route_access::token},
     handle_bulk_replay,
     true},
    {{"GET", "/api/v1/runs/{id}", "One run: record, attempts, logs, parent and children", route_access::token},
     handle_get_run},
    {{"GET", "/api/v1/runs/{id}/streams/{name}", "One of a run's streams: its chunks kept and how many were dropped",
      route_access::token},
     handle_get_run_stream},
    {{"GET", "/api/v1/runs/{id}/events",
      "Server-sent events of one run: its state, then its status, metadata and stream chunks until it ends",
      route_access::stream},
     handle_run_events},
    {{"POST", "/api/v1/runs/{id}/cancel", "Cancel a run and its children", route_access::token}, handle_cancel_run},
    {{"POST", "/api/v1/runs/{id}/retry", "Queue a failed, canceled or timed-out run again", route_access::token},
     handle_retry_run},
    {{"POST", "/api/v1/runs/{id}/replay", "A new run with the run's payload, or an edited one", route_access::token},
     handle_replay_run,
     true},
    {{"GET", "/api/v1/queues", "Every queue with its counts and limits", route_access::token}, handle_list_queues},
    {{"GET", "/api/v1/queues/{name}", "One queue", route_access::token}, handle_get_queue},
    {{"POST", "/api/v1/queues/{name}/pause", "Pause a queue: no new attempt starts from it", route_access::token},
     handle_pause_queue},
    {{"POST", "/api/v1/queues/{name}/resume", "Resume a paused queue", route_access::token}, handle_resume_queue},
    {{"POST", "/api/v1/queues/{name}/concurrency", "Override the queue's concurrency limit, or reset it with null",
      route_access::token},
     handle_set_concurrency,
     true},
    {{"DELETE", "/api/v1/queues/{name}/concurrency", "Reset the queue's concurrency limit to the declared one",
      route_access::token},
     handle_reset_concurrency},
    {{"GET", "/api/v1/waitpoints", "Waitpoint tokens, newest first (filters: status, tag, limit)", route_access::token},
     handle_list_waitpoints},
    {{"GET", "/api/v1/waitpoints/{id}", "One waitpoint token with its status and data", route_access::token},
     handle_get_waitpoint},
    {{"POST", "/api/v1/waitpoints/{id}/complete", "Complete a waitpoint token with data: its waiting runs continue",
      route_access::token},
     handle_complete_waitpoint,
     true},
    {{"GET", "/metrics", "Prometheus metrics", route_access::metrics}, handle_metrics},
    {{"GET", "/", "The dashboard", route_access::token}, handle_dashboard},
    {{"GET", "/assets/{path}", "The dashboard's files", route_access::token}, handle_asset},
};

constexpr auto infos = [] {
    std::array<route_info, std::size(table)> out{};
    for (std::size_t i = 0; i < std::size(table); ++i) out[i] = table[i].info;
    return out;
}();

/// Splits "/a/b/c" into its segments.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path[0] == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return out;
}

/// Whether `path` matches the template; fills the parameters and counts them.
bool matches(std::string_view pattern, std::string_view path, route_params& params) {
    params.clear();
    const auto want = segments(pattern);
    const auto have = segments(path);
    if (pattern == "/" || path == "/") return pattern == path;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto w = want[i];
        const bool param = w.size() > 2 && w.front() == '{' && w.back() == '}';
        if (param && w == "{path}" && i + 1 == want.size()) {
            // The rest of the path, as one parameter.
            if (i >= have.size()) return false;
            std::string rest;
            for (std::size_t j = i; j < have.size(); ++j) {
                if (j > i) rest += '/';
                rest += have[j];
            }
            params.push_back(std::move(rest));
            return true;
        }
        if (i >= have.size()) return false;
        if (param) {
            if (have[i].empty()) return false;
            params.emplace_back(have[i]);
        } else if (w != have[i]) {
            return false;
        }
    }
    return want.size() == have.size() && !(path.size() > 1 && path.back() == '/');
}

}  // namespace

std::span<const route_entry> route_table() noexcept { return table; }

route_match match_route(std::string_view method, std::string_view path) {
    if (method == "HEAD") method = "GET";
    route_match best;
    std::size_t best_params = std::numeric_limits<std::size_t>::max();
    route_params params;
    for (const auto& r : table) {
        if (!matches(r.info.path, path, params)) continue;
        if (r.info.method != method) {
            if (std::find(best.allowed.begin(), best.allowed.end(), r.info.method) == best.allowed.end())
                best.allowed.push_back(r.info.method);
            continue;
        }
        // A literal segment wins over a parameter: /runs/stream before /runs/{id}.
        if (params.size() < best_params) {
            best.route = &r;
            best.params = params;
            best_params = params.size();
        }
    }
    return best;
}

// ------------------------------------------------------------------ helpers

namespace {

nlohmann::json object() { return nlohmann::json(nlohmann::json::value_t::object); }

void refuse_unknown_fields(const nlohmann::json& body, std::initializer_list<std::string_view> known,
                           issues& problems) {
    for (const auto& [key, v] : body.items())
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            std::string list;
            for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
            problems.add("/" + key, "unknown field (" + list + ")");
        }
}

nlohmann::json body_object(const httplib::Request& req) {
    auto body = parse_body(req, object());
    if (!body.is_object()) {
        issues problems;
        problems.add("", "the body must be a JSON object");
        problems.throw_if_any("bad body");
    }
    return body;
}

run_record record_or_404(runtime& rt, const std::string& id) {
    auto r = rt.retrieve(id);
    if (!r) throw http_error(404, "unknown_run", "no run with id '" + id.substr(0, 128) + "'");
    return std::move(*r);
}

/// Triggers by id, answering a refused payload or option as 400 with where it is wrong.
run_handle<nlohmann::json> trigger_checked(runtime& rt, const std::string& task, const nlohmann::json& payload,
                                           trigger_options options) {
    try {
        return rt.trigger(task, payload, std::move(options));
    }
#if TASKKIT_HTTP_SCHEMA
    catch (const validation_error& e) {
        nlohmann::json details = nlohmann::json::array();
        for (const auto& v : e.violations()) {
            auto one = object();
            one["path"] = "/payload" + v.instance_path;
            one["instance_path"] = v.instance_path;
            one["keyword"] = v.keyword;
            one["schema_path"] = v.schema_path;
            one["message"] = v.message;
            details.push_back(std::move(one));
        }
        throw http_error(400, "validation_failed", e.what(), std::move(details));
    }
#endif
    catch (const unknown_task_error& e) {
        throw http_error(404, "unknown_task", e.what());
    } catch (const payload_error& e) {
        issues problems;
        problems.add("/payload", e.what());
        problems.throw_if_any("invalid payload");
    } catch (const machine_error& e) {
        issues problems;
        problems.add("/options/machine", e.what());
        problems.throw_if_any("invalid options");
    } catch (const options_error& e) {
        issues problems;
        problems.add("/options", e.what());
        problems.throw_if_any("invalid options");
    } catch (const taskkit::error& e) {
        if (e.code() != error_code::validation_failed) throw;
        issues problems;
        problems.add("/payload", e.what());
        problems.throw_if_any("invalid payload");
    }
    throw http_error(500, "internal", "unreachable");
}

nlohmann::json queue_json(const queue_stats& q) {
    auto j = object();
    j["name"] = q.name;
    j["queued"] = q.queued;
    j["executing"] = q.executing;
    j["waiting"] = q.waiting;
    j["limit"] = q.limit;
    j["declared_limit"] = q.declared_limit;
    j["limit_overridden"] = q.limit_overridden;
    j["total_limit"] = q.total_limit;
    j["paused"] = q.paused;
    const auto rate = [](const std::optional<rate_limit>& r) -> nlohmann::json {
        if (!r) return nullptr;
        auto o = object();
        o["limit"] = r->limit;
        o["period_ms"] = r->period.count();
        return o;
    };
    j["rate_limit"] = rate(q.rate);
    j["key_rate_limit"] = rate(q.key_rate);
    auto keys = nlohmann::json::array();
    for (const auto& k : q.keys) {
        auto o = object();
        o["key"] = k.key;
        o["queued"] = k.queued;
        o["executing"] = k.executing;
        keys.push_back(std::move(o));
    }
    j["keys"] = std::move(keys);
    return j;
}

queue_stats queue_or_404(runtime& rt, const std::string& name) {
    auto q = rt.queues().find(name);
    if (!q) throw http_error(404, "unknown_queue", "no queue named '" + name.substr(0, 128) + "'");
    return std::move(*q);
}

/// The runs a bulk request selects: `{"ids": [...]}` or `{"filter": {...}}`, at most `limit`.
struct selection {
    std::vector<run_record> runs;
    bool truncated = false;
};

selection select_runs(server_state& s, const nlohmann::json& body, bool unfinished_only) {
    issues problems;
    refuse_unknown_fields(body, {"filter", "ids", "limit"}, problems);
    std::size_t limit = s.options.bulk_limit;
    if (body.contains("limit")) {
        const auto& l = body.at("limit");
        if (!l.is_number_unsigned() && !(l.is_number_integer() && l.get<std::int64_t>() > 0))
            problems.add("/limit", "must be a positive integer");
        else if (l.get<std::uint64_t>() == 0 || l.get<std::uint64_t>() > s.options.bulk_limit)
            problems.add("/limit", fmt::format("must be from 1 to {}", s.options.bulk_limit));
        else
            limit = static_cast<std::size_t>(l.get<std::uint64_t>());
    }
    const bool has_ids = body.contains("ids");
    const bool has_filter = body.contains("filter");
    if (has_ids == has_filter) problems.add("", "give either \"filter\" or \"ids\"");
    selection out;
    if (has_ids) {
        const auto& ids = body.at("ids");
        if (!ids.is_array()) {
            problems.add("/ids", "must be an array of run ids");
        } else {
            for (std::size_t i = 0; i < ids.size(); ++i)
                if (!ids[i].is_string()) problems.add("/ids/" + std::to_string(i), "must be a string");
            problems.throw_if_any("bad selection");
            for (const auto& id : ids) {
                if (out.runs.size() == limit) {
                    out.truncated = true;
                    break;
                }
                if (auto r = s.rt.retrieve(id.get<std::string>())) out.runs.push_back(std::move(*r));
            }
        }
        problems.throw_if_any("bad selection");
        return out;
    }
    problems.throw_if_any("bad selection");
    auto filter = parse_filter_json(body.at("filter"), "/filter", problems);
    if (problems.empty() && filter_is_empty(filter))
        problems.add("/filter", "an empty filter would select every run: name at least one field");
    problems.throw_if_any("bad selection");
    if (unfinished_only) {
        std::vector<run_status> keep;
        for (int i = 0; i <= static_cast<int>(run_status::crashed); ++i) {
            const auto st = static_cast<run_status>(i);
            if (is_terminal(st)) continue;
            if (filter.statuses.empty() ||
                std::find(filter.statuses.begin(), filter.statuses.end(), st) != filter.statuses.end())
                keep.push_back(st);
        }
        if (keep.empty()) return out;  // only ended statuses: nothing to cancel
        filter.statuses = std::move(keep);
    }
    filter.limit = 500;
    for (;;) {
        auto page = s.rt.list(filter);
        for (auto& r : page.runs) {
            if (out.runs.size() == limit) {
                out.truncated = true;
                return out;
            }
            out.runs.push_back(std::move(r));
        }
        if (page.next_cursor.empty()) return out;
        filter.cursor = page.next_cursor;
    }
}

}  // namespace

// ------------------------------------------------------------------ handlers

void handle_openapi(server_state&, const httplib::Request&, httplib::Response& res, const route_params&) {
    static const std::string document = openapi_document().dump(2);
    res.status = 200;
    res.set_content(document, "application/json");
}

void handle_health(server_state& s, const httplib::Request&, httplib::Response& res, const route_params&) {
    auto j = object();
    j["status"] = "ok";
    j["workers"] = s.rt.workers();
    send_json(res, 200, j);
}

void handle_list_tasks(server_state& s, const httplib::Request&, httplib::Response& res, const route_params&) {
    auto j = object();
    j["tasks"] = describe_tasks(s.rt);
    send_json(res, 200, j);
}

void handle_get_task(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    send_json(res, 200, describe_task(s.rt, p[0]));
}

void handle_trigger(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params& p) {
    auto body = body_object(req);
    issues problems;
    refuse_unknown_fields(body, {"payload", "options"}, problems);
    const auto options =
        parse_trigger_options(body.contains("options") ? body["options"] : nlohmann::json(nullptr), problems);
    problems.throw_if_any("invalid trigger");
    if (!s.rt.registry().contains(p[0]))
        throw http_error(404, "unknown_task", "no task with id '" + p[0].substr(0, 128) + "'");
    const nlohmann::json payload = body.contains("payload") ? std::move(body["payload"]) : nlohmann::json(nullptr);
    auto handle = trigger_checked(s.rt, p[0], payload, options);
    auto j = object();
    j["id"] = handle.id();
    j["cached"] = handle.is_cached();
    send_json(res, 202, j);
}

void handle_list_runs(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params&) {
    auto filter = parse_filter_query(req);
    run_page page;
    try {
        page = s.rt.list(filter);
    } catch (const options_error& e) {
        issues problems;
        problems.add("?cursor", e.what());
        problems.throw_if_any("bad query");
    }
    auto runs = nlohmann::json::array();
    for (const auto& r : page.runs) runs.push_back(run_summary(r));
    auto j = object();
    j["runs"] = std::move(runs);
    j["next_cursor"] = page.next_cursor.empty() ? nlohmann::json(nullptr) : nlohmann::json(page.next_cursor);
    send_json(res, 200, j);
}

void handle_get_run(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    const auto r = record_or_404(s.rt, p[0]);
    auto j = object();
    j["run"] = r;
    j["parent"] = r.parent_id.empty() ? nlohmann::json(nullptr) : run_link(s.rt, r.parent_id);
    auto children = nlohmann::json::array();
    for (const auto& c : r.children) children.push_back(run_link(s.rt, c));
    j["children"] = std::move(children);
    send_json(res, 200, j);
}

void handle_cancel_run(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    const auto before = record_or_404(s.rt, p[0]);
    if (!s.rt.cancel(p[0])) {
        const auto now = s.rt.retrieve(p[0]);
        throw http_error(
            409, "state_conflict",
            fmt::format("run '{}' has already ended ({})", p[0], to_string(now ? now->status : before.status)));
    }
    auto j = object();
    j["id"] = p[0];
    const auto after = s.rt.retrieve(p[0]);
    j["status"] = to_string(after ? after->status : run_status::canceled);
    send_json(res, 200, j);
}

void handle_retry_run(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    (void)record_or_404(s.rt, p[0]);
    try {
        s.rt.retry(p[0]);
    } catch (const state_error& e) {
        throw http_error(409, "state_conflict", e.what());
    }
    auto j = object();
    j["id"] = p[0];
    const auto after = s.rt.retrieve(p[0]);
    j["status"] = after ? nlohmann::json(to_string(after->status)) : nlohmann::json(nullptr);
    send_json(res, 202, j);
}

void handle_replay_run(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params& p) {
    auto body = body_object(req);
    issues problems;
    refuse_unknown_fields(body, {"payload"}, problems);
    problems.throw_if_any("bad replay");
    const auto r = record_or_404(s.rt, p[0]);
    std::string id;
    if (body.contains("payload")) {
        // The edited payload, with what a replay keeps of the run: its tags and machine.
        id = trigger_checked(s.rt, r.task_id, body["payload"], {.tags = r.tags, .machine = r.machine_spec}).id();
    } else {
        try {
            id = s.rt.replay(p[0]).id();
        } catch (const state_error& e) {
            throw http_error(409, "state_conflict", e.what());
        }
    }
    auto j = object();
    j["id"] = id;
    j["replay_of"] = p[0];
    send_json(res, 202, j);
}

void handle_bulk_cancel(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params&) {
    const auto body = body_object(req);
    const auto selected = select_runs(s, body, true);
    auto canceled = nlohmann::json::array();
    std::size_t skipped = 0;
    for (const auto& r : selected.runs) {
        if (s.rt.cancel(r.id))
            canceled.push_back(r.id);
        else
            ++skipped;
    }
    auto j = object();
    j["matched"] = selected.runs.size();
    j["canceled"] = canceled.size();
    j["skipped"] = skipped;
    j["truncated"] = selected.truncated;
    j["ids"] = std::move(canceled);
    send_json(res, 200, j);
}

void handle_bulk_replay(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params&) {
    const auto body = body_object(req);
    const auto selected = select_runs(s, body, false);
    auto runs = nlohmann::json::array();
    auto failures = nlohmann::json::array();
    for (const auto& r : selected.runs) {
        try {
            auto one = object();
            one["id"] = s.rt.replay(r.id).id();
            one["replay_of"] = r.id;
            runs.push_back(std::move(one));
        } catch (const taskkit::error& e) {
            auto one = object();
            one["id"] = r.id;
            one["message"] = e.what();
            failures.push_back(std::move(one));
        }
    }
    auto j = object();
    j["matched"] = selected.runs.size();
    j["replayed"] = runs.size();
    j["truncated"] = selected.truncated;
    j["runs"] = std::move(runs);
    j["failed"] = std::move(failures);
    send_json(res, 200, j);
}

void handle_list_queues(server_state& s, const httplib::Request&, httplib::Response& res, const route_params&) {
    auto queues = nlohmann::json::array();
    for (const auto& q : s.rt.queues().list()) queues.push_back(queue_json(q));
    auto j = object();
    j["queues"] = std::move(queues);
    send_json(res, 200, j);
}

void handle_get_queue(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    send_json(res, 200, queue_json(queue_or_404(s.rt, p[0])));
}

void handle_pause_queue(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    (void)queue_or_404(s.rt, p[0]);
    s.rt.queues().pause(p[0]);
    send_json(res, 200, queue_json(queue_or_404(s.rt, p[0])));
}

void handle_resume_queue(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    (void)queue_or_404(s.rt, p[0]);
    s.rt.queues().resume(p[0]);
    send_json(res, 200, queue_json(queue_or_404(s.rt, p[0])));
}

void handle_set_concurrency(server_state& s, const httplib::Request& req, httplib::Response& res,
                            const route_params& p) {
    const auto body = body_object(req);
    issues problems;
    refuse_unknown_fields(body, {"limit"}, problems);
    if (!body.contains("limit")) problems.add("/limit", "is required: a limit of at least 1, or null to reset");
    problems.throw_if_any("bad concurrency");
    const auto& limit = body.at("limit");
    (void)queue_or_404(s.rt, p[0]);
    if (limit.is_null()) {
        s.rt.queues().reset_concurrency(p[0]);
    } else {
        if ((!limit.is_number_integer() && !limit.is_number_unsigned()) || limit.get<std::int64_t>() < 1 ||
            limit.get<std::int64_t>() > std::numeric_limits<int>::max())
            problems.add("/limit", "must be an integer of at least 1, or null to reset");
        problems.throw_if_any("bad concurrency");
        s.rt.queues().set_concurrency(p[0], static_cast<int>(limit.get<std::int64_t>()));
    }
    send_json(res, 200, queue_json(queue_or_404(s.rt, p[0])));
}

void handle_reset_concurrency(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    (void)queue_or_404(s.rt, p[0]);
    s.rt.queues().reset_concurrency(p[0]);
    send_json(res, 200, queue_json(queue_or_404(s.rt, p[0])));
}

// ------------------------------------------------------------------ waitpoint tokens

void handle_list_waitpoints(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params&) {
    token_filter filter;
    issues problems;
    if (req.has_param("status")) {
        const auto name = req.get_param_value("status");
        if (auto status = parse_token_status(name))
            filter.status = *status;
        else
            problems.add("?status", "must be waiting, completed or timed_out");
    }
    if (req.has_param("tag")) filter.tag = req.get_param_value("tag");
    if (req.has_param("limit")) {
        const auto text = req.get_param_value("limit");
        std::size_t limit = 0;
        const bool digits = !text.empty() && text.size() <= 6 &&
                            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) limit = static_cast<std::size_t>(std::stoul(text));
        if (limit < 1 || limit > 1000)
            problems.add("?limit", "must be an integer from 1 to 1000");
        else
            filter.limit = limit;
    }
    problems.throw_if_any("bad query");
    auto tokens = nlohmann::json::array();
    for (const auto& t : s.rt.tokens(filter)) tokens.push_back(t);
    auto j = object();
    j["waitpoints"] = std::move(tokens);
    send_json(res, 200, j);
}

void handle_get_waitpoint(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    auto token = s.rt.token(p[0]);
    if (!token) throw http_error(404, "unknown_token", "no waitpoint token with id '" + p[0].substr(0, 128) + "'");
    send_json(res, 200, *token);
}

void handle_complete_waitpoint(server_state& s, const httplib::Request& req, httplib::Response& res,
                               const route_params& p) {
    const auto body = body_object(req);
    issues problems;
    refuse_unknown_fields(body, {"data"}, problems);
    problems.throw_if_any("bad completion");
    const nlohmann::json data = body.contains("data") ? body.at("data") : nlohmann::json(nullptr);
    token_completion done = token_completion::completed;
    try {
        done = s.rt.complete_token(p[0], data);
    } catch (const unknown_token_error& e) {
        throw http_error(404, "unknown_token", e.what());
    } catch (const token_timed_out_error& e) {
        throw http_error(409, "token_timed_out", e.what());
    }
    auto j = object();
    j["completed"] = done == token_completion::completed;  // false: it had been completed before
    if (auto token = s.rt.token(p[0])) j["waitpoint"] = *token;
    send_json(res, 200, j);
}

void handle_metrics(server_state& s, const httplib::Request&, httplib::Response& res, const route_params&) {
    res.status = 200;
    res.set_content(s.metrics.render(s.rt), "text/plain; version=0.0.4; charset=utf-8");
}

namespace {

constexpr std::string_view missing_dashboard = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>taskkit</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
code{background:#8882;padding:.1rem .3rem;border-radius:.2rem}</style></head>
<body><h1>taskkit</h1>
<p>The dashboard's files are missing from this build: taskkit::http embeds the files under
<code>dashboard/</code> when it is built, and found none.</p>
<p>The API works: see <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
)";

void send_asset(httplib::Response& res, const asset& a) {
    res.status = 200;
    res.set_content(std::string(a.bytes), std::string(a.content_type));
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
}

}  // namespace

void handle_dashboard(server_state&, const httplib::Request&, httplib::Response& res, const route_params&) {
    if (auto a = find_asset("/index.html")) {
        send_asset(res, *a);
        return;
    }
    res.status = 200;
    res.set_content(std::string(missing_dashboard), "text/html; charset=utf-8");
}

void handle_asset(server_state&, const httplib::Request&, httplib::Response& res, const route_params& p) {
    if (auto a = find_asset("/assets/" + p[0])) {
        send_asset(res, *a);
        return;
    }
    throw http_error(404, "not_found", "no dashboard file at /assets/" + p[0].substr(0, 128));
}

}  // namespace taskkit::http::detail

namespace taskkit::http {

std::span<const route_info> server::routes() noexcept { return detail::infos; }

}  // namespace taskkit::http
