#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/semaphore.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::Semaphore;
using weft::sync::SemaphorePermit;
using weft::sync::TryAcquireError;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

/// Acquires `n`, records its id in `order`, holds the permits until `release` is set.
weft::Task<bool> take(Semaphore& sem, std::size_t n, int id, std::vector<int>* order) {
    auto p = co_await sem.acquire_many(n);
    if (!p) co_return false;
    if (order) order->push_back(id);
    co_return p->count() == n;
}

/// Acquires `n` and keeps the permits (forgets them), so a test can count what is left.
weft::Task<bool> take_and_keep(Semaphore& sem, std::size_t n) {
    auto p = co_await sem.acquire_many(n);
    if (!p) co_return false;
    p->forget();
    co_return true;
}

TEST(Semaphore, ANamedAcquireAwaitedAgainAfterALostTimeoutKeepsItsPlace) {
    // The first await times out with the awaiter still queued; awaiting it again must not queue
    // it twice, which would cut out the waiter behind it.
    auto rt = weft::sync::test::paused_runtime();
    Semaphore sem(0);
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto acquire = sem.acquire();
        auto first = co_await weft::time::timeout(5ms, acquire);
        auto other = weft::spawn_local(take(sem, 1, 2, nullptr));
        co_await weft::yield_now();  // it queues, behind the first
        auto releaser = weft::spawn_local(weft::sync::test::after(5ms, [&sem] { sem.add_permits(2); }));
        auto second = co_await weft::time::timeout(1s, acquire);
        auto other_done = co_await weft::time::timeout(1s, std::move(other));
        co_await releaser;
        co_return std::pair{!first, second.has_value() && other_done && *other_done && **other_done};
    };
    auto [first_timed_out, both_acquired] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(both_acquired);
    EXPECT_EQ(sem.available_permits(), 2u);
}

TEST(Semaphore, ANamedAcquireGrantedWhileItsAwaitWasAbandonedTakesThePermitWhenAwaitedAgain) {
    auto rt = weft::sync::test::paused_runtime();
    Semaphore sem(0);
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto acquire = sem.acquire();
        auto first = co_await weft::time::timeout(5ms, acquire);
        sem.add_permits(1);  // assigned to the queued awaiter
        auto second = co_await weft::time::timeout(1s, acquire);
        co_return std::pair{!first, second.has_value()};
    };
    auto [first_timed_out, acquired] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(acquired) << "the permit assigned to it was lost";
    EXPECT_EQ(sem.available_permits(), 1u);
}

TEST(Semaphore, PermitIsReturnedWhenDestroyed) {
    weft::Runtime rt;
    Semaphore sem(2);
    auto main = [&]() -> weft::Task<> {
        {
            auto p = co_await sem.acquire();
            EXPECT_TRUE(p);
            EXPECT_EQ(p->count(), 1u);
            EXPECT_EQ(sem.available_permits(), 1u);
        }
        EXPECT_EQ(sem.available_permits(), 2u);
    };
    rt.block_on(main());
}

TEST(Semaphore, TryAcquireTakesOnlyWhatIsFree) {
    Semaphore sem(3);
    auto a = sem.try_acquire(2);
    ASSERT_TRUE(a);
    auto b = sem.try_acquire(2);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error(), TryAcquireError::no_permits);
    auto c = sem.try_acquire();
    ASSERT_TRUE(c);
    EXPECT_EQ(sem.available_permits(), 0u);
    a->release();
    EXPECT_EQ(sem.available_permits(), 2u);
    EXPECT_EQ(a->count(), 0u);
}

TEST(Semaphore, AcquireWaitsForARelease) {
    weft::Runtime rt;
    Semaphore sem(0);
    auto main = [&]() -> weft::Task<bool> {
        auto h = weft::spawn_local(take(sem, 1, 0, nullptr));
        co_await settle();
        EXPECT_FALSE(h.is_finished());
        sem.add_permits(1);
        co_return (co_await h).value();
    };
    EXPECT_TRUE(rt.block_on(main()));
    EXPECT_EQ(sem.available_permits(), 1u);
}

TEST(Semaphore, WaitersAreServedInArrivalOrder) {
    weft::Runtime rt;
    Semaphore sem(0);
    std::vector<int> order;
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<bool>> hs;
        for (int i = 0; i < 5; ++i) {
            hs.push_back(weft::spawn_local(take(sem, 1, i, &order)));
            co_await settle(1);
        }
        for (int i = 0; i < 5; ++i) {
            sem.add_permits(1);
            co_await settle(1);
        }
        for (auto& h : hs) EXPECT_TRUE((co_await h).value());
    };
    rt.block_on(main());
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Semaphore, LargeAcquireAtTheHeadBlocksLaterSmallOnes) {
    weft::Runtime rt;
    Semaphore sem(1);
    std::vector<int> order;
    auto main = [&]() -> weft::Task<> {
        auto big = weft::spawn_local(take(sem, 3, 1, &order));
        co_await settle();
        auto small = weft::spawn_local(take(sem, 1, 2, &order));
        co_await settle();
        EXPECT_EQ(sem.available_permits(), 0u);  // the head took the free one towards its 3
        auto barge = sem.try_acquire();
        EXPECT_TRUE(!barge && barge.error() == TryAcquireError::no_permits);
        sem.add_permits(1);
        co_await settle();
        EXPECT_TRUE(order.empty());  // 2 of 3 assigned; the small one still may not pass
        sem.add_permits(1);
        co_await big;  // satisfied first; returning its 3 permits lets the small one through
        co_await small;
    };
    rt.block_on(main());
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_EQ(sem.available_permits(), 3u);
}

TEST(Semaphore, AcquireCancelledWhileWaitingPassesOnItsPartialPermits) {
    auto rt = weft::sync::test::paused_runtime();
    Semaphore sem(2);
    auto main = [&]() -> weft::Task<> {
        auto r = co_await weft::time::timeout(10ms, take_and_keep(sem, 5));  // takes 2, waits for 3
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        EXPECT_EQ(sem.available_permits(), 2u);  // both came back
    };
    rt.block_on(main());
}

TEST(Semaphore, PartialPermitsOfACancelledWaiterGoToTheNextOne) {
    weft::Runtime rt;
    Semaphore sem(2);
    auto main = [&]() -> weft::Task<> {
        auto big = weft::spawn_local(take_and_keep(sem, 5));  // holds 2 of 5
        co_await settle();
        auto small = weft::spawn_local(take_and_keep(sem, 1));
        co_await settle();
        EXPECT_FALSE(small.is_finished());
        big.abort();
        auto jb = co_await big;
        EXPECT_TRUE(!jb && jb.error().is_cancelled());
        EXPECT_TRUE((co_await small).value());  // got one of the two handed back
        EXPECT_EQ(sem.available_permits(), 1u);
    };
    rt.block_on(main());
}

TEST(Semaphore, AcquireCancelledAfterBeingGrantedPassesThePermitOn) {
    weft::Runtime rt;
    Semaphore sem(0);
    auto main = [&]() -> weft::Task<> {
        auto a = weft::spawn_local(take_and_keep(sem, 1));
        co_await settle();
        auto b = weft::spawn_local(take_and_keep(sem, 1));
        co_await settle();
        sem.add_permits(1);  // assigned to `a`, which is woken...
        a.abort();           // ...and destroyed before it runs
        (void)co_await a;
        EXPECT_TRUE((co_await b).value());
        EXPECT_EQ(sem.available_permits(), 0u);  // b kept it; none leaked, none doubled
        sem.add_permits(1);
        EXPECT_EQ(sem.available_permits(), 1u);
    };
    rt.block_on(main());
}

TEST(Semaphore, GrantedPermitOfACancelledAcquireIsFreeWhenNobodyElseWaits) {
    weft::Runtime rt;
    Semaphore sem(0);
    auto main = [&]() -> weft::Task<> {
        auto a = weft::spawn_local(take_and_keep(sem, 2));
        co_await settle();
        sem.add_permits(2);
        a.abort();
        (void)co_await a;
        EXPECT_EQ(sem.available_permits(), 2u);
    };
    rt.block_on(main());
}

TEST(Semaphore, CloseFailsWaitersAndLaterAcquiresButHeldPermitsStillReturn) {
    weft::Runtime rt;
    Semaphore sem(1);
    auto main = [&]() -> weft::Task<> {
        auto held = sem.try_acquire();
        EXPECT_TRUE(held);
        auto w = weft::spawn_local(take(sem, 1, 0, nullptr));
        co_await settle();
        sem.close();
        EXPECT_TRUE(sem.is_closed());
        EXPECT_FALSE((co_await w).value());
        auto later = co_await sem.acquire();
        EXPECT_TRUE(!later && later.error() == weft::Errc::closed);
        EXPECT_EQ(sem.try_acquire().error(), TryAcquireError::closed);
        held = std::unexpected(TryAcquireError::closed);  // drop the held permit
        EXPECT_EQ(sem.available_permits(), 1u);
    };
    rt.block_on(main());
}

TEST(Semaphore, CloseReturnsPartialPermitsOfWaiters) {
    weft::Runtime rt;
    Semaphore sem(2);
    auto main = [&]() -> weft::Task<> {
        auto w = weft::spawn_local(take(sem, 4, 0, nullptr));
        co_await settle();
        EXPECT_EQ(sem.available_permits(), 0u);
        sem.close();
        EXPECT_EQ(sem.available_permits(), 2u);
        EXPECT_FALSE((co_await w).value());
    };
    rt.block_on(main());
}

TEST(Semaphore, OneReleaseCanWakeMoreWaitersThanOneBatch) {
    weft::Runtime rt;
    Semaphore sem(0);
    constexpr int n = 100;  // > WakeList::capacity
    auto main = [&]() -> weft::Task<int> {
        std::vector<weft::JoinHandle<bool>> hs;
        for (int i = 0; i < n; ++i) hs.push_back(weft::spawn_local(take_and_keep(sem, 1)));
        co_await settle();
        sem.add_permits(n + 1);
        int ok = 0;
        for (auto& h : hs) ok += (co_await h).value();
        co_return ok;
    };
    EXPECT_EQ(rt.block_on(main()), n);
    EXPECT_EQ(sem.available_permits(), 1u);
}

TEST(Semaphore, ForgetAndLimits) {
    Semaphore sem(5);
    {
        auto p = sem.try_acquire(2);
        ASSERT_TRUE(p);
        p->forget();
    }
    EXPECT_EQ(sem.available_permits(), 3u);
    EXPECT_EQ(sem.forget_permits(10), 3u);
    EXPECT_EQ(sem.available_permits(), 0u);
    EXPECT_THROW(Semaphore(Semaphore::max_permits + 1), std::invalid_argument);
    EXPECT_THROW((void)sem.acquire_many(Semaphore::max_permits + 1), std::invalid_argument);
    sem.add_permits(Semaphore::max_permits);
    EXPECT_THROW(sem.add_permits(1), std::overflow_error);
}

TEST(Semaphore, ZeroPermitAcquireCompletesAtOnce) {
    weft::Runtime rt;
    Semaphore sem(0);
    auto main = [&]() -> weft::Task<bool> {
        auto p = co_await sem.acquire_many(0);
        co_return p && p->count() == 0;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

weft::Task<> abort_it(weft::JoinHandle<void>* h) {
    h->abort();
    co_return;
}

TEST(Semaphore, AcquireLoopYieldsOnItsBudgetAndACancelledYieldKeepsNoPermit) {
    weft::Runtime rt;
    Semaphore sem(1000);
    auto greedy = [](Semaphore& sem) -> weft::Task<> {
        for (;;) (void)co_await take_and_keep(sem, 1);  // never has to wait
    };
    auto main = [&]() -> weft::Task<> {
        auto g = weft::spawn_local(greedy(sem));
        auto aborter = weft::spawn_local(abort_it(&g));  // runs when `greedy` yields
        co_await aborter;
        (void)co_await g;
    };
    rt.block_on(main());
    EXPECT_EQ(sem.available_permits(), 1000u - weft::detail::coop::initial_budget);
}

TEST(SemaphoreThreads, RuntimesOnSeveralThreadsNeverExceedThePermits) {
    constexpr int threads = 4;
    constexpr int tasks_per_thread = 3;
    constexpr int rounds = 300;
    Semaphore sem(2);
    std::atomic<int> holders{0};
    std::atomic<int> max_holders{0};
    std::atomic<int> completed{0};
    auto worker = [](Semaphore& sem, std::atomic<int>& holders, std::atomic<int>& max_holders,
                     std::atomic<int>& completed) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            auto p = co_await sem.acquire();
            int now = holders.fetch_add(1) + 1;
            int seen = max_holders.load();
            while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
            }
            co_await weft::yield_now();
            holders.fetch_sub(1);
            completed.fetch_add(1);
        }
    };
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            weft::Runtime rt;
            auto main = [&]() -> weft::Task<> {
                std::vector<weft::JoinHandle<void>> hs;
                for (int k = 0; k < tasks_per_thread; ++k)
                    hs.push_back(weft::spawn_local(worker(sem, holders, max_holders, completed)));
                for (auto& h : hs) EXPECT_TRUE(co_await h);
            };
            rt.block_on(main());
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(completed.load(), threads * tasks_per_thread * rounds);
    EXPECT_LE(max_holders.load(), 2);
    EXPECT_EQ(sem.available_permits(), 2u);
}

TEST(SemaphoreThreads, CancelledAcquiresOnOtherThreadsLeakNothing) {
    // Each thread's acquires race a short real timeout, so some are destroyed while queued and
    // some just after permits were assigned to them. Whatever the interleaving, every permit
    // must be back at the end.
    constexpr int threads = 3;
    constexpr int rounds = 150;
    Semaphore sem(3);
    auto worker = [](Semaphore& sem) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            auto hold = [](Semaphore& sem, std::size_t n) -> weft::Task<> {
                auto p = co_await sem.acquire_many(n);
                co_await weft::time::sleep(300us);  // sometimes cancelled while holding, too
            };
            (void)co_await weft::time::timeout(1ms, hold(sem, 1 + i % 3));
        }
    };
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            weft::Runtime rt;
            rt.block_on(worker(sem));
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(sem.available_permits(), 3u);
}

TEST(SemaphoreThreads, PlainThreadsWithBlockOn) {
    Semaphore sem(1);
    int counter = 0;  // guarded by the semaphore: TSan checks the handoff orders the accesses
    auto work = [](Semaphore& sem, int& counter) -> weft::Task<> {
        for (int i = 0; i < 500; ++i) {
            auto p = co_await sem.acquire();
            ++counter;
        }
    };
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t) ts.emplace_back([&] { weft::block_on(work(sem, counter)); });
    for (auto& t : ts) t.join();
    EXPECT_EQ(counter, 1500);
}

TEST(SemaphoreMultiThread, TasksOnWorkersNeverExceedThePermits) {
    constexpr int tasks = 8;
    constexpr int rounds = 500;
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    Semaphore sem(3);
    std::atomic<int> holders{0};
    std::atomic<int> max_holders{0};
    auto worker = [](Semaphore& sem, std::atomic<int>& holders,
                     std::atomic<int>& max_holders) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            auto p = co_await sem.acquire_many(1 + i % 2);
            int now = holders.fetch_add(static_cast<int>(p->count())) + static_cast<int>(p->count());
            int seen = max_holders.load();
            while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
            }
            co_await weft::yield_now();
            holders.fetch_sub(static_cast<int>(p->count()));
        }
    };
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> hs;
        for (int k = 0; k < tasks; ++k) hs.push_back(weft::spawn(worker(sem, holders, max_holders)));
        for (auto& h : hs) EXPECT_TRUE(co_await h);
    };
    rt.block_on(main());
    EXPECT_LE(max_holders.load(), 3);
    EXPECT_EQ(sem.available_permits(), 3u);
}

TEST(SemaphoreMultiThread, AbortsRacingPermitGrantsLeakNothing) {
    // Acquiring tasks on two workers queue on an empty semaphore; the root thread adds one
    // permit at a time and at once aborts a task near the head of the queue, so aborts race
    // the assignment of permits. A task that got its permits counts them before it can
    // suspend again (before an abort can take effect) and keeps them; every other permit
    // must be back in the semaphore at the end.
    constexpr int tasks = 200;
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    Semaphore sem(0);
    std::atomic<std::size_t> kept{0};
    auto worker = [](Semaphore& sem, std::size_t n, std::atomic<std::size_t>& kept) -> weft::Task<> {
        auto p = co_await sem.acquire_many(n);
        if (!p) co_return;
        kept.fetch_add(n);
        p->forget();
    };
    std::size_t added = 0;
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> hs;
        for (int i = 0; i < tasks; ++i) {
            hs.push_back(weft::spawn(worker(sem, 1 + i % 2, kept)));
            if (i % 16 == 0) co_await weft::yield_now();
        }
        for (int i = 0; i < tasks; ++i) {
            sem.add_permits(1);
            ++added;
            if (i % 2 == 0) hs[i / 2].abort();
            co_await weft::yield_now();
        }
        for (auto& h : hs) h.abort();  // the rest too
        for (auto& h : hs) (void)co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(sem.available_permits() + kept.load(), added);
}

}  // namespace
