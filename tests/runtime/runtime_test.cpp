#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/sleep.hpp>

namespace {

using namespace std::chrono_literals;

// A leaf completed by a plain std::thread: its waker crosses threads.
struct CrossThreadFlag final : weft::detail::LeafAwaiter {
    std::atomic<bool> set{false};
    std::thread thread;
    bool await_ready() { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        auto w = h.promise().context->waker();
        suspend_here(h);
        thread = std::thread([this, w] {
            std::this_thread::sleep_for(10ms);
            set.store(true);
            w.wake();
        });
    }
    void await_resume() { thread.join(); }
    bool ready() noexcept override { return set.load(); }
};

struct WakeThriceLeaf final : weft::detail::LeafAwaiter {
    explicit WakeThriceLeaf(int* p) : polls(p) {}
    int* polls;
    bool await_ready() { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        suspend_here(h);
        auto w = h.promise().context->waker();
        w.wake();
        w.wake();
        w.wake();  // three wakes while running: one reschedule
    }
    void await_resume() {}
    bool ready() noexcept override {
        ++*polls;
        return true;
    }
};

TEST(Runtime, BlockOnReturnsTheResult) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<int> { co_return 5; };
    EXPECT_EQ(rt.block_on(t()), 5);
}

TEST(Runtime, SpawnLocalAndJoin) {
    weft::Runtime rt;
    auto child = [](int v) -> weft::Task<int> {
        co_await weft::yield_now();
        co_return v * 2;
    };
    auto parent = [&]() -> weft::Task<int> {
        auto h = weft::spawn_local(child(21));
        auto r = co_await h;
        co_return r.value();
    };
    EXPECT_EQ(rt.block_on(parent()), 42);
}

TEST(Runtime, JoinReportsAnExceptionAsFailed) {
    weft::Runtime rt;
    auto child = []() -> weft::Task<int> {
        throw std::runtime_error("bad");
        co_return 0;
    };
    auto parent = [&]() -> weft::Task<bool> {
        auto r = co_await weft::spawn_local(child());
        co_return !r && r.error().is_failed() && r.error().exception != nullptr;
    };
    EXPECT_TRUE(rt.block_on(parent()));
}

// A handle awaited as an rvalue is emptied: it let go of the task, and awaiting it again (or
// awaiting a default-constructed or detached one) is a clear error, not a null dereference.
TEST(Runtime, AnEmptyHandleThrowsWhenAwaited) {
    weft::Runtime rt;
    auto child = []() -> weft::Task<std::string> { co_return std::string(64, 'x'); };
    auto parent = [&]() -> weft::Task<std::vector<std::string>> {
        std::vector<std::string> seen;
        auto h = weft::spawn_local(child());
        auto kept = weft::spawn_local(child());
        auto first = co_await std::move(h);
        seen.push_back(first ? *first : "error");
        seen.push_back(h.valid() ? "valid" : "empty");
        auto by_ref = co_await kept;  // an lvalue await keeps the task
        seen.push_back(by_ref && kept.valid() && kept.is_finished() ? "kept" : "?");
        for (int kind = 0; kind < 3; ++kind) {
            weft::JoinHandle<std::string> empty;
            if (kind == 1) {
                empty = weft::spawn_local(child());
                empty.detach();
            }
            try {
                if (kind == 2)
                    (void)co_await h;  // emptied by the rvalue await
                else
                    (void)co_await empty;
                seen.push_back("no throw");
            } catch (const std::logic_error& e) {
                seen.push_back(std::string(e.what()).find("JoinHandle") != std::string::npos ? "logic_error"
                                                                                             : e.what());
            }
        }
        co_return seen;
    };
    EXPECT_EQ(rt.block_on(parent()), (std::vector<std::string>{std::string(64, 'x'), "empty", "kept",
                                                               "logic_error", "logic_error", "logic_error"}));
}

// Counts live instances: the cell keeps the root's handle and its output in one slot, so every
// way a task can end must destroy exactly what is alive there, once.
struct Counted {
    static inline int live = 0;
    int value;
    explicit Counted(int v) : value(v) { ++live; }
    Counted(Counted&& o) noexcept : value(o.value) { ++live; }
    Counted(const Counted&) = delete;
    ~Counted() { --live; }
};

TEST(Runtime, EveryWayATaskEndsDestroysItsFrameAndOutputExactlyOnce) {
    Counted::live = 0;
    {
        weft::Runtime rt;
        auto make = [](Counted arg) -> weft::Task<Counted> {
            co_await weft::yield_now();
            co_return Counted(arg.value * 2);
        };
        auto fail = [](Counted arg) -> weft::Task<Counted> {
            co_await weft::yield_now();
            throw std::runtime_error(std::to_string(arg.value));
        };
        auto forever = [](Counted arg) -> weft::Task<Counted> {
            co_await weft::time::sleep(1h);
            co_return std::move(arg);
        };
        auto body = [&]() -> weft::Task<int> {
            int checks = 0;
            // Joined value: moved out to the joiner; the frame (and its argument) already gone.
            auto joined = weft::spawn_local(make(Counted(1)));
            auto r = co_await joined;
            joined.detach();  // the cell goes, with the moved-from value it still held
            checks += r && r->value == 2 && Counted::live == 1;
            // Detached value: the cell destroys it when the last reference goes.
            weft::spawn_local(make(Counted(2))).detach();
            // Failure: the frame is destroyed, the error kept until the handle goes.
            auto failed = weft::spawn_local(fail(Counted(3)));
            auto f = co_await failed;
            checks += !f && f.error().is_failed();
            // Aborted before its first poll, and aborted while suspended.
            auto early = weft::spawn_local(forever(Counted(4)));
            early.abort();
            auto e = co_await early;
            checks += !e && e.error().is_cancelled();
            auto late = weft::spawn_local(forever(Counted(5)));
            co_await weft::yield_now();
            late.abort();
            auto l = co_await late;
            checks += !l && l.error().is_cancelled();
            // Left suspended: the runtime's shutdown destroys it.
            weft::spawn_local(forever(Counted(6))).detach();
            co_await weft::yield_now();
            co_return checks;
        };
        EXPECT_EQ(rt.block_on(body()), 4);
        EXPECT_GE(Counted::live, 1);  // the sixth task's argument, until the runtime goes
    }
    EXPECT_EQ(Counted::live, 0);
}

TEST(Runtime, AbortCancelsASuspendedTaskAndRunsItsDestructors) {
    weft::Runtime rt;
    auto destroyed = std::make_shared<bool>(false);
    struct Guard {
        std::shared_ptr<bool> flag;
        ~Guard() { *flag = true; }
    };
    auto sleeper = [](std::shared_ptr<bool> flag) -> weft::Task<int> {
        Guard g{std::move(flag)};
        co_await weft::time::sleep(1h);
        co_return 1;
    };
    auto parent = [&]() -> weft::Task<bool> {
        auto h = weft::spawn_local(sleeper(destroyed));
        co_await weft::yield_now();  // let it reach its sleep
        h.abort();
        auto r = co_await h;
        co_return !r && r.error().is_cancelled();
    };
    EXPECT_TRUE(rt.block_on(parent()));
    EXPECT_TRUE(*destroyed);
    EXPECT_EQ(rt.metrics().active_timers, 0u);
    EXPECT_EQ(rt.metrics().live_tasks, 0u);
}

TEST(Runtime, AbortBeforeFirstPollNeverRunsTheBody) {
    weft::Runtime rt;
    bool ran = false;
    auto body = [&]() -> weft::Task<> {
        ran = true;
        co_return;
    };
    auto parent = [&]() -> weft::Task<bool> {
        auto h = weft::spawn_local(body());
        h.abort();
        auto r = co_await h;
        co_return !r && r.error().is_cancelled();
    };
    EXPECT_TRUE(rt.block_on(parent()));
    EXPECT_FALSE(ran);
}

TEST(Runtime, CancellingATaskSuspendedOnAJoinLeavesTheJoinedTaskIntact) {
    auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
    auto slow = []() -> weft::Task<int> {
        co_await weft::time::sleep(50ms);
        co_return 7;
    };
    auto joiner = [](weft::JoinHandle<int>& h) -> weft::Task<int> { co_return (co_await h).value(); };
    auto parent = [&]() -> weft::Task<bool> {
        auto target = weft::spawn_local(slow());
        auto waiting = weft::spawn_local(joiner(target));
        co_await weft::yield_now();  // the joiner is now suspended on the join
        waiting.abort();
        auto w = co_await waiting;
        // The join waker was unregistered with the joiner's frame; the target still completes and
        // can be joined again.
        auto t = co_await target;
        co_return !w && w.error().is_cancelled() && t && *t == 7;
    };
    EXPECT_TRUE(rt.block_on(parent()));
    EXPECT_EQ(rt.metrics().live_tasks, 0u);
}

TEST(Runtime, DroppedJoinHandleDetachesTheTask) {
    // Paused: on real time a 45 ms stall of this thread would fire both timers in one turn,
    // and the parent, polled first, would finish before the body.
    auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
    int done = 0;
    auto body = [&]() -> weft::Task<> {
        co_await weft::time::sleep(5ms);
        ++done;
    };
    auto parent = [&]() -> weft::Task<> {
        { auto h = weft::spawn_local(body()); }  // dropped: detached, keeps running
        co_await weft::time::sleep(50ms);
    };
    rt.block_on(parent());
    EXPECT_EQ(done, 1);
}

TEST(Runtime, HundredThousandTasksSpawnedAndJoined) {
    weft::Runtime rt;
    constexpr int n = 100'000;
    auto child = [](int i) -> weft::Task<int> { co_return i; };
    auto parent = [&]() -> weft::Task<long long> {
        std::vector<weft::JoinHandle<int>> handles;
        handles.reserve(n);
        for (int i = 0; i < n; ++i) handles.push_back(weft::spawn_local(child(i)));
        long long sum = 0;
        for (auto& h : handles) sum += (co_await h).value();
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(parent()), static_cast<long long>(n) * (n - 1) / 2);
    auto m = rt.metrics();
    EXPECT_EQ(m.spawned_total, static_cast<std::uint64_t>(n));
    EXPECT_EQ(m.live_tasks, 0u);
}

TEST(Runtime, WakesFromAnotherThreadUnparkTheRuntime) {
    weft::Runtime rt;
    auto waiter = []() -> weft::Task<int> {
        CrossThreadFlag f;
        co_await f;
        co_return 1;
    };
    auto parent = [&]() -> weft::Task<int> {
        int total = 0;
        for (int i = 0; i < 5; ++i) total += (co_await weft::spawn_local(waiter())).value();
        total += co_await waiter();  // the block_on root itself, woken remotely
        co_return total;
    };
    // Each wake is remote, but one that lands while its task's poll is still ending (the waking
    // thread outran a stalled runtime thread by 10 ms) only marks it NOTIFIED and is not counted
    // in remote_schedules: TaskWakeRemote.* counts them where that cannot happen.
    EXPECT_EQ(rt.block_on(parent()), 6);
}

TEST(Runtime, WakingAQueuedTaskTwiceRunsItOnce) {
    weft::Runtime rt;
    int polls = 0;
    auto body = [&]() -> weft::Task<> { co_await WakeThriceLeaf{&polls}; };
    auto parent = [&]() -> weft::Task<> { (void)co_await weft::spawn_local(body()); };
    rt.block_on(parent());
    EXPECT_EQ(polls, 1);
}

TEST(Runtime, DroppingTheRuntimeCancelsRemainingTasks) {
    auto destroyed = std::make_shared<int>(0);
    struct Guard {
        std::shared_ptr<int> n;
        ~Guard() { ++*n; }
    };
    {
        weft::Runtime rt;
        auto forever = [](std::shared_ptr<int> n) -> weft::Task<> {
            Guard g{std::move(n)};
            co_await weft::time::sleep(24h);
        };
        auto parent = [&]() -> weft::Task<> {
            for (int i = 0; i < 10; ++i) weft::spawn_local(forever(destroyed)).detach();
            co_await weft::yield_now();
        };
        rt.block_on(parent());
        EXPECT_EQ(rt.metrics().live_tasks, 10u);
    }
    EXPECT_EQ(*destroyed, 10);
}

TEST(Runtime, SpawnLocalOutsideARuntimeIsAClearError) {
    auto t = []() -> weft::Task<> { co_return; };
    EXPECT_THROW((void)weft::spawn_local(t()), std::logic_error);
}

TEST(Runtime, PausedTimeIsRefusedOnTheMultiThreadFlavour) {
    EXPECT_THROW(weft::Runtime::Builder::multi_thread().start_paused(true).build(), std::logic_error);
}

TEST(Runtime, SpawnLocalIsRefusedOnTheMultiThreadFlavour) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(1).build();
    auto t = []() -> weft::Task<> { co_return; };
    EXPECT_THROW((void)rt.spawn_local(t()), std::logic_error);
}

}  // namespace
