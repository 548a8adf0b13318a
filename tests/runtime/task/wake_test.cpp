// Two wake paths that skip atomic operations: a task that wakes itself during its own poll (the
// wake is recorded on the thread and folded into the end of the poll), and a waker woken by
// value (its reference becomes the run queue's, on the scheduler's own threads). Each must
// requeue the task like any other wake, and a wake from anywhere else must take the usual path.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <weft/weft.hpp>

#include "support/live_tasks.hpp"

namespace {

weft::Runtime make_runtime(bool multi) {
    if (!multi) return weft::Runtime::Builder::current_thread().build();
    return weft::Runtime::Builder::multi_thread().worker_threads(2).build();
}

/// Suspends once, after waking its own task `wakes` times during the poll: through the
/// context's wakeable, a `Waker` clone woken by reference, and one woken by value.
class WakeSelfThenSuspend final : public weft::detail::LeafAwaiter {
public:
    explicit WakeSelfThenSuspend(int wakes) : wakes_(wakes) {}
    bool await_ready() const noexcept { return false; }
    template <weft::detail::HasTaskContext P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        weft::detail::TaskContext& ctx = suspend_here(h);
        for (int i = 0; i < wakes_; ++i) {
            if (i % 3 == 0) {
                ctx.wakeable->wake_by_ref();
            } else if (i % 3 == 1) {
                ctx.waker().wake();
            } else {
                weft::Waker clone = ctx.waker();
                clone.wake_and_reset();
            }
        }
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override { return true; }
    const char* describe() const noexcept override { return "wake self"; }

private:
    int wakes_;
};

/// Not ready until `flag` is set; keeps the waker of the task that waits for whoever sets it,
/// and then sets `stored`.
class WaitForFlag final : public weft::detail::LeafAwaiter {
public:
    WaitForFlag(std::atomic<bool>& flag, weft::Waker& parked, std::atomic<bool>& stored)
        : flag_(flag), parked_(parked), stored_(stored) {}
    bool await_ready() const noexcept { return flag_.load(); }
    template <weft::detail::HasTaskContext P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        parked_ = suspend_here(h).waker();
        stored_.store(true);
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override { return flag_.load(); }
    const char* describe() const noexcept override { return "flag"; }

private:
    std::atomic<bool>& flag_;
    weft::Waker& parked_;
    std::atomic<bool>& stored_;
};

class TaskWake : public ::testing::TestWithParam<bool> {};

TEST_P(TaskWake, ATaskThatWakesItselfInItsPollIsPolledAgainOncePerSuspension) {
    auto rt = make_runtime(GetParam());
    auto body = []() -> weft::Task<int> {
        int resumed = 0;
        for (int wakes = 1; wakes <= 4; ++wakes) {
            co_await WakeSelfThenSuspend(wakes);
            ++resumed;
        }
        co_return resumed;
    };
    auto root = [&]() -> weft::Task<int> {
        auto handle = weft::spawn(body());
        auto r = co_await handle;
        co_return r.value();
    };
    EXPECT_EQ(rt.block_on(root()), 4);
    // A worker releases the task just after the join completes.
    EXPECT_EQ(weft::test::settled_live_tasks(rt), 0u);
    // The first poll and one per suspension, however many wakes each suspension took. Each is
    // counted when it starts, so the last one is counted before the join sees the result.
    EXPECT_EQ(rt.metrics().polls, 5u);
}

TEST_P(TaskWake, AWakeFromOutsideAnyTaskAfterThePollIsNotLost) {
    // The task yields (a self-wake), then waits on a flag; the block_on root, which is not a
    // spawned task, sets the flag and wakes it. Had the task's poll left its record on the
    // thread, the root's wake would be taken for the task's own and dropped.
    auto rt = make_runtime(GetParam());
    std::atomic<bool> flag{false}, stored{false};
    weft::Waker parked;
    auto waiter = [&]() -> weft::Task<int> {
        co_await weft::yield_now();
        co_await WaitForFlag(flag, parked, stored);
        co_return 7;
    };
    auto root = [&]() -> weft::Task<int> {
        auto handle = weft::spawn(waiter());
        while (!stored.load()) co_await weft::yield_now();
        flag.store(true);
        parked.wake_and_reset();
        auto r = co_await handle;
        co_return r.value();
    };
    EXPECT_EQ(rt.block_on(root()), 7);
}

TEST(TaskWakeRemote, AWakeFromAnotherThreadOfAnIdleTaskIsCountedOnce) {
    // The other thread wakes the task only once the runtime has parked, so the task's poll is
    // over: the wake queues it from outside (one remote schedule) and unparks the runtime.
    // Reading the metrics from that thread meanwhile is part of the test (TSan).
    auto rt = weft::Runtime::Builder::current_thread().build();
    std::atomic<bool> flag{false}, stored{false};
    weft::Waker parked;
    auto waiter = [&]() -> weft::Task<int> {
        co_await WaitForFlag(flag, parked, stored);
        co_return 7;
    };
    const auto parks_before = rt.metrics().parks;
    std::thread waker;
    auto root = [&]() -> weft::Task<int> {
        auto handle = weft::spawn(waiter());
        waker = std::thread([&] {
            while (!stored.load() || rt.metrics().parks == parks_before)
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            flag.store(true);
            parked.wake_and_reset();
        });
        auto r = co_await handle;
        co_return r.value();
    };
    EXPECT_EQ(rt.block_on(root()), 7);
    waker.join();
    EXPECT_EQ(rt.metrics().remote_schedules, 1u);
}

TEST_P(TaskWake, AbortingATaskThatKeepsYieldingCancelsIt) {
    auto rt = make_runtime(GetParam());
    auto spin = []() -> weft::Task<> {
        for (;;) co_await weft::yield_now();
    };
    auto root = [&]() -> weft::Task<bool> {
        auto h = weft::spawn(spin());
        for (int i = 0; i < 100; ++i) co_await weft::yield_now();
        h.abort();
        auto r = co_await h;
        co_return !r && r.error().is_cancelled();
    };
    EXPECT_TRUE(rt.block_on(root()));
}

/// Stores the awaiting task's waker and goes on without suspending.
class TakeWaker {
public:
    explicit TakeWaker(weft::Waker& out) : out_(out) {}
    bool await_ready() const noexcept { return false; }
    template <weft::detail::HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        out_ = h.promise().context->waker();
        return false;
    }
    void await_resume() const noexcept {}

private:
    weft::Waker& out_;
};

/// Counts the destruction of the one instance that was not moved from.
struct OutputProbe {
    explicit OutputProbe(std::atomic<int>& destroyed) : destroyed_(&destroyed) {}
    OutputProbe(OutputProbe&& other) noexcept : destroyed_(std::exchange(other.destroyed_, nullptr)) {}
    OutputProbe& operator=(OutputProbe&&) = delete;
    ~OutputProbe() {
        if (destroyed_) destroyed_->fetch_add(1);
    }
    std::atomic<int>* destroyed_;
};

TEST_P(TaskWake, AWakerWokenByValueAfterItsTaskIsGoneFreesTheTask) {
    // A detached task keeps its output in its cell until the last reference goes: here the
    // waker's, dropped by waking a completed task by value. The runtime goes first, so that no
    // worker still holds the owned set's reference when the waker is woken.
    std::atomic<int> destroyed{0};
    weft::Waker kept;
    {
        auto rt = make_runtime(GetParam());
        std::atomic<bool> done{false};
        auto task = [&]() -> weft::Task<OutputProbe> {
            co_await TakeWaker(kept);
            done.store(true);
            co_return OutputProbe(destroyed);
        };
        auto root = [&]() -> weft::Task<> {
            weft::spawn(task()).detach();
            while (!done.load() || rt.metrics().live_tasks != 0) co_await weft::yield_now();
        };
        rt.block_on(root());
    }
    EXPECT_EQ(destroyed.load(), 0) << "the waker still holds the cell";
    kept.wake_and_reset();
    EXPECT_EQ(destroyed.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, TaskWake, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "MultiThread" : "CurrentThread"; });

/// A scheduler whose worker picks a woken task at once: `schedule` runs it on another thread
/// before returning, and notes whether that destroyed the scheduler under `schedule`'s feet.
class RunsAtOnceScheduler final : public weft::detail::Scheduler {
public:
    void bind(weft::detail::TaskHeader*) override {}
    void schedule(weft::detail::TaskHeader* task) noexcept override {
        std::thread([task] { task->run(); }).join();
        if (destroyed.load() != 0) destroyed_while_scheduling = true;
    }
    void release(weft::detail::TaskHeader* task) noexcept override { task->release(); }

    std::atomic<int> destroyed{0};
    bool destroyed_while_scheduling = false;

private:
    void destroy() noexcept override { destroyed.fetch_add(1); }
};

TEST(TaskWakeByValue, OffTheSchedulersThreadsTheWakersReferenceOutlivesSchedule) {
    // A plain thread (here the test's) wakes a detached task by value after the runtime let go
    // of its scheduler: the task's cell holds the last reference. A real `schedule` still
    // touches the scheduler after publishing the task (the remote count, the unpark), so the
    // task must not be able to complete and free its cell before `schedule` returns.
    RunsAtOnceScheduler scheduler;
    std::atomic<bool> flag{false}, stored{false};
    weft::Waker parked;
    auto waiter = [&]() -> weft::Task<> { co_await WaitForFlag(flag, parked, stored); };
    auto* cell =
        new weft::detail::TaskCell<void>(waiter(), &scheduler, "waiter", std::source_location::current());
    cell->release();  // the JoinHandle's reference: detached
    cell->run();      // the first poll parks on the flag and gives back the queue's reference
    ASSERT_TRUE(stored.load());
    scheduler.release_scheduler_ref();  // the runtime's
    flag.store(true);
    parked.wake_and_reset();
    EXPECT_FALSE(scheduler.destroyed_while_scheduling) << "the cell was freed inside schedule";
    EXPECT_EQ(scheduler.destroyed.load(), 1) << "the last reference went after schedule";
}

}  // namespace
