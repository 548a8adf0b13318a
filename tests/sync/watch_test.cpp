#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/watch.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
namespace watch = weft::sync::watch;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

weft::Task<int> next_value(watch::Receiver<int>& rx) {
    auto r = co_await rx.changed();
    if (!r) co_return -1;
    co_return *rx.borrow();
}

TEST(Watch, InitialValueIsVisibleAndCountsAsSeen) {
    auto [tx, rx] = watch::channel(std::string("v1"));
    EXPECT_EQ(*rx.borrow(), "v1");
    EXPECT_EQ(*tx.borrow(), "v1");
    EXPECT_FALSE(rx.has_changed());
    EXPECT_EQ(rx.borrow()->size(), 2u);
}

TEST(Watch, ChangedCompletesOnASendAndMarksItSeen) {
    weft::Runtime rt;
    auto [tx, rx] = watch::channel(0);
    auto main = [&]() -> weft::Task<> {
        auto h = weft::spawn_local(next_value(rx));
        co_await settle();
        EXPECT_FALSE(h.is_finished());
        EXPECT_TRUE(tx.send(5));
        EXPECT_EQ((co_await h).value(), 5);
        EXPECT_FALSE(rx.has_changed());
    };
    rt.block_on(main());
}

TEST(Watch, SendsInQuickSuccessionCoalesceIntoTheLatest) {
    weft::Runtime rt;
    auto [tx, rx] = watch::channel(0);
    for (int i = 1; i <= 10; ++i) tx.send_replace(i);
    EXPECT_TRUE(rx.has_changed());
    EXPECT_EQ(rt.block_on(next_value(rx)), 10);
    EXPECT_FALSE(rx.has_changed());
}

TEST(Watch, BorrowAndUpdateMarksTheValueSeen) {
    auto [tx, rx] = watch::channel(1);
    tx.send_replace(2);
    EXPECT_TRUE(rx.has_changed());
    EXPECT_EQ(*rx.borrow(), 2);
    EXPECT_TRUE(rx.has_changed());  // borrow() alone does not mark it
    EXPECT_EQ(*rx.borrow_and_update(), 2);
    EXPECT_FALSE(rx.has_changed());
}

TEST(Watch, SendModifyAndSendIfModified) {
    auto [tx, rx] = watch::channel(std::vector<int>{});
    tx.send_modify([](std::vector<int>& v) { v.push_back(1); });
    EXPECT_TRUE(rx.has_changed());
    (void)rx.borrow_and_update();
    EXPECT_FALSE(tx.send_if_modified([](std::vector<int>&) { return false; }));
    EXPECT_FALSE(rx.has_changed());
    EXPECT_TRUE(tx.send_if_modified([](std::vector<int>& v) {
        v.push_back(2);
        return true;
    }));
    EXPECT_EQ(*rx.borrow_and_update(), (std::vector<int>{1, 2}));
}

TEST(Watch, SenderDroppedReportsClosedButAnUnseenValueFirst) {
    weft::Runtime rt;
    auto [tx, rx] = watch::channel(0);
    tx.send_replace(7);
    tx = {};
    EXPECT_TRUE(rx.is_closed());
    auto main = [&]() -> weft::Task<bool> {
        auto first = co_await rx.changed();
        EXPECT_TRUE(first);
        EXPECT_EQ(*rx.borrow(), 7);
        auto second = co_await rx.changed();
        co_return !second && second.error() == weft::Errc::closed;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Watch, SenderDroppedWakesWaitingReceivers) {
    weft::Runtime rt;
    auto [tx, rx] = watch::channel(0);
    auto main = [&]() -> weft::Task<int> {
        auto h = weft::spawn_local(next_value(rx));
        co_await settle();
        tx = {};
        co_return (co_await h).value();
    };
    EXPECT_EQ(rt.block_on(main()), -1);
}

TEST(Watch, SendFailsWithoutReceiversButSendReplaceStores) {
    auto [tx, rx] = watch::channel(0);
    rx = {};
    EXPECT_TRUE(tx.is_closed());
    auto r = tx.send(3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), 3);
    EXPECT_EQ(*tx.borrow(), 0);
    EXPECT_EQ(tx.send_replace(4), 0);
    EXPECT_EQ(*tx.borrow(), 4);
    auto late = tx.subscribe();
    EXPECT_EQ(tx.receiver_count(), 1u);
    EXPECT_FALSE(late.has_changed());  // subscribers start from the current value
    EXPECT_EQ(*late.borrow(), 4);
}

TEST(Watch, CopiedReceiversTrackTheirOwnVersion) {
    auto [tx, rx] = watch::channel(0);
    auto rx2 = rx;
    EXPECT_EQ(tx.receiver_count(), 2u);
    tx.send_replace(1);
    (void)rx.borrow_and_update();
    EXPECT_FALSE(rx.has_changed());
    EXPECT_TRUE(rx2.has_changed());
}

TEST(Watch, ChangedCancelledByTimeoutLeavesTheChangeForTheNextOne) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = watch::channel(0);
    auto main = [&]() -> weft::Task<int> {
        auto r = co_await weft::time::timeout(10ms, next_value(rx));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        tx.send_replace(9);  // must not touch the destroyed waiter
        co_return co_await next_value(rx);
    };
    EXPECT_EQ(rt.block_on(main()), 9);
}

TEST(Watch, ANamedChangedAwaitedAgainAfterALostTimeoutIsWokenByTheNextSend) {
    // The first await times out and leaves the awaiter registered; the second must not link it
    // twice (a node linked after itself: the send would loop or skip the other waiter).
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = watch::channel(0);
    auto other_rx = rx;
    auto main = [&]() -> weft::Task<std::pair<bool, int>> {
        auto changed = rx.changed();
        auto first = co_await weft::time::timeout(10ms, changed);
        auto other = weft::spawn_local(next_value(other_rx));  // waits behind it
        co_await weft::yield_now();                            // it registers, behind the first
        auto sender = weft::spawn_local(weft::sync::test::after(5ms, [&tx] { tx.send_replace(7); }));
        auto second = co_await weft::time::timeout(1s, changed);
        auto other_value = co_await weft::time::timeout(1s, std::move(other));
        co_await sender;
        const int seen = second ? *rx.borrow() : -1;
        co_return std::pair{!first && weft::is_timeout(first.error()),
                            other_value && *other_value ? seen + **other_value : -1};
    };
    auto [first_timed_out, sum] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_EQ(sum, 14) << "both receivers see the send once";
}

TEST(Watch, OneSendWakesEveryWaitingReceiver) {
    weft::Runtime rt;
    auto [tx, rx] = watch::channel(0);
    auto main = [&]() -> weft::Task<int> {
        std::vector<weft::JoinHandle<int>> hs;
        std::vector<watch::Receiver<int>> rxs(100, rx);
        for (auto& r : rxs) hs.push_back(weft::spawn_local(next_value(r)));
        co_await settle();
        tx.send_replace(1);
        int sum = 0;
        for (auto& h : hs) sum += (co_await h).value();
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(main()), 100);
}

TEST(Watch, SenderClosedCompletesWhenTheLastReceiverGoes) {
    weft::Runtime rt;
    auto [tx, rx] = watch::channel(0);
    auto drop_later = [](watch::Receiver<int> rx) -> weft::Task<> {
        co_await weft::yield_now();
        rx = {};
    };
    auto main = [&]() -> weft::Task<bool> {
        auto h = weft::spawn_local(drop_later(std::move(rx)));
        co_await tx.closed();
        co_return tx.is_closed();
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(WatchThreads, ReceiversOnOtherRuntimesSeeIncreasingValuesAndTheLast) {
    constexpr int last = 5'000;
    constexpr int threads = 3;
    auto [tx, rx] = watch::channel(0);
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&bad, rx = rx]() mutable {
            weft::Runtime rt;
            auto follow = [](watch::Receiver<int>& rx, std::atomic<int>& bad) -> weft::Task<> {
                int prev = 0;
                for (;;) {
                    auto changed = co_await rx.changed();  // not in the condition: GCC 12 bug
                    if (!changed) break;
                    int v = *rx.borrow_and_update();
                    if (v < prev) bad.fetch_add(1);
                    prev = v;
                }
                if (prev != last) bad.fetch_add(1000);
            };
            rt.block_on(follow(rx, bad));
        });
    }
    rx = {};
    for (int i = 1; i <= last; ++i) tx.send_replace(i);
    tx = {};
    for (auto& t : ts) t.join();
    EXPECT_EQ(bad.load(), 0);
}

TEST(Watch, SenderClosedCancelledByTimeoutUnregisters) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = watch::channel(0);
    auto wait_closed = [](watch::Sender<int>& tx) -> weft::Task<> { co_await tx.closed(); };
    auto main = [&]() -> weft::Task<bool> {
        auto r = co_await weft::time::timeout(10ms, wait_closed(tx));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        rx = {};  // must not wake the destroyed waiter
        co_await tx.closed();
        co_return tx.is_closed();
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Watch, ASenderWokenByTheLastReceiverLeavingWaitsOnIfOneSubscribedBeforeItRan) {
    // The last receiver goes (taking the sender's waker) and `subscribe` brings one back before
    // the sender runs: its poll finds a receiver, and it must be woken when that one goes.
    auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
    auto t = []() -> weft::Task<std::pair<bool, bool>> {
        auto [tx, rx] = watch::channel(0);
        bool done = false;
        auto sender = [](watch::Sender<int>* tx, bool* done) -> weft::Task<> {
            co_await tx->closed();
            *done = true;
        };
        auto s = weft::spawn_local(sender(&tx, &done));
        co_await weft::yield_now();  // the sender registers
        { auto gone = std::move(rx); }
        const bool woken_not_run = !done;
        auto again = tx.subscribe();
        co_await weft::yield_now();  // the sender's poll: a receiver again
        { auto gone = std::move(again); }
        auto r = co_await weft::time::timeout(1s, std::move(s));
        co_return std::pair{woken_not_run, r.has_value()};
    };
    auto [precondition, finished] = rt.block_on(t());
    ASSERT_TRUE(precondition);
    EXPECT_TRUE(finished) << "the second receiver's drop woke nobody";
}

}  // namespace
