#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/notify.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::Notify;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

weft::Task<> wait_and_record(Notify& n, int id, std::vector<int>* order) {
    co_await n.notified();
    order->push_back(id);
}

TEST(Notify, NotifyOneWakesAWaitingTask) {
    weft::Runtime rt;
    Notify n;
    std::vector<int> order;
    auto main = [&]() -> weft::Task<> {
        auto h = weft::spawn_local(wait_and_record(n, 1, &order));
        co_await settle();
        EXPECT_TRUE(order.empty());
        n.notify_one();
        co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(order, (std::vector<int>{1}));
}

TEST(Notify, ANamedNotifiedAwaitedAgainAfterALostTimeoutKeepsItsPlace) {
    // The first await times out with the awaiter still queued; awaiting it again must not queue
    // it twice, which would cut out the waiter behind it.
    auto rt = weft::sync::test::paused_runtime();
    Notify n;
    std::vector<int> order;
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto notified = n.notified();
        auto first = co_await weft::time::timeout(5ms, notified);
        auto other = weft::spawn_local(wait_and_record(n, 2, &order));
        co_await weft::yield_now();  // it queues, behind the first
        auto notifier = weft::spawn_local(weft::sync::test::after(5ms, [&n] {
            n.notify_one();
            n.notify_one();
        }));
        auto second = co_await weft::time::timeout(1s, notified);
        auto other_done = co_await weft::time::timeout(1s, std::move(other));
        co_await notifier;
        co_return std::pair{!first, second.has_value() && other_done.has_value()};
    };
    auto [first_timed_out, both_woken] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(both_woken);
    EXPECT_EQ(order, std::vector<int>{2});
}

TEST(Notify, ANamedNotifiedChosenWhileItsAwaitWasAbandonedCompletesWhenAwaitedAgain) {
    // notify_one picks the awaiter after its first await was given up: the notification is
    // its, so awaiting it again completes at once instead of waiting for another.
    auto rt = weft::sync::test::paused_runtime();
    Notify n;
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto notified = n.notified();
        auto first = co_await weft::time::timeout(5ms, notified);
        n.notify_one();
        auto second = co_await weft::time::timeout(1s, notified);
        co_return std::pair{!first, second.has_value()};
    };
    auto [first_timed_out, second_completed] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(second_completed) << "the notification was lost";
}

TEST(Notify, NotifyOneWithoutWaitersStoresOnePermit) {
    Notify n;
    auto main = [&]() -> weft::Task<bool> {
        n.notify_one();
        n.notify_one();         // still one permit
        co_await n.notified();  // consumes it at once
        auto second =
            co_await weft::time::timeout(10ms, [](Notify& n) -> weft::Task<> { co_await n.notified(); }(n));
        co_return !second && weft::is_timeout(second.error());
    };
    auto rt = weft::sync::test::paused_runtime();
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Notify, NotifyOneWakesWaitersInArrivalOrder) {
    weft::Runtime rt;
    Notify n;
    std::vector<int> order;
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> hs;
        for (int i = 0; i < 4; ++i) {
            hs.push_back(weft::spawn_local(wait_and_record(n, i, &order)));
            co_await settle(1);
        }
        for (int i = 0; i < 4; ++i) {
            n.notify_one();
            co_await settle();
            EXPECT_EQ(order.size(), static_cast<std::size_t>(i + 1));
        }
        for (auto& h : hs) co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Notify, NotifyWaitersWakesEveryoneAndStoresNoPermit) {
    auto rt = weft::sync::test::paused_runtime();
    Notify n;
    std::vector<int> order;
    auto main = [&]() -> weft::Task<bool> {
        std::vector<weft::JoinHandle<void>> hs;
        for (int i = 0; i < 50; ++i) hs.push_back(weft::spawn_local(wait_and_record(n, i, &order)));
        co_await settle();
        n.notify_waiters();
        for (auto& h : hs) co_await h;
        auto later =
            co_await weft::time::timeout(10ms, [](Notify& n) -> weft::Task<> { co_await n.notified(); }(n));
        co_return order.size() == 50 && !later;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Notify, NotifiedCreatedBeforeNotifyWaitersCompletesEvenIfAwaitedAfter) {
    weft::Runtime rt;
    Notify n;
    auto main = [&]() -> weft::Task<bool> {
        auto notified = n.notified();
        n.notify_waiters();
        co_await notified;  // registered at creation: completes at once
        co_return true;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Notify, NotifiedCancelledAfterNotifyOneChoseItForwardsTheNotification) {
    weft::Runtime rt;
    Notify n;
    std::vector<int> order;
    auto main = [&]() -> weft::Task<> {
        auto a = weft::spawn_local(wait_and_record(n, 1, &order));
        co_await settle();
        auto b = weft::spawn_local(wait_and_record(n, 2, &order));
        co_await settle();
        n.notify_one();  // chooses `a`, which is woken...
        a.abort();       // ...and destroyed before it runs
        (void)co_await a;
        co_await b;  // the notification went on to `b`
    };
    rt.block_on(main());
    EXPECT_EQ(order, (std::vector<int>{2}));
}

TEST(Notify, ForwardedNotificationBecomesThePermitWhenNobodyElseWaits) {
    weft::Runtime rt;
    Notify n;
    auto main = [&]() -> weft::Task<bool> {
        std::vector<int> order;
        auto a = weft::spawn_local(wait_and_record(n, 1, &order));
        co_await settle();
        n.notify_one();
        a.abort();
        (void)co_await a;
        co_await n.notified();  // the permit is there: completes at once
        co_return order.empty();
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Notify, NotifiedCancelledWhileWaitingLeavesNoTrace) {
    auto rt = weft::sync::test::paused_runtime();
    Notify n;
    auto main = [&]() -> weft::Task<bool> {
        auto r =
            co_await weft::time::timeout(10ms, [](Notify& n) -> weft::Task<> { co_await n.notified(); }(n));
        EXPECT_FALSE(r);
        n.notify_one();  // no waiter left: stored as the permit
        co_await n.notified();
        co_return true;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(NotifyThreads, PingPongAcrossRuntimesOnTwoThreads) {
    // Two runtimes on two threads take turns through two Notify objects; the shared counter is
    // plain, ordered only by the notifications (TSan checks the happens-before).
    constexpr int rounds = 2'000;
    Notify ping, pong;
    int counter = 0;
    auto player = [](Notify& wait_on, Notify& signal, int& counter, bool first) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            if (!first || i > 0) co_await wait_on.notified();
            ++counter;
            signal.notify_one();
        }
    };
    std::thread a([&] {
        weft::Runtime rt;
        rt.block_on(player(ping, pong, counter, true));
    });
    std::thread b([&] {
        weft::Runtime rt;
        rt.block_on(player(pong, ping, counter, false));
    });
    a.join();
    b.join();
    EXPECT_EQ(counter, 2 * rounds);
}

TEST(NotifyMultiThread, PingPongBetweenTasksOnWorkers) {
    constexpr int rounds = 2'000;
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    Notify ping, pong;
    int counter = 0;
    auto player = [](Notify& wait_on, Notify& signal, int& counter, bool first) -> weft::Task<> {
        for (int i = 0; i < rounds; ++i) {
            if (!first || i > 0) co_await wait_on.notified();
            ++counter;
            signal.notify_one();
        }
    };
    auto main = [&]() -> weft::Task<> {
        auto a = weft::spawn(player(ping, pong, counter, true));
        auto b = weft::spawn(player(pong, ping, counter, false));
        co_await a;
        co_await b;
    };
    rt.block_on(main());
    EXPECT_EQ(counter, 2 * rounds);
}

}  // namespace
