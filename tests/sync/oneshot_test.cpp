#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/oneshot.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::OneshotReceiver;
using weft::sync::OneshotSender;
using weft::sync::TryRecvError;
using weft::sync::test::Counted;

weft::Task<weft::Result<int>> receive(OneshotReceiver<int>& rx) { co_return co_await rx; }

weft::Task<> send_later(OneshotSender<int> tx, int v) {
    co_await weft::yield_now();
    (void)tx.send(v);
}

TEST(Oneshot, SendThenReceive) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    ASSERT_TRUE(tx.send(7));
    EXPECT_FALSE(tx.valid());  // send consumes the sender
    auto r = rt.block_on(receive(rx));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 7);
}

TEST(Oneshot, ReceiveWaitsForASendFromAnotherTask) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    auto main = [&]() -> weft::Task<weft::Result<int>> {
        auto h = weft::spawn_local(send_later(std::move(tx), 11));
        co_return co_await rx;
    };
    auto r = rt.block_on(main());
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 11);
}

TEST(Oneshot, DroppedSenderWakesTheReceiverWithClosed) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    auto drop_later = [](OneshotSender<int> tx) -> weft::Task<> {
        co_await weft::yield_now();
        tx = {};
    };
    auto main = [&]() -> weft::Task<weft::Result<int>> {
        auto h = weft::spawn_local(drop_later(std::move(tx)));
        co_return co_await rx;
    };
    auto r = rt.block_on(main());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), weft::Errc::closed);
}

TEST(Oneshot, SendToADroppedReceiverGivesTheValueBack) {
    auto [tx, rx] = weft::sync::oneshot<std::unique_ptr<int>>();
    rx = {};
    EXPECT_TRUE(tx.is_closed());
    auto r = tx.send(std::make_unique<int>(5));
    ASSERT_FALSE(r);
    ASSERT_TRUE(r.error());
    EXPECT_EQ(*r.error(), 5);
}

TEST(Oneshot, SecondSendIsAMisuseError) {
    auto [tx, rx] = weft::sync::oneshot<int>();
    ASSERT_TRUE(tx.send(1));
    EXPECT_THROW((void)tx.send(2), std::logic_error);
}

TEST(Oneshot, TryRecvSeesEmptyThenValueThenClosed) {
    auto [tx, rx] = weft::sync::oneshot<int>();
    EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
    ASSERT_TRUE(tx.send(3));
    auto v = rx.try_recv();
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 3);
    EXPECT_EQ(rx.try_recv().error(), TryRecvError::closed);  // the value is taken once
}

TEST(Oneshot, AwaitingAgainAfterTheValueWasTakenYieldsClosed) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    ASSERT_TRUE(tx.send(4));
    EXPECT_EQ(*rt.block_on(receive(rx)), 4);
    auto again = rt.block_on(receive(rx));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), weft::Errc::closed);
}

TEST(Oneshot, CloseFailsLaterSendsButKeepsAnEarlierValue) {
    {
        auto [tx, rx] = weft::sync::oneshot<int>();
        rx.close();
        EXPECT_TRUE(tx.is_closed());
        auto r = tx.send(1);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), 1);
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::closed);
    }
    {
        auto [tx, rx] = weft::sync::oneshot<int>();
        ASSERT_TRUE(tx.send(2));
        rx.close();
        auto v = rx.try_recv();
        ASSERT_TRUE(v);
        EXPECT_EQ(*v, 2);
    }
}

TEST(Oneshot, AwaitAfterCloseDoesNotWaitForALiveSender) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    rx.close();
    auto r = rt.block_on(receive(rx));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), weft::Errc::closed);
}

TEST(Oneshot, ReceiveCancelledByTimeoutLosesNothing) {
    auto rt = weft::sync::test::paused_runtime();
    std::atomic<int> live{0};
    auto [tx, rx] = weft::sync::oneshot<Counted>();
    auto recv = [](OneshotReceiver<Counted>& rx) -> weft::Task<weft::Result<Counted>> {
        co_return co_await rx;
    };
    auto main = [&]() -> weft::Task<int> {
        auto first = co_await weft::time::timeout(10ms, recv(rx));
        EXPECT_FALSE(first);
        EXPECT_TRUE(weft::is_timeout(first.error()));
        EXPECT_TRUE(tx.send(Counted(9, &live)));  // the cancelled receive left no stale state
        auto second = co_await weft::time::timeout(10ms, recv(rx));
        co_return second ? second->value() : -1;
    };
    EXPECT_EQ(rt.block_on(main()), 9);
    EXPECT_EQ(live.load(), 0);
}

TEST(Oneshot, ANamedRecvAwaitedAgainAfterALostTimeoutGetsTheValueOnce) {
    // `auto r = rx.operator co_await(); select(r, ...)`: the first await times out with `r`
    // still registered; awaited again it waits for the value, and once more it yields closed.
    auto rt = weft::sync::test::paused_runtime();
    std::atomic<int> live{0};
    auto [tx, rx] = weft::sync::oneshot<Counted>();
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = rx.operator co_await();
        auto first = co_await weft::time::timeout(5ms, r);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        auto sender = weft::spawn_local(
            weft::sync::test::after(5ms, [&tx, &live] { (void)tx.send(Counted(3, &live)); }));
        auto second = co_await weft::time::timeout(1s, r);
        auto third = co_await weft::time::timeout(1s, r);
        co_await sender;
        co_return std::vector<int>{second ? second->value() : -1,
                                   third ? -2 : (third.error() == weft::Errc::closed ? 0 : -1)};
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{3, 0}));
    EXPECT_EQ(live.load(), 0);
}

TEST(Oneshot, AbortedReceivingTaskLeavesTheValueInTheChannel) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    auto main = [&]() -> weft::Task<int> {
        auto h = weft::spawn_local(receive(rx));
        co_await weft::yield_now();  // the receiver is now waiting
        h.abort();
        auto j = co_await h;
        EXPECT_TRUE(!j && j.error().is_cancelled());
        EXPECT_TRUE(tx.send(21));
        auto v = rx.try_recv();
        co_return v ? *v : -1;
    };
    EXPECT_EQ(rt.block_on(main()), 21);
}

TEST(Oneshot, DroppingTheReceiverDestroysAnUnreceivedValue) {
    std::atomic<int> live{0};
    {
        auto [tx, rx] = weft::sync::oneshot<Counted>();
        ASSERT_TRUE(tx.send(Counted(1, &live)));
        EXPECT_EQ(live.load(), 1);
        rx = {};
        EXPECT_EQ(live.load(), 0);
    }
    EXPECT_EQ(live.load(), 0);
}

TEST(Oneshot, SenderClosedCompletesWhenTheReceiverGoes) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    auto drop_later = [](OneshotReceiver<int> rx) -> weft::Task<> {
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

TEST(Oneshot, SendFromAPlainThreadWakesTheRuntime) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<std::string>();
    std::thread producer([tx = std::move(tx)]() mutable { (void)tx.send("from a thread"); });
    auto recv = [](OneshotReceiver<std::string>& rx) -> weft::Task<weft::Result<std::string>> {
        co_return co_await rx;
    };
    auto r = rt.block_on(recv(rx));
    producer.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "from a thread");
}

TEST(Oneshot, BlockingRecvOnAPlainThread) {
    weft::Runtime rt;
    auto [tx, rx] = weft::sync::oneshot<int>();
    int got = 0;
    std::thread consumer([&got, rx = std::move(rx)]() mutable { got = rx.blocking_recv().value_or(-1); });
    auto main = [&]() -> weft::Task<> {
        co_await weft::yield_now();
        (void)tx.send(5);
    };
    rt.block_on(main());
    consumer.join();
    EXPECT_EQ(got, 5);
}

TEST(Oneshot, ManyChannelsRacingSendersOnThreads) {
    // Each value is sent from another thread while a runtime task awaits it: every interleaving
    // of send, register and wake is exercised, and none may hang or lose a value.
    constexpr int n = 500;
    weft::Runtime rt;
    std::vector<OneshotSender<int>> senders;
    std::vector<OneshotReceiver<int>> receivers;
    for (int i = 0; i < n; ++i) {
        auto [tx, rx] = weft::sync::oneshot<int>();
        senders.push_back(std::move(tx));
        receivers.push_back(std::move(rx));
    }
    std::thread producer([&] {
        for (int i = 0; i < n; ++i) {
            if (i % 7 == 3)
                senders[i] = {};  // some are dropped instead
            else
                (void)senders[i].send(i);
        }
    });
    auto main = [&]() -> weft::Task<long> {
        long sum = 0;
        for (int i = 0; i < n; ++i) {
            auto r = co_await receivers[i];
            if (r)
                sum += *r;
            else if (i % 7 != 3)
                sum -= 1'000'000;
        }
        co_return sum;
    };
    long expected = 0;
    for (int i = 0; i < n; ++i)
        if (i % 7 != 3) expected += i;
    EXPECT_EQ(rt.block_on(main()), expected);
    producer.join();
}

TEST(OneshotMultiThread, ManyPairsAcrossWorkers) {
    constexpr int n = 2'000;
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    auto sender = [](OneshotSender<int> tx, int v) -> weft::Task<> {
        co_await weft::yield_now();
        (void)tx.send(v);
    };
    auto receiver = [](OneshotReceiver<int> rx) -> weft::Task<int> {
        co_return (co_await rx).value_or(-1'000'000);
    };
    auto main = [&]() -> weft::Task<long> {
        std::vector<weft::JoinHandle<int>> hs;
        for (int i = 0; i < n; ++i) {
            auto [tx, rx] = weft::sync::oneshot<int>();
            hs.push_back(weft::spawn(receiver(std::move(rx))));
            weft::spawn(sender(std::move(tx), i)).detach();
        }
        long sum = 0;
        for (auto& h : hs) sum += (co_await h).value();
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(main()), static_cast<long>(n) * (n - 1) / 2);
}

TEST(Oneshot, SenderClosedCancelledByTimeoutUnregisters) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = weft::sync::oneshot<int>();
    auto wait_closed = [](OneshotSender<int>& tx) -> weft::Task<> { co_await tx.closed(); };
    auto main = [&]() -> weft::Task<bool> {
        auto r = co_await weft::time::timeout(10ms, wait_closed(tx));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        rx.close();  // must not wake the destroyed waiter
        co_await tx.closed();
        co_return tx.is_closed();
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Oneshot, ANamedClosedAwaitedAgainAfterTheSendAndTheReceiverWentIsSafe) {
    // `auto c = tx.closed(); select(c, compute())`: `compute` won, so `c` is still registered
    // when the sender sends (which gives up the sender's hold on the channel) and the receiver
    // goes. `c` outlives both: awaited again it completes (the receiver is gone), and neither
    // that nor its destruction touches a freed channel (ASan).
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = weft::sync::oneshot<int>();
    auto main = [&]() -> weft::Task<bool> {
        auto closed = tx.closed();
        auto lost = co_await weft::time::timeout(5ms, closed);
        EXPECT_TRUE(!lost && weft::is_timeout(lost.error()));
        EXPECT_TRUE(tx.send(7));
        EXPECT_EQ(rx.try_recv().value_or(-1), 7);
        rx = {};
        auto again = co_await weft::time::timeout(5ms, closed);
        co_return again.has_value();
    };
    EXPECT_TRUE(rt.block_on(main()));
}

}  // namespace
