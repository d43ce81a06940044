// Waitpoint tokens in the file (store.hpp, schema version 5): created with their idempotency key
// decided in the write transaction, completed once with an event that every process on the file
// reads (the SQLite backend wakes the runs waiting on the token), found and listed with their
// status read against the caller's clock.
#include <algorithm>

#include <fmt/format.h>

#include <taskkit/error.hpp>

#include "sqlite/codec.hpp"
#include "sqlite/database.hpp"
#include "sqlite/store.hpp"

namespace taskkit::sqlite::detail {
namespace {

constexpr const char* token_columns =
    "id, idempotency_key, tags, created_at, timeout_at, completed_at, data FROM tokens";

token_record read_token(statement& st, time_point now, const std::string& path) {
    token_record t;
    t.id = st.text(0);
    if (!st.is_null(1)) t.idempotency_key = st.text(1);
    const auto tags = parse_json(st.text_view(2), path, "a token's tags");
    if (tags.is_array())
        for (const auto& tag : tags)
            if (tag.is_string()) t.tags.push_back(tag.get<std::string>());
    t.created_at = from_ns(st.int64(3));
    if (!st.is_null(4)) t.timeout_at = from_ns(st.int64(4));
    if (!st.is_null(5)) {
        t.completed_at = from_ns(st.int64(5));
        t.status = token_status::completed;
        t.data = st.is_null(6) ? nlohmann::json() : parse_json(st.text_view(6), path, "a token's data");
    } else if (t.timeout_at && now >= *t.timeout_at) {
        t.status = token_status::timed_out;
    }
    return t;
}

std::optional<token_record> find_token_in(connection& conn, std::string_view id, time_point now,
                                          const std::string& path) {
    auto st = conn.prepare(std::string("SELECT ") + token_columns + " WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_token(st, now, path);
}

}  // namespace

created_token store::create_token(const token_request& request, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("creating a waitpoint token", [&]() -> created_token {
        if (!request.idempotency_key.empty()) {
            auto held = writer_->prepare("SELECT id, idempotency_expires_at FROM tokens WHERE idempotency_key = ?1");
            held.bind(1, request.idempotency_key);
            if (held.step()) {
                const auto id = held.text(0);
                if (!held.is_null(1) && now < from_ns(held.int64(1)))
                    if (auto token = find_token_in(*writer_, id, now, options_.path))
                        return created_token{std::move(*token), true};
                // The key's ttl passed: it goes to the new token.
                writer_->prepare("UPDATE tokens SET idempotency_key = NULL WHERE id = ?1").bind(1, id).run();
            }
        }
        nlohmann::json tags = nlohmann::json::array();
        for (const auto& tag : request.tags) tags.push_back(tag);
        auto insert = writer_->prepare(R"sql(
INSERT INTO tokens(id, idempotency_key, idempotency_expires_at, tags, created_at, timeout_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql");
        insert.bind(1, request.id);
        if (request.idempotency_key.empty()) {
            insert.bind(2, nullptr).bind(3, nullptr);
        } else {
            insert.bind(2, request.idempotency_key).bind(3, to_ns(request.idempotency_expires_at));
        }
        insert.bind(4, json_text(tags)).bind(5, to_ns(request.created_at));
        if (request.timeout_at)
            insert.bind(6, to_ns(*request.timeout_at));
        else
            insert.bind(6, nullptr);
        insert.run();
        auto tag_st = writer_->prepare("INSERT OR IGNORE INTO token_tags(token_id, tag) VALUES (?1, ?2)");
        for (const auto& tag : request.tags) tag_st.bind(1, request.id).bind(2, tag).run();
        auto made = find_token_in(*writer_, request.id, now, options_.path);
        if (!made) throw state_error("the waitpoint token just created is missing from the database");
        return created_token{std::move(*made), false};
    });
}

token_completion store::complete_token(std::string_view id, const nlohmann::json& data, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("completing a waitpoint token", [&] {
        const auto token = find_token_in(*writer_, id, now, options_.path);
        if (!token) throw unknown_token_error(id);
        if (token->status == token_status::completed) return token_completion::already_completed;
        if (token->status == token_status::timed_out) throw token_timed_out_error(id);
        writer_->prepare("UPDATE tokens SET completed_at = ?2, data = ?3 WHERE id = ?1")
            .bind(1, id)
            .bind(2, to_ns(now))
            .bind(3, json_text(data))
            .run();
        writer_
            ->prepare(
                "INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at) VALUES (?1, '', "
                "'token_completed', 'completed', 0, NULL, ?2)")
            .bind(1, id)
            .bind(2, to_ns(now))
            .run();
        return token_completion::completed;
    });
}

std::optional<token_record> store::find_token(std::string_view id, time_point now) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading a waitpoint token", [&] { return find_token_in(*reader_, id, now, options_.path); });
}

std::vector<token_record> store::list_tokens(const token_filter& filter, time_point now) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("listing waitpoint tokens", [&] {
        std::string sql = std::string("SELECT ") + token_columns + " WHERE 1";
        int param = 0;
        int now_param = 0;
        int tag_param = 0;
        if (filter.status && *filter.status != token_status::completed) now_param = ++param;
        if (filter.status) {
            switch (*filter.status) {
                case token_status::completed:
                    sql += " AND completed_at IS NOT NULL";
                    break;
                case token_status::timed_out:
                    sql += fmt::format(" AND completed_at IS NULL AND timeout_at <= ?{}", now_param);
                    break;
                case token_status::waiting:
                    sql += fmt::format(" AND completed_at IS NULL AND (timeout_at IS NULL OR timeout_at > ?{})",
                                       now_param);
                    break;
            }
        }
        if (!filter.tag.empty()) {
            tag_param = ++param;
            sql += fmt::format(" AND id IN (SELECT token_id FROM token_tags WHERE tag = ?{})", tag_param);
        }
        sql += fmt::format(" ORDER BY created_at DESC, id DESC LIMIT ?{}", ++param);
        auto st = reader_->prepare(sql);
        if (now_param) st.bind(now_param, to_ns(now));
        if (tag_param) st.bind(tag_param, filter.tag);
        st.bind(param, static_cast<std::int64_t>(std::min<std::size_t>(filter.limit, 1u << 30)));
        std::vector<token_record> out;
        while (st.step()) out.push_back(read_token(st, now, options_.path));
        return out;
    });
}

}  // namespace taskkit::sqlite::detail
