#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>
#include <weft/combinator/select.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/task/join_set.hpp>
#include <weft/task/task_tracker.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

namespace {

using namespace std::chrono_literals;
namespace wt = weft::time;

weft::Runtime paused() { return weft::Runtime::Builder::current_thread().start_paused(true).build(); }

weft::Task<int> after(wt::Duration d, int v) {
    co_await wt::sleep(d);
    co_return v;
}

TEST(JoinSet, JoinNextYieldsInCompletionOrder) {
    auto rt = paused();
    auto t = []() -> weft::Task<std::vector<int>> {
        weft::JoinSet<int> set;
        set.spawn(after(30ms, 3));
        set.spawn(after(10ms, 1));
        set.spawn(after(20ms, 2));
        std::vector<int> order;
        while (auto r = co_await set.join_next()) order.push_back(r->value());
        co_return order;
    };
    EXPECT_EQ(rt.block_on(t()), (std::vector<int>{1, 2, 3}));
}

TEST(JoinSet, AbortAllReportsCancelledAndDropAborts) {
    auto rt = paused();
    auto t = []() -> weft::Task<int> {
        weft::JoinSet<int> set;
        for (int i = 0; i < 5; ++i) set.spawn(after(1h, i));
        co_await weft::yield_now();
        set.abort_all();
        int cancelled = 0;
        while (auto r = co_await set.join_next()) cancelled += (!*r && r->error().is_cancelled()) ? 1 : 0;
        co_return cancelled;
    };
    EXPECT_EQ(rt.block_on(t()), 5);
    EXPECT_EQ(rt.metrics().active_timers, 0u);

    auto dropped = []() -> weft::Task<> {
        weft::JoinSet<int> set;
        for (int i = 0; i < 5; ++i) set.spawn(after(1h, i));
        co_await weft::yield_now();
    };  // the set is destroyed here: its tasks are aborted
    rt.block_on(dropped());
    auto settle = []() -> weft::Task<> { co_await weft::yield_now(); };
    rt.block_on(settle());
    EXPECT_EQ(rt.metrics().live_tasks, 0u);
}

TEST(JoinSet, CancelledJoinNextLosesNoResult) {
    auto rt = paused();
    auto t = []() -> weft::Task<bool> {
        weft::JoinSet<int> set;
        set.spawn(after(50ms, 42));
        auto early = co_await wt::timeout(10ms, set.join_next());  // gives up first
        auto later = co_await set.join_next();
        co_return !early && later && later->value() == 42;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(JoinSet, AJoinNextCancelledWhileTakingAFinishedTaskLosesNoResult) {
    // join_next takes the finished task's key and handle, then awaits the handle, which can
    // suspend: on a spent coop budget (here), or on another worker for the moment between the
    // task's report and its completion. A select lost right there must lose no result.
    auto rt = paused();
    auto t = []() -> weft::Task<int> {
        weft::JoinSet<int> set;
        set.spawn(after(0ms, 42));
        while (set.finished_count() == 0) co_await weft::yield_now();
        auto at_once = []() -> weft::Task<int> { co_return 7; };
        weft::detail::coop::budget = 0;  // the await on the finished handle yields
        auto r = co_await weft::select(set.join_next(), at_once());
        EXPECT_EQ(r.index(), 1u);
        EXPECT_EQ(set.size(), 1u);
        auto later = co_await set.join_next();
        co_return (later && *later) ? **later : -1;
    };
    EXPECT_EQ(rt.block_on(t()), 42);
}

TEST(JoinSet, WorksOnTheMultiThreadRuntime) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    auto t = []() -> weft::Task<long> {
        weft::JoinSet<int> set;
        for (int i = 0; i < 1000; ++i) {
            set.spawn([](int i) -> weft::Task<int> {
                co_await weft::yield_now();
                co_return i;
            }(i));
        }
        long sum = 0;
        while (auto r = co_await set.join_next()) sum += r->value();
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(t()), 999L * 1000 / 2);
}

weft::Task<> quick() { co_return; }
weft::Task<> nap() { co_await wt::sleep(1h); }

TEST(JoinSet, ShutdownReturnsWithFinishedAndRunningTasks) {
    // One task already finished before shutdown (it hung here once: a GCC 12 miscompile of
    // `while (co_await ...)`), one still sleeping: both come out, the sleeper cancelled.
    // Paused time: a hang shows as the clock jumping to the 2 h timeout.
    auto rt = paused();
    auto t = []() -> weft::Task<wt::Duration> {
        auto start = wt::now();
        weft::JoinSet<void> set;
        set.spawn(quick());
        set.spawn(nap());
        co_await weft::yield_now();
        auto shutting_down = set.shutdown();
        auto done = co_await wt::timeout(2h, std::move(shutting_down));  // a hang fails, not stalls
        EXPECT_TRUE(done.has_value());
        EXPECT_TRUE(set.empty());
        co_return wt::now() - start;
    };
    EXPECT_LT(rt.block_on(t()), 1s);
}

TEST(JoinSet, ATaskDetachedByDetachAllIsNotJoinedLater) {
    // A detached task still reports when it ends; join_next must skip that report, not look up
    // a handle the set no longer has.
    auto rt = paused();
    auto t = []() -> weft::Task<std::optional<int>> {
        weft::JoinSet<int> set;
        set.spawn(after(1ms, 1));
        set.detach_all();
        set.spawn(after(10ms, 2));
        auto r = co_await set.join_next();
        if (!r || !*r) co_return std::nullopt;
        co_return **r;
    };
    EXPECT_EQ(rt.block_on(t()), 2);
}

TEST(JoinSet, ASetThatDetachesAndNeverJoinsKeepsNoReports) {
    // The reports of detached tasks used to queue in the set until the next join_next: a set
    // that detached batch after batch and never joined held one per task ever detached.
    auto rt = paused();
    auto t = []() -> weft::Task<std::pair<std::size_t, std::size_t>> {
        weft::JoinSet<int> set;
        for (int batch = 0; batch < 3; ++batch) {
            for (int i = 0; i < 10; ++i) set.spawn(after(1ms, i));
            set.detach_all();
            co_await wt::sleep(5ms);  // they all finish
        }
        set.spawn(after(1ms, 7));
        co_await wt::sleep(5ms);
        const std::size_t waiting = set.finished_count();  // only the last, still in the set
        auto r = co_await set.join_next();
        co_return std::pair{waiting, (r && *r) ? static_cast<std::size_t>(**r) : 0};
    };
    EXPECT_EQ(rt.block_on(t()), (std::pair<std::size_t, std::size_t>{1, 7}));
}

TEST(TaskTracker, WaitCompletesWhenClosedAndAllTasksAreGone) {
    auto rt = paused();
    auto t = []() -> weft::Task<bool> {
        weft::TaskTracker tracker;
        for (int i = 1; i <= 3; ++i) tracker.spawn(after(std::chrono::milliseconds(10 * i), i)).detach();
        auto not_closed = co_await wt::timeout(100ms, tracker.wait());  // open: never completes
        tracker.close();
        auto start = wt::now();
        co_await tracker.wait();
        co_return !not_closed && tracker.len() == 0 && wt::now() - start == 0ms;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(TaskTracker, WaitWithADeadlineReportsStragglers) {
    auto rt = paused();
    auto t = []() -> weft::Task<std::size_t> {
        weft::TaskTracker tracker;
        tracker.spawn(after(5ms, 1)).detach();
        auto straggler = tracker.spawn(after(1h, 2));
        tracker.close();
        auto r = co_await wt::timeout(50ms, tracker.wait());
        std::size_t left = r ? 0 : tracker.len();
        straggler.abort();  // cancelled tasks stop counting too
        co_await tracker.wait();
        co_return left;
    };
    EXPECT_EQ(rt.block_on(t()), 1u);
}

TEST(TaskTracker, AWaitOnATrackerBusyAgainAfterItWasIdleWaitsForItsTasks) {
    // Closed while empty (idle once), then a task: a new wait must register and wait for it.
    auto rt = paused();
    auto t = []() -> weft::Task<wt::Duration> {
        weft::TaskTracker tracker;
        tracker.close();
        co_await tracker.wait();  // idle: at once
        auto start = wt::now();
        tracker.spawn(after(10ms, 1)).detach();
        co_await tracker.wait();
        co_return wt::now() - start;
    };
    EXPECT_GE(rt.block_on(t()), 10ms);
}

TEST(TaskTracker, AWaiterWokenAsTheTrackerWentIdleWaitsOnIfItIsBusyAgainWhenPolled) {
    // The last tracked task goes (handing out the waiters' wakers) and the tracker is reopened
    // before the waiter runs: its poll finds the tracker busy and must stay registered for the
    // next time it goes idle.
    auto rt = paused();
    auto t = []() -> weft::Task<std::pair<bool, bool>> {
        weft::TaskTracker tracker;
        auto nothing = []() -> weft::Task<> { co_return; };
        weft::Task<> held = tracker.track(nothing());  // counts until its frame goes
        tracker.close();
        bool done = false;
        auto waiter = [](weft::TaskTracker* tracker, bool* done) -> weft::Task<> {
            co_await tracker->wait();
            *done = true;
        };
        auto w = weft::spawn_local(waiter(&tracker, &done));
        co_await weft::yield_now();       // the waiter registers
        { auto gone = std::move(held); }  // idle: the waiter is woken, not yet run
        const bool woken_not_run = !done;
        tracker.reopen();
        co_await weft::yield_now();  // the waiter's poll: busy again
        tracker.close();
        auto r = co_await wt::timeout(1s, std::move(w));
        co_return std::pair{woken_not_run, r.has_value()};
    };
    auto [precondition, finished] = rt.block_on(t());
    ASSERT_TRUE(precondition) << "the waiter ran before the reopen: the test no longer tests the race";
    EXPECT_TRUE(finished) << "the second close woke nobody";
}

TEST(TaskTracker, ANamedWaitAwaitedAgainAfterALostTimeoutIsLinkedOnce) {
    // The first await times out with the awaiter still registered; awaiting it again must not
    // link it a second time (a node linked after itself, or a waiter behind it cut out).
    auto rt = paused();
    auto t = []() -> weft::Task<std::pair<bool, bool>> {
        weft::TaskTracker tracker;
        tracker.spawn(after(20ms, 1)).detach();
        tracker.close();
        auto wait = tracker.wait();
        auto first = co_await wt::timeout(5ms, wait);
        auto other = weft::spawn_local(
            [](weft::TaskTracker* tracker) -> weft::Task<> { co_await tracker->wait(); }(&tracker));
        co_await weft::yield_now();  // it registers, behind the first
        auto second = co_await wt::timeout(1s, wait);
        auto other_done = co_await wt::timeout(1s, std::move(other));
        co_return std::pair{!first, second.has_value() && other_done.has_value()};
    };
    auto [first_timed_out, both_woken] = rt.block_on(t());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(both_woken);
}

// A wait given up (a timeout, a lost select) must take its waker out of the tracker: a server
// that polls `timeout(1s, tracker.wait())` in a loop would otherwise pile up one waker, and a
// reference on its task, per round for as long as the tracker is busy. Driven by hand, with a
// waker that counts its references.
TEST(TaskTracker, ACancelledWaitGivesItsWakerBack) {
    struct CountingWakeable final : weft::Wakeable {
        int refs = 0;
        int wakes = 0;
        void wake_by_ref() noexcept override { ++wakes; }
        void add_ref() noexcept override { ++refs; }
        void release() noexcept override { --refs; }
    };
    auto rt = paused();
    auto t = []() -> weft::Task<std::pair<int, int>> {
        weft::TaskTracker tracker;
        weft::Task<> held = tracker.track([]() -> weft::Task<> { co_return; }());  // busy
        CountingWakeable counting;
        int most_refs = 0;
        for (int round = 0; round < 100; ++round) {
            weft::Task<> waiter = [](weft::TaskTracker* tracker) -> weft::Task<> {
                co_await tracker->wait();
            }(&tracker);
            weft::detail::TaskContext ctx;
            ctx.wakeable = &counting;
            waiter.handle().promise().context = &ctx;
            ctx.poll(waiter.handle());  // first poll: suspends in wait(), its waker taken
            EXPECT_FALSE(waiter.handle().done());
            most_refs = std::max(most_refs, counting.refs);
        }  // each waiter destroyed while it waits
        tracker.close();
        { auto gone = std::move(held); }  // idle: would wake whatever was left registered
        co_return std::pair{most_refs, counting.refs + counting.wakes};
    };
    auto [most_refs, left] = rt.block_on(t());
    EXPECT_EQ(most_refs, 1) << "wakers of earlier, cancelled waits were still held";
    EXPECT_EQ(left, 0);
}

}  // namespace
