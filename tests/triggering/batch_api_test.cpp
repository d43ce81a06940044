// Batches: the spellings batch_trigger accepts (a braced list of payloads, a braced list of items,
// any range of payloads or items), on a task and on a runtime, and batch_result's iteration.
#include <array>
#include <iterator>
#include <list>
#include <ranges>
#include <span>

// Clang before 15 cannot compile libstdc++ 12's range adaptors (iota, transform…), whatever the
// code using them; the generated range below stands in for a view there.
#if defined(__clang__) && __clang_major__ < 15 && defined(__GLIBCXX__)
#define TASKKIT_TEST_STD_VIEWS 0
#else
#define TASKKIT_TEST_STD_VIEWS 1
#endif

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

namespace {
struct resize_payload {
    int size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(resize_payload, size)

taskkit::task_options<resize_payload, int> resize_options(std::string id) {
    return {.id = std::move(id), .run = [](const resize_payload& p) { return p.size; }};
}

/// The outputs of a batch's runs, in order.
template <class R>
std::vector<R> outputs(const taskkit::batch_handle<R>& batch) {
    std::vector<R> out;
    for (const auto& h : batch.runs) out.push_back(h.get());
    return out;
}

/// The outputs of a batch's results, in order, read by iterating the batch_result.
template <class R>
std::vector<R> outputs(const taskkit::batch_result<R>& results) {
    std::vector<R> out;
    for (const auto& r : results) out.push_back(r.unwrap());
    return out;
}

/// An input range whose elements are computed (prvalues), like a transform view: payloads of
/// sizes from..to-1.
struct generated {
    int from = 0;
    int to = 0;
    struct iterator {
        using value_type = resize_payload;
        using difference_type = std::ptrdiff_t;
        int at = 0;
        resize_payload operator*() const { return {.size = at}; }
        iterator& operator++() {
            ++at;
            return *this;
        }
        void operator++(int) { ++at; }
        bool operator==(const iterator&) const = default;
    };
    [[nodiscard]] iterator begin() const { return {from}; }
    [[nodiscard]] iterator end() const { return {to}; }
};

using ints = std::vector<int>;
}  // namespace

TEST_CASE("batch_trigger takes a braced list of designated-initializer payloads") {
    taskkit::registry reg;
    taskkit::task<resize_payload, int> resize(resize_options("resize-payloads"), reg);
    taskkit::runtime rt(options(reg));

    auto batch = rt.batch_trigger(resize, {{.size = 64}, {.size = 128}});
    CHECK(batch.id.rfind("batch_", 0) == 0);
    CHECK(outputs(batch) == ints{64, 128});
    for (const auto& h : batch.runs) CHECK(h.snapshot().batch_id == batch.id);

    CHECK(outputs(rt.batch_trigger_and_wait(resize, {{.size = 1}, {.size = 2}, {.size = 3}})) == ints{1, 2, 3});
}

TEST_CASE("batch_trigger takes a braced list of items: a payload, or a payload and its options") {
    taskkit::registry reg;
    taskkit::task<resize_payload, int> resize(resize_options("resize-items"), reg);
    taskkit::runtime rt(options(reg));

    // Each item in its own braces: {payload} or {payload, options}.
    auto batch = rt.batch_trigger(resize, {{{.size = 64}}, {{.size = 128}}, {{.size = 256}, {.priority = 10}}});
    CHECK(outputs(batch) == ints{64, 128, 256});
    CHECK(batch.runs[0].snapshot().priority == 0);
    CHECK(batch.runs[2].snapshot().priority == 10);

    // With the payload type named, plain payloads and items mix in one list.
    auto mixed = rt.batch_trigger_and_wait(resize, {resize_payload{.size = 1}, {{.size = 2}, {.tags = {"two"}}}});
    CHECK(outputs(mixed) == ints{1, 2});
}

TEST_CASE("batch_trigger takes any range of payloads or of items") {
    taskkit::registry reg;
    taskkit::task<resize_payload, int> resize(resize_options("resize-ranges"), reg);
    taskkit::task<int, int> twice({.id = "twice", .run = [](const int& n) { return 2 * n; }}, reg);
    taskkit::runtime rt(options(reg));

    std::vector<resize_payload> payloads{{.size = 1}, {.size = 2}};
    CHECK(outputs(rt.batch_trigger(resize, payloads)) == ints{1, 2});
    CHECK(payloads.size() == 2);  // an lvalue range is copied, not moved from
    CHECK(outputs(rt.batch_trigger(resize, std::span<const resize_payload>(payloads))) == ints{1, 2});
    CHECK(outputs(rt.batch_trigger(resize, std::vector<resize_payload>{{.size = 3}})) == ints{3});
    const std::array<resize_payload, 2> fixed{{{.size = 4}, {.size = 5}}};
    CHECK(outputs(rt.batch_trigger_and_wait(resize, fixed)) == ints{4, 5});

    CHECK(outputs(rt.batch_trigger(resize, generated{6, 9})) == ints{6, 7, 8});
#if TASKKIT_TEST_STD_VIEWS
    auto to_payload = [](int n) { return resize_payload{.size = n}; };
    CHECK(outputs(rt.batch_trigger(resize, std::views::iota(6, 9) | std::views::transform(to_payload))) ==
          ints{6, 7, 8});
#endif

    std::vector<taskkit::batch_item<resize_payload>> items;
    items.emplace_back(resize_payload{.size = 9});
    items.emplace_back(resize_payload{.size = 10}, taskkit::trigger_options{.tags = {"ten"}});
    CHECK(outputs(rt.batch_trigger(resize, items)) == ints{9, 10});
    CHECK(items.size() == 2);
    const std::list<taskkit::batch_item<resize_payload>> item_list(items.begin(), items.end());
    CHECK(outputs(rt.batch_trigger_and_wait(resize, item_list)) == ints{9, 10});
    CHECK(outputs(rt.batch_trigger(resize, std::move(items))) == ints{9, 10});

    // Elements that convert to the payload type.
#if TASKKIT_TEST_STD_VIEWS
    CHECK(outputs(rt.batch_trigger(twice, std::views::iota(1, 4))) == ints{2, 4, 6});
#endif
    const std::vector<short> shorts{5, 6};
    CHECK(outputs(rt.batch_trigger(twice, shorts)) == ints{10, 12});
}

TEST_CASE("batch lists of scalar, string and JSON payloads pick the intended overload") {
    taskkit::registry reg;
    taskkit::task<int, int> twice({.id = "twice-scalar", .run = [](const int& n) { return 2 * n; }}, reg);
    taskkit::task<std::string, std::size_t> length(
        {.id = "length", .run = [](const std::string& s) { return s.size(); }}, reg);
    taskkit::task<json, int> count({.id = "count", .run = [](const json& j) { return static_cast<int>(j.size()); }},
                                   reg);
    taskkit::runtime rt(options(reg));

    CHECK(outputs(rt.batch_trigger(twice, {1, 2, 3})) == ints{2, 4, 6});
    auto tagged = rt.batch_trigger(twice, {1, 2, {3, {.tags = {"third"}}}});
    CHECK(outputs(tagged) == ints{2, 4, 6});
    CHECK(tagged.runs[2].snapshot().tags == std::vector<std::string>{"third"});

    CHECK(outputs(rt.batch_trigger(length, {"a", "bb"})) == std::vector<std::size_t>{1, 2});
    CHECK(outputs(rt.batch_trigger(length, {{"a"}, {"bbb", {.priority = 1}}})) == std::vector<std::size_t>{1, 3});
    const std::vector<const char*> words{"four", "fives"};
    CHECK(outputs(rt.batch_trigger(length, words)) == std::vector<std::size_t>{4, 5});

    const json pair = {1, 2};
    CHECK(outputs(rt.batch_trigger(count, {pair, json::array()})) == ints{2, 0});
    CHECK(outputs(rt.batch_trigger(count, {{pair, {.tags = {"pair"}}}})) == ints{2});
    const taskkit::trigger_options tag{.tags = {"pair"}};
    auto item = rt.batch_trigger(count, {{pair, tag}});  // an item, not a JSON array of two
    CHECK(outputs(item) == ints{2});
    CHECK(item.runs[0].snapshot().tags == std::vector<std::string>{"pair"});
    // Nested braces are JSON values (objects here): a list of two payloads.
    CHECK(outputs(rt.batch_trigger(count, {{{"a", 1}}, {{"b", 2}, {"c", 3}}})) == ints{1, 2});
}

TEST_CASE("a task's batch_trigger inside a run takes the same spellings, as children of the run") {
    taskkit::registry reg;
    taskkit::task<resize_payload, int> resize(resize_options("resize-child"), reg);
    taskkit::task<int, int> parent(
        {.id = "resize-parent",
         .run =
             [&](const int&) {
                 int sum = 0;
                 for (const auto& r : resize.batch_trigger_and_wait({{.size = 1}, {.size = 2}})) sum += r.unwrap();
                 auto items = resize.batch_trigger_and_wait({{{.size = 10}}, {{.size = 20}, {.tags = {"twenty"}}}});
                 for (const auto& r : items) sum += r.unwrap();
                 const std::vector<resize_payload> more{{.size = 100}};
                 auto handle = resize.batch_trigger(more);
                 for (const auto& h : handle.runs) sum += h.get();
                 auto last = resize.batch_trigger(generated{1000, 1001});
                 sum += last.runs.at(0).get();
                 return sum;
             }},
        reg);
    taskkit::runtime rt(options(reg, 1));
    auto h = rt.trigger(parent, 0);
    CHECK(h.get() == 1133);
    CHECK(h.snapshot().children.size() == 6);
}

TEST_CASE("batch_result is a range of results in item order, with size, indexing and ok()") {
    taskkit::registry reg;
    taskkit::task<int, int> picky({.id = "picky",
                                   .retry = {.max_attempts = 1},
                                   .run =
                                       [](const int& n) {
                                           if (n < 0) throw std::runtime_error("negative");
                                           return n;
                                       }},
                                  reg);
    taskkit::runtime rt(options(reg));

    auto good = rt.batch_trigger_and_wait(picky, {1, 2, 3});
    CHECK(good.ok());
    CHECK(good.size() == 3);
    CHECK_FALSE(good.empty());
    CHECK(good[1].unwrap() == 2);
    static_assert(std::ranges::random_access_range<taskkit::batch_result<int>>);
    CHECK(std::distance(good.begin(), good.end()) == 3);
    CHECK(outputs(good) == ints{1, 2, 3});

    auto bad = rt.batch_trigger_and_wait(picky, {1, -1});
    CHECK_FALSE(bad.ok());
    std::vector<bool> oks;
    for (const auto& r : bad) oks.push_back(r.ok());
    CHECK(oks == std::vector<bool>{true, false});
    CHECK(bad[1].error().message == "negative");

    // An empty batch: no runs, every (none) run completed.
    auto none = rt.batch_trigger_and_wait(picky, std::vector<int>{});
    CHECK(none.empty());
    CHECK(none.ok());
    CHECK(none.id.rfind("batch_", 0) == 0);
}
