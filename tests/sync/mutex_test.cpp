#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/mutex.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::Mutex;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

weft::Task<> append(Mutex<std::vector<int>>& m, int v) {
    auto g = co_await m.lock();
    g->push_back(v);
}

TEST(Mutex, LockGivesAccessToTheValue) {
    weft::Runtime rt;
    Mutex<std::string> m("a");
    auto main = [&]() -> weft::Task<std::string> {
        {
            auto g = co_await m.lock();
            *g += "b";
            g->push_back('c');
        }
        auto g = co_await m.lock();
        co_return *g;
    };
    EXPECT_EQ(rt.block_on(main()), "abc");
}

TEST(Mutex, GuardHeldAcrossAnAwaitKeepsOthersOut) {
    auto rt = weft::sync::test::paused_runtime();
    Mutex<std::vector<int>> m;
    auto holder = [](Mutex<std::vector<int>>& m) -> weft::Task<> {
        auto g = co_await m.lock();
        g->push_back(1);
        co_await weft::time::sleep(10ms);  // another task runs meanwhile, and must wait
        g->push_back(2);
    };
    auto main = [&]() -> weft::Task<> {
        auto a = weft::spawn_local(holder(m));
        co_await settle();
        auto b = weft::spawn_local(append(m, 3));
        co_await a;
        co_await b;
    };
    rt.block_on(main());
    EXPECT_EQ(m.get_mut(), (std::vector<int>{1, 2, 3}));
}

TEST(Mutex, TryLockFailsWhileLocked) {
    Mutex<int> m(0);
    auto g = m.try_lock();
    ASSERT_TRUE(g);
    EXPECT_FALSE(m.try_lock());
    g.reset();
    EXPECT_TRUE(m.try_lock());
}

TEST(Mutex, ExplicitUnlockEmptiesTheGuard) {
    Mutex<int> m(0);
    auto g = m.try_lock();
    ASSERT_TRUE(g);
    g->unlock();
    EXPECT_TRUE(m.try_lock());
}

TEST(Mutex, WaitersGetTheLockInArrivalOrder) {
    weft::Runtime rt;
    Mutex<std::vector<int>> m;
    auto main = [&]() -> weft::Task<> {
        auto first = m.try_lock();
        std::vector<weft::JoinHandle<void>> hs;
        for (int i = 0; i < 5; ++i) {
            hs.push_back(weft::spawn_local(append(m, i)));
            co_await settle(1);
        }
        EXPECT_FALSE(m.try_lock());  // no barging past the queue, even when it is handed over
        first.reset();
        EXPECT_FALSE(m.try_lock());  // handed straight to the first waiter
        for (auto& h : hs) co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(m.get_mut(), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Mutex, LockCancelledWhileWaitingLeavesNothingLocked) {
    auto rt = weft::sync::test::paused_runtime();
    Mutex<std::vector<int>> m;
    auto main = [&]() -> weft::Task<> {
        auto held = m.try_lock();
        auto r = co_await weft::time::timeout(10ms, append(m, 1));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        held.reset();
        EXPECT_TRUE(m.try_lock());
        co_await append(m, 2);
    };
    rt.block_on(main());
    EXPECT_EQ(m.get_mut(), (std::vector<int>{2}));
}

TEST(Mutex, LockCancelledAfterTheHandoffPassesItOn) {
    weft::Runtime rt;
    Mutex<std::vector<int>> m;
    auto main = [&]() -> weft::Task<> {
        auto held = m.try_lock();
        auto a = weft::spawn_local(append(m, 1));
        co_await settle();
        auto b = weft::spawn_local(append(m, 2));
        co_await settle();
        held.reset();  // the lock goes to `a`, which is woken...
        a.abort();     // ...and destroyed before it runs
        (void)co_await a;
        co_await b;
        EXPECT_TRUE(m.try_lock());
    };
    rt.block_on(main());
    EXPECT_EQ(m.get_mut(), (std::vector<int>{2}));
}

TEST(MutexThreads, RuntimesOnSeveralThreadsIncrementExactly) {
    // A plain (non-atomic) counter guarded only by the async mutex, held across a yield: the
    // total is exact, and TSan checks that each handoff orders the accesses.
    constexpr int threads = 4;
    constexpr int tasks_per_thread = 2;
    constexpr int rounds = 1000;
    Mutex<long> m(0);
    auto worker = [](Mutex<long>& m) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            auto g = co_await m.lock();
            long v = *g;
            co_await weft::yield_now();
            *g = v + 1;
        }
    };
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            weft::Runtime rt;
            auto main = [&]() -> weft::Task<> {
                std::vector<weft::JoinHandle<void>> hs;
                for (int k = 0; k < tasks_per_thread; ++k) hs.push_back(weft::spawn_local(worker(m)));
                for (auto& h : hs) EXPECT_TRUE(co_await h);
            };
            rt.block_on(main());
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(m.get_mut(), threads * tasks_per_thread * rounds);
}

TEST(MutexMultiThread, TasksOnWorkersIncrementExactly) {
    constexpr int tasks = 8;
    constexpr int rounds = 1'000;
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    Mutex<long> m(0);
    auto worker = [](Mutex<long>& m) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            auto g = co_await m.lock();
            long v = *g;
            if (i % 8 == 0) co_await weft::yield_now();  // held across a suspension, maybe a migration
            *g = v + 1;
        }
    };
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> hs;
        for (int k = 0; k < tasks; ++k) hs.push_back(weft::spawn(worker(m)));
        for (auto& h : hs) EXPECT_TRUE(co_await h);
    };
    rt.block_on(main());
    EXPECT_EQ(m.get_mut(), tasks * rounds);
}

}  // namespace
