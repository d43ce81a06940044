// Per-user concurrency: one sync at a time for each user, many users at once, at most 4 syncs
// in all; users take turns, so a user with a long backlog does not hold up the others.
#include <taskkit/taskkit.hpp>

#include <map>
#include <mutex>

struct sync_request {
    std::string user;
    int batch = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(sync_request, user, batch)

std::mutex mutex;
std::map<std::string, int> executing;  // per user, right now
int most_for_one_user = 0;
int total = 0;
int most_in_all = 0;
std::vector<std::string> start_order;

inline const taskkit::task<sync_request> sync_account({
    .id = "sync-account",
    .queue = {.concurrency_limit = 1, .total_concurrency_limit = 4},
    .run =
        [](const sync_request& r) {
            {
                std::lock_guard lock(mutex);
                most_for_one_user = std::max(most_for_one_user, ++executing[r.user]);
                most_in_all = std::max(most_in_all, ++total);
                start_order.push_back(r.user);
            }
            for (int i = 0; i < 200; ++i) std::this_thread::yield();  // the sync itself
            std::lock_guard lock(mutex);
            --executing[r.user];
            --total;
        },
});

int main() {
    taskkit::runtime rt({.workers = 8});
    std::vector<taskkit::run_handle<void>> runs;
    for (int i = 0; i < 100; ++i)
        runs.push_back(rt.trigger(sync_account, {"big-customer", i}, {.concurrency_key = "big-customer"}));
    for (const char* user : {"ann", "bob", "cy"})
        for (int i = 0; i < 3; ++i) runs.push_back(rt.trigger(sync_account, {user, i}, {.concurrency_key = user}));
    taskkit::wait_all(runs);

    std::size_t last_small = 0;
    for (std::size_t i = 0; i < start_order.size(); ++i)
        if (start_order[i] != "big-customer") last_small = i;
    fmt::print("109 syncs: at most {} at once for one user, {} in all; the small users' last sync started {}th\n",
               most_for_one_user, most_in_all, last_small + 1);
    return most_for_one_user == 1 && most_in_all <= 4 && last_small < 30 ? 0 : 1;
}
