#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/broadcast.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
namespace broadcast = weft::sync::broadcast;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

weft::Task<int> recv_int(broadcast::Receiver<int>& rx) {
    auto r = co_await rx.recv();
    if (r) co_return *r;
    co_return r.error().is_closed() ? -1 : -2;
}

TEST(Broadcast, EveryReceiverGetsEveryMessage) {
    weft::Runtime rt;
    auto [tx, rx] = broadcast::channel<std::string>(8);
    auto rx2 = tx.subscribe();
    EXPECT_EQ(tx.receiver_count(), 2u);
    EXPECT_EQ(tx.send("a").value(), 2u);
    EXPECT_TRUE(tx.send("b"));
    auto main = [&]() -> weft::Task<std::vector<std::string>> {
        std::vector<std::string> got;
        for (auto* r : {&rx, &rx2}) {
            for (int i = 0; i < 2; ++i) got.push_back((co_await r->recv()).value());
        }
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<std::string>{"a", "b", "a", "b"}));
}

TEST(Broadcast, NewSubscribersSeeOnlyLaterMessages) {
    auto [tx, rx] = broadcast::channel<int>(4);
    ASSERT_TRUE(tx.send(1));
    auto late = tx.subscribe();
    auto again = rx.resubscribe();
    ASSERT_TRUE(tx.send(2));
    EXPECT_EQ(rx.try_recv().value(), 1);
    EXPECT_EQ(late.try_recv().value(), 2);
    EXPECT_EQ(again.try_recv().value(), 2);
    EXPECT_TRUE(late.try_recv().error().is_empty());
}

TEST(Broadcast, CapacityRoundsUpToAPowerOfTwo) {
    auto [tx, rx] = broadcast::channel<int>(5);
    EXPECT_EQ(tx.capacity(), 8u);
    EXPECT_THROW(broadcast::channel<int>(0), std::invalid_argument);
}

TEST(Broadcast, LaggingReceiverLearnsHowManyItMissedThenReadsOn) {
    auto [tx, rx] = broadcast::channel<int>(2);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.send(i));  // 0, 1, 2 are overwritten
    auto lag = rx.try_recv();
    ASSERT_FALSE(lag);
    EXPECT_TRUE(lag.error().is_lagged());
    EXPECT_EQ(lag.error().skipped, 3u);
    EXPECT_EQ(rx.try_recv().value(), 3);
    EXPECT_EQ(rx.try_recv().value(), 4);
    EXPECT_TRUE(rx.try_recv().error().is_empty());
}

TEST(Broadcast, SendWithoutReceiversGivesTheValueBack) {
    auto [tx, rx] = broadcast::channel<std::string>(2);
    rx = {};
    auto r = tx.send("nobody");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().value, "nobody");
}

TEST(Broadcast, ClosedOnceEverySenderIsGoneAndEverythingWasRead) {
    weft::Runtime rt;
    auto [tx, rx] = broadcast::channel<int>(4);
    auto tx2 = tx;
    ASSERT_TRUE(tx.send(1));
    tx = {};
    EXPECT_TRUE(rx.try_recv());
    EXPECT_TRUE(rx.try_recv().error().is_empty());  // tx2 is alive
    ASSERT_TRUE(tx2.send(2));
    tx2 = {};
    EXPECT_EQ(rt.block_on(recv_int(rx)), 2);
    EXPECT_EQ(rt.block_on(recv_int(rx)), -1);
}

TEST(Broadcast, WaitingReceiversWakeOnASendAndOnTheClose) {
    weft::Runtime rt;
    auto [tx, rx] = broadcast::channel<int>(4);
    std::vector<broadcast::Receiver<int>> rxs;
    for (int i = 0; i < 40; ++i) rxs.push_back(tx.subscribe());  // more than one wake batch
    auto main = [&]() -> weft::Task<int> {
        std::vector<weft::JoinHandle<int>> hs;
        for (auto& r : rxs) hs.push_back(weft::spawn_local(recv_int(r)));
        co_await settle();
        EXPECT_TRUE(tx.send(3));
        int sum = 0;
        for (auto& h : hs) sum += (co_await h).value();
        hs.clear();
        for (auto& r : rxs) hs.push_back(weft::spawn_local(recv_int(r)));
        co_await settle();
        tx = {};
        for (auto& h : hs) sum += (co_await h).value();  // -1 each: closed
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(main()), 40 * 3 - 40);
}

TEST(Broadcast, RecvCancelledWhileWaitingLosesNothing) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = broadcast::channel<int>(4);
    auto main = [&]() -> weft::Task<int> {
        auto r = co_await weft::time::timeout(10ms, recv_int(rx));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        EXPECT_TRUE(tx.send(6));  // must not touch the destroyed waiter
        co_return co_await recv_int(rx);
    };
    EXPECT_EQ(rt.block_on(main()), 6);
}

TEST(Broadcast, ANamedRecvAwaitedAgainAfterALostTimeoutIsLinkedOnce) {
    // The first await times out with `r` still queued; awaiting it again must not queue it
    // twice, which would cut out the receiver queued behind it.
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = broadcast::channel<int>(4);
    auto rx2 = tx.subscribe();
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = rx.recv();
        auto first = co_await weft::time::timeout(5ms, r);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        auto other = weft::spawn_local(recv_int(rx2));
        co_await weft::yield_now();  // it queues, behind `r`
        auto sender = weft::spawn_local(weft::sync::test::after(5ms, [&tx] { (void)tx.send(7); }));
        auto second = co_await weft::time::timeout(1s, r);
        auto other_got = co_await weft::time::timeout(1s, other);
        if (!other_got) {
            other.abort();
            (void)co_await other;
        }
        co_await sender;
        co_return std::vector<int>{second && *second ? **second : -1,
                                   other_got && *other_got ? **other_got : -1};
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{7, 7}));
}

TEST(Broadcast, ANamedRecvWokenWhileItsAwaitWasAbandonedReadsEveryMessageWhenAwaitedAgain) {
    // Two messages arrive while `r` is queued but given up; awaited again it reads the first,
    // then the second, then waits (nothing more was sent).
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = broadcast::channel<int>(4);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = rx.recv();
        auto first = co_await weft::time::timeout(5ms, r);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        EXPECT_TRUE(tx.send(1));
        EXPECT_TRUE(tx.send(2));
        std::vector<int> got;
        for (int i = 0; i < 3; ++i) {
            auto v = co_await weft::time::timeout(5ms, r);
            got.push_back(v ? (*v ? **v : -2) : -1);  // -1: timed out
        }
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{1, 2, -1}));
}

TEST(Broadcast, ANamedRecvAwaitedAgainAfterItWasWokenWaitsForTheNextMessage) {
    // `r` completes through a wake, then is awaited again: the spent wake (and the message it
    // handed out) must not complete the new await.
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = broadcast::channel<int>(4);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = rx.recv();
        std::vector<int> got;
        for (int v : {1, 0, 2}) {  // 0: nothing is sent in that round
            auto sender = weft::spawn_local(weft::sync::test::after(5ms, [&tx, &v] {
                if (v) (void)tx.send(v);
            }));
            auto w = co_await weft::time::timeout(10ms, r);
            got.push_back(w ? (*w ? **w : -2) : -1);  // -1: timed out; -2: an error
            co_await sender;
        }
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{1, -1, 2}));
}

TEST(Broadcast, AbortedReceivingTaskDoesNotAdvanceThePosition) {
    weft::Runtime rt;
    auto [tx, rx] = broadcast::channel<int>(4);
    auto main = [&]() -> weft::Task<int> {
        auto h = weft::spawn_local(recv_int(rx));
        co_await settle();
        h.abort();
        (void)co_await h;
        EXPECT_TRUE(tx.send(8));
        co_return rx.try_recv().value_or(-3);
    };
    EXPECT_EQ(rt.block_on(main()), 8);
}

TEST(Broadcast, ValuesAreCopiesAndOverwrittenOnesAreDestroyed) {
    std::atomic<int> live{0};
    struct Copyable {
        std::atomic<int>* live;
        explicit Copyable(std::atomic<int>* l) : live(l) { live->fetch_add(1); }
        Copyable(const Copyable& o) : live(o.live) { live->fetch_add(1); }
        Copyable& operator=(const Copyable&) = default;
        ~Copyable() { live->fetch_sub(1); }
    };
    {
        auto [tx, rx] = broadcast::channel<Copyable>(2);
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.send(Copyable(&live)));
        EXPECT_EQ(live.load(), 2);  // the ring holds the last two
        (void)rx.try_recv();        // lagged
        {
            auto v = rx.try_recv();
            EXPECT_EQ(live.load(), 3);  // a copy; the ring keeps its own
        }
    }
    EXPECT_EQ(live.load(), 0);
}

TEST(BroadcastThreads, ReceiversOnRuntimesAccountForEveryMessage) {
    // A plain thread sends 0..N-1 into a small ring; each receiver sees increasing values and
    // received + skipped adds up to N exactly.
    constexpr int n = 20'000;
    constexpr int receivers = 3;
    auto [tx, rx] = broadcast::channel<int>(16);
    std::vector<broadcast::Receiver<int>> rxs;
    for (int i = 0; i < receivers; ++i) rxs.push_back(tx.subscribe());
    rx = {};
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (auto& r : rxs) {
        ts.emplace_back([&bad, r = std::move(r)]() mutable {
            weft::Runtime rt;
            auto follow = [](broadcast::Receiver<int>& rx, std::atomic<int>& bad) -> weft::Task<> {
                long accounted = 0;
                int prev = -1;
                for (;;) {
                    auto m = co_await rx.recv();
                    if (m) {
                        if (*m <= prev) bad.fetch_add(1);
                        prev = *m;
                        ++accounted;
                    } else if (m.error().is_lagged()) {
                        accounted += static_cast<long>(m.error().skipped);
                    } else {
                        break;
                    }
                }
                if (accounted != n) bad.fetch_add(1000);
            };
            rt.block_on(follow(r, bad));
        });
    }
    for (int i = 0; i < n; ++i) ASSERT_TRUE(tx.send(i));
    tx = {};
    for (auto& t : ts) t.join();
    EXPECT_EQ(bad.load(), 0);
}

TEST(BroadcastMultiThread, FanOutToTasksOnWorkers) {
    constexpr int n = 2'000;
    constexpr int receivers = 4;
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    auto follow = [](broadcast::Receiver<int> rx) -> weft::Task<long> {
        long accounted = 0;
        for (;;) {
            auto m = co_await rx.recv();
            if (m)
                ++accounted;
            else if (m.error().is_lagged())
                accounted += static_cast<long>(m.error().skipped);
            else
                break;
        }
        co_return accounted;
    };
    auto main = [&]() -> weft::Task<long> {
        auto [tx, rx] = broadcast::channel<int>(64);
        std::vector<weft::JoinHandle<long>> hs;
        for (int i = 0; i < receivers; ++i) hs.push_back(weft::spawn(follow(tx.subscribe())));
        rx = {};
        for (int i = 0; i < n; ++i) {
            EXPECT_TRUE(tx.send(i));
            if (i % 100 == 0) co_await weft::yield_now();
        }
        tx = {};
        long total = 0;
        for (auto& h : hs) total += (co_await h).value();
        co_return total;
    };
    EXPECT_EQ(rt.block_on(main()), static_cast<long>(n) * receivers);
}

}  // namespace
