// Races the scheduler must survive, with bounded iteration counts so that they finish quickly
// under ThreadSanitizer too: wakes from other threads while a task runs, after it completed,
// concurrently with abort; stealing under a spawn storm; shutdown while work is in flight.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/timeout.hpp>

#include "support/live_tasks.hpp"

namespace {

/// A leaf completed from another thread: `fire()` sets the flag and wakes the stored waker.
class ExternalEvent {
public:
    class Awaiter final : public weft::detail::LeafAwaiter {
    public:
        explicit Awaiter(ExternalEvent& e) : e_(e) {}
        ~Awaiter() {
            std::lock_guard lock(e_.mutex_);
            e_.waker_.reset();
        }
        bool await_ready() const noexcept { return e_.fired_.load(); }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(e_.mutex_);
            if (e_.fired_.load()) return false;
            e_.waker_ = h.promise().context->waker();
            suspend_here(h);
            return true;
        }
        void await_resume() const noexcept {}
        bool ready() noexcept override { return e_.fired_.load(); }

    private:
        ExternalEvent& e_;
    };

    Awaiter wait() { return Awaiter(*this); }
    void fire() {
        weft::Waker w, again;
        {
            std::lock_guard lock(mutex_);
            fired_.store(true);
            w = waker_;  // copies: woken below while the task may be queued, running or done
            again = waker_;
        }
        w.wake_and_reset();  // by value: the copy's reference may become the run queue's
        again.wake();        // a second wake: harmless whether the task is queued, running or done
    }

private:
    std::mutex mutex_;
    std::atomic<bool> fired_{false};
    weft::Waker waker_;
};

weft::Runtime multi(std::size_t n) {
    return weft::Runtime::Builder::multi_thread().worker_threads(n).build();
}

TEST(SchedulerStress, WakesFromOtherThreadsWhileRunningAndAfterCompletion) {
    auto rt = multi(2);
    auto handle = rt.handle();
    constexpr int tasks = 300;
    std::vector<std::unique_ptr<ExternalEvent>> events;
    for (int i = 0; i < tasks; ++i) events.push_back(std::make_unique<ExternalEvent>());
    std::atomic<int> finished{0};
    std::vector<weft::JoinHandle<void>> hs;
    auto body = [](ExternalEvent& e, std::atomic<int>& done) -> weft::Task<> {
        co_await weft::yield_now();  // give the firing thread a chance to race the first poll
        co_await e.wait();
        co_await weft::yield_now();
        ++done;
    };
    for (int i = 0; i < tasks; ++i) hs.push_back(handle.spawn(body(*events[i], finished)));
    std::thread firer([&] {
        for (auto& e : events) e->fire();
    });
    firer.join();
    weft::block_on([](std::vector<weft::JoinHandle<void>>& v) -> weft::Task<> {
        for (auto& h : v) (void)co_await h;
    }(hs));
    EXPECT_EQ(finished.load(), tasks);
    // Wake every task again now that they are complete: nothing may happen.
    for (auto& e : events) e->fire();
    EXPECT_EQ(weft::test::settled_live_tasks(rt), 0u);
}

TEST(SchedulerStress, AbortRacesWithWakes) {
    auto rt = multi(2);
    auto handle = rt.handle();
    for (int round = 0; round < 100; ++round) {
        auto e = std::make_unique<ExternalEvent>();
        auto body = [](ExternalEvent& e) -> weft::Task<int> {
            co_await e.wait();
            co_return 1;
        };
        auto h = handle.spawn(body(*e));
        std::thread firer([&] { e->fire(); });
        std::thread aborter([&] { h.abort(); });
        firer.join();
        aborter.join();
        auto outcome = weft::block_on([](weft::JoinHandle<int>& h) -> weft::Task<int> {
            auto r = co_await h;
            co_return r ? *r : (r.error().is_cancelled() ? 0 : -1);
        }(h));
        ASSERT_TRUE(outcome == 0 || outcome == 1);  // either won, never both, never neither
    }
    EXPECT_EQ(weft::test::settled_live_tasks(rt), 0u);
}

TEST(SchedulerStress, StealingUnderASpawnStormLosesNoTask) {
    auto rt = multi(3);  // more workers than cores: preemption in the middle of a steal
    auto root = []() -> weft::Task<long> {
        std::atomic<long> sum{0};
        std::vector<weft::JoinHandle<void>> spawners;
        for (int s = 0; s < 4; ++s) {
            spawners.push_back(weft::spawn([](std::atomic<long>& sum, int s) -> weft::Task<> {
                std::vector<weft::JoinHandle<void>> hs;
                for (int i = 0; i < 2000; ++i) {
                    hs.push_back(weft::spawn([](std::atomic<long>& sum, long v) -> weft::Task<> {
                        if (v % 7 == 0) co_await weft::yield_now();
                        sum += v;
                    }(sum, s * 2000 + i)));
                }
                for (auto& h : hs) (void)co_await h;
            }(sum, s)));
        }
        for (auto& h : spawners) (void)co_await h;
        co_return sum.load();
    };
    constexpr long n = 8000;
    EXPECT_EQ(rt.block_on(root()), n * (n - 1) / 2);
}

// Spawns from outside the workers, each awaited under a timeout registered from the same
// thread: registering the timer interrupts the worker blocked in the driver, which then finds
// nothing for itself and parks again, just as the spawn's notification looks for a sleeper.
// Every spawn must still run. (A notifier that took a worker off the sleepers list between its
// two checks once leaked the "searching" count; from then on notify_parked believed someone was
// searching and woke nobody, stranding the inject queue.)
TEST(SchedulerStress, RemoteSpawnsRacingDriverWakeupsAreNeverStranded) {
    using namespace std::chrono_literals;
    auto rt = multi(2);
    auto root = []() -> weft::Task<int> {
        for (int i = 0; i < 4000; ++i) {
            auto h = weft::spawn([]() -> weft::Task<> { co_return; }());
            auto joined = co_await weft::time::timeout(10s, h);
            if (!joined) co_return i;  // stranded: the timeout fired first
        }
        co_return -1;
    };
    EXPECT_EQ(rt.block_on(root()), -1) << "a spawn from outside the workers was never run";
}

// The joiner's waker has no lock: the joiner owns it while JOIN_WAKER is clear and the
// completer takes it if the bit was set when it published COMPLETE. Here a joiner registers
// and drops its waker over and over (a timeout of zero gives up right after the first poll)
// while the task finishes on the other worker: every result arrives once, no waker is lost
// (the last await would hang) and none outlives its task (settled_live_tasks).
TEST(SchedulerStress, JoinWakersRegisteredAndDroppedWhileTasksCompleteElsewhere) {
    using namespace std::chrono_literals;
    auto rt = multi(2);
    auto root = []() -> weft::Task<long> {
        long sum = 0;
        for (int i = 0; i < 2000; ++i) {
            auto h = weft::spawn([](int i) -> weft::Task<int> {
                for (int k = 0; k < i % 4; ++k) co_await weft::yield_now();
                co_return i;
            }(i));
            for (;;) {
                auto joined = co_await weft::time::timeout(0ms, h);
                if (joined) {
                    sum += joined->value();
                    break;
                }
            }
            if (i % 2 == 0) continue;
            // And a join that waits to the end, its waker taken by the completer.
            auto h2 = weft::spawn([](int i) -> weft::Task<int> {
                co_await weft::yield_now();
                co_return i;
            }(i));
            sum -= (co_await h2).value();
        }
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(root()), 999000);  // 0 + 2 + ... + 1998: each odd i is added and taken off
    EXPECT_EQ(weft::test::settled_live_tasks(rt), 0u);
}

TEST(SchedulerStress, ShutdownWhileOtherThreadsKeepWaking) {
    for (int round = 0; round < 20; ++round) {
        std::vector<std::unique_ptr<ExternalEvent>> events;
        for (int i = 0; i < 50; ++i) events.push_back(std::make_unique<ExternalEvent>());
        std::atomic<bool> stop{false};
        std::thread firer;
        {
            auto rt = multi(2);
            auto handle = rt.handle();
            auto body = [](ExternalEvent& e) -> weft::Task<> {
                co_await e.wait();
                for (;;) co_await weft::yield_now();  // still running at shutdown
            };
            for (auto& e : events) handle.spawn(body(*e)).detach();
            firer = std::thread([&] {
                for (auto& e : events) {
                    if (stop.load()) break;
                    e->fire();
                }
            });
        }  // runtime dropped while the firer may still be waking tasks
        stop = true;
        firer.join();
        for (auto& e : events) e->fire();  // wakes after shutdown: harmless
    }
}

TEST(SchedulerStress, CurrentThreadRuntimeTakesWakesFromManyThreads) {
    weft::Runtime rt;
    constexpr int tasks = 200;
    std::vector<std::unique_ptr<ExternalEvent>> events;
    for (int i = 0; i < tasks; ++i) events.push_back(std::make_unique<ExternalEvent>());
    auto root = [&]() -> weft::Task<int> {
        std::vector<weft::JoinHandle<int>> hs;
        for (auto& e : events) {
            hs.push_back(weft::spawn_local([](ExternalEvent& e) -> weft::Task<int> {
                co_await e.wait();
                co_return 1;
            }(*e)));
        }
        std::vector<std::thread> firers;
        for (int t = 0; t < 4; ++t) {
            firers.emplace_back([&, t] {
                for (int i = t; i < tasks; i += 4) events[i]->fire();
            });
        }
        int n = 0;
        for (auto& h : hs) n += (co_await h).value();
        for (auto& f : firers) f.join();
        co_return n;
    };
    EXPECT_EQ(rt.block_on(root()), tasks);
}

}  // namespace
