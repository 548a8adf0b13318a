#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/mpsc.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
namespace mpsc = weft::sync::mpsc;
using weft::sync::TryRecvError;
using weft::sync::test::Counted;

template <class Rx>
auto drain(Rx& rx) {
    std::vector<int> out;
    while (auto v = rx.try_recv()) out.push_back(*v);
    return out;
}

weft::Task<bool> send_one(mpsc::Sender<int> tx, int v) { co_return (co_await tx.send(v)).has_value(); }

weft::Task<std::optional<int>> recv_one(mpsc::Receiver<int>& rx) { co_return co_await rx.recv(); }

/// The end of the keep-its-place tests: two receives each free a slot, the second for `other`,
/// the sender queued behind the named awaiter; it must have sent (not been cut out of the line),
/// and the channel of one slot must have it free again.
weft::Task<> expect_the_sender_behind_sent(mpsc::Receiver<int>& rx, const mpsc::Sender<int>& tx,
                                           weft::JoinHandle<bool>& other, std::vector<int>& got) {
    for (int i = 0; i < 2; ++i) {
        auto v = co_await weft::time::timeout(1s, recv_one(rx));
        got.push_back(v && *v ? **v : -1);
    }
    auto other_sent = co_await weft::time::timeout(1s, other);
    if (!other_sent) {
        other.abort();
        (void)co_await other;
    }
    EXPECT_TRUE(other_sent && *other_sent && **other_sent) << "the sender behind it was cut out";
    EXPECT_EQ(tx.capacity(), 1u);
}

/// Lets every other ready task run until it waits (the current-thread runtime is FIFO).
weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

// --- basics ---------------------------------------------------------------------------------

TEST(Mpsc, MessagesArriveInSendOrder) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(4);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        for (int i = 0; i < 3; ++i) EXPECT_TRUE(co_await tx.send(i));
        std::vector<int> got;
        for (int i = 0; i < 3; ++i) got.push_back(*co_await rx.recv());
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1, 2}));
}

TEST(Mpsc, ANamedRecvAwaitedAgainAfterALostTimeoutLosesNoMessage) {
    // `auto r = rx.recv(); select(r, ...)` in a loop: the first await times out with `r` still
    // registered, then messages arrive (waking the abandoned registration), then `r` is awaited
    // again. It must return the first message, and the next recv the second.
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(4);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = rx.recv();
        auto first = co_await weft::time::timeout(5ms, r);
        EXPECT_FALSE(first);
        EXPECT_TRUE(co_await tx.send(1));
        EXPECT_TRUE(co_await tx.send(2));
        std::vector<int> got;
        auto a = co_await weft::time::timeout(1s, r);
        auto next = rx.recv();
        auto b = co_await weft::time::timeout(1s, next);
        got.push_back(a && *a ? **a : -1);
        got.push_back(b && *b ? **b : -1);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{1, 2}));
}

TEST(Mpsc, ANamedRecvAwaitedAgainAfterTheStreamEndedReturnsNothing) {
    // `r` completes with a message, then is awaited again after the last sender is gone: the
    // end of the stream, not the message it already handed out.
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(4);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = rx.recv();
        EXPECT_TRUE(tx.try_send(1));
        std::vector<int> got;
        auto a = co_await weft::time::timeout(1s, r);
        got.push_back(a ? (*a ? **a : 0) : -1);  // 0: the end; -1: timed out
        tx = {};
        auto b = co_await weft::time::timeout(1s, r);
        got.push_back(b ? (*b ? **b : 0) : -1);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{1, 0}));
}

TEST(Mpsc, RecvWaitsForASendFromAnotherTask) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::optional<int>> {
        auto h = weft::spawn_local(send_one(tx, 42));
        co_return co_await rx.recv();
    };
    EXPECT_EQ(rt.block_on(main()), 42);
}

TEST(Mpsc, StreamEndsOnlyWhenEverySenderCopyIsGoneAndTheQueueIsDrained) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(4);
    auto tx2 = tx;
    ASSERT_TRUE(tx.try_send(1));
    ASSERT_TRUE(tx2.try_send(2));
    tx = {};
    EXPECT_EQ(rx.try_recv().value(), 1);
    EXPECT_EQ(rt.block_on(recv_one(rx)), 2);
    EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);  // tx2 is still alive
    tx2 = {};
    EXPECT_EQ(rt.block_on(recv_one(rx)), std::nullopt);
    EXPECT_EQ(rx.try_recv().error(), TryRecvError::closed);
}

TEST(Mpsc, LastSenderDroppedWakesAWaitingReceiver) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto drop_later = [](mpsc::Sender<int> tx) -> weft::Task<> {
        co_await weft::yield_now();
        tx = {};
    };
    auto main = [&]() -> weft::Task<std::optional<int>> {
        auto h = weft::spawn_local(drop_later(std::move(tx)));
        co_return co_await rx.recv();
    };
    EXPECT_EQ(rt.block_on(main()), std::nullopt);
}

TEST(Mpsc, SendToADroppedReceiverGivesTheValueBack) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<std::unique_ptr<int>>(1);
    rx = {};
    EXPECT_TRUE(tx.is_closed());
    auto main = [&]() -> weft::Task<int> {
        auto r = co_await tx.send(std::make_unique<int>(8));
        co_return r ? -1 : *r.error().value;
    };
    EXPECT_EQ(rt.block_on(main()), 8);
}

TEST(Mpsc, TrySendReportsFullThenClosedWithTheValue) {
    auto [tx, rx] = mpsc::channel<int>(1);
    ASSERT_TRUE(tx.try_send(1));
    auto full = tx.try_send(2);
    ASSERT_FALSE(full);
    EXPECT_TRUE(full.error().is_full());
    EXPECT_EQ(full.error().value, 2);
    rx.close();
    auto closed = tx.try_send(3);
    ASSERT_FALSE(closed);
    EXPECT_TRUE(closed.error().is_closed());
    EXPECT_EQ(closed.error().value, 3);
}

TEST(Mpsc, ZeroCapacityIsRefused) { EXPECT_THROW(mpsc::channel<int>(0), std::invalid_argument); }

TEST(Mpsc, CapacityCountsFreeSlots) {
    auto [tx, rx] = mpsc::channel<int>(3);
    EXPECT_EQ(tx.max_capacity(), 3u);
    EXPECT_EQ(tx.capacity(), 3u);
    ASSERT_TRUE(tx.try_send(1));
    EXPECT_EQ(tx.capacity(), 2u);
    EXPECT_EQ(rx.len(), 1u);
    (void)rx.try_recv();
    EXPECT_EQ(tx.capacity(), 3u);
    EXPECT_TRUE(rx.is_empty());
}

TEST(Mpsc, MoveOnlyMessagesAndManyMore) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<std::unique_ptr<int>>(1000);
    auto main = [&]() -> weft::Task<long> {
        for (int i = 0; i < 1000; ++i) EXPECT_TRUE(co_await tx.send(std::make_unique<int>(i)));
        long sum = 0;
        for (int i = 0; i < 1000; ++i) sum += **co_await rx.recv();
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(main()), 999L * 1000 / 2);
}

// --- backpressure and fairness ----------------------------------------------------------------

TEST(Mpsc, SendWaitsWhileTheChannelIsFull) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(2);
    int sent = 0;
    auto producer = [](mpsc::Sender<int> tx, int* sent) -> weft::Task<> {
        for (int i = 0; i < 5; ++i) {
            auto r = co_await tx.send(i);  // bound first: GCC 12 miscompiles co_await in a condition
            if (!r) co_return;
            ++*sent;
        }
    };
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto h = weft::spawn_local(producer(tx, &sent));
        co_await settle();
        EXPECT_EQ(sent, 2);  // the third send waits for room
        EXPECT_EQ(rx.len(), 2u);
        std::vector<int> got;
        for (int i = 0; i < 5; ++i) got.push_back(*co_await rx.recv());
        co_await h;
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(sent, 5);
}

TEST(Mpsc, WaitingSendersAreServedInArrivalOrder) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(0));
        std::vector<weft::JoinHandle<bool>> hs;
        for (int i = 1; i <= 4; ++i) {
            hs.push_back(weft::spawn_local(send_one(tx, i)));
            co_await settle(1);  // each one queues before the next is spawned
        }
        std::vector<int> got;
        for (int i = 0; i <= 4; ++i) got.push_back(*co_await rx.recv());
        for (auto& h : hs) EXPECT_TRUE((co_await h).value());
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Mpsc, ANewSenderDoesNotOvertakeAWaitingOne) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(0));
        auto h = weft::spawn_local(send_one(tx, 1));
        co_await settle();
        EXPECT_EQ(rx.try_recv().value(), 0);  // frees the slot: it is granted to the waiter
        auto barged = tx.try_send(99);
        EXPECT_TRUE(!barged && barged.error().is_full());
        EXPECT_EQ(tx.capacity(), 0u);
        co_await h;
        co_return drain(rx);
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{1}));
}

TEST(Mpsc, CloseFailsWaitingSendersAndKeepsQueuedMessages) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<bool> {
        EXPECT_TRUE(tx.try_send(0));
        auto waiting = [](mpsc::Sender<int> tx) -> weft::Task<int> {
            auto r = co_await tx.send(1);
            co_return r ? -1 : r.error().value;
        };
        auto h = weft::spawn_local(waiting(tx));
        co_await settle();
        rx.close();
        EXPECT_EQ((co_await h).value(), 1);  // the waiting send failed and got its value back
        EXPECT_TRUE(tx.is_closed());
        EXPECT_EQ(co_await rx.recv(), 0);  // the queued message is still delivered
        EXPECT_EQ(co_await rx.recv(), std::nullopt);
        co_return true;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Mpsc, DroppingTheReceiverDestroysQueuedMessagesAndFailsWaitingSenders) {
    weft::Runtime rt;
    std::atomic<int> live{0};
    auto [tx, rx] = mpsc::channel<Counted>(2);
    auto waiting = [](mpsc::Sender<Counted> tx, std::atomic<int>* live) -> weft::Task<bool> {
        auto r = co_await tx.send(Counted(3, live));
        co_return !r && r.error().value.value() == 3;
    };
    auto main = [&]() -> weft::Task<bool> {
        EXPECT_TRUE(tx.try_send(Counted(1, &live)));
        EXPECT_TRUE(tx.try_send(Counted(2, &live)));
        auto h = weft::spawn_local(waiting(tx, &live));
        co_await settle();
        EXPECT_EQ(live.load(), 3);
        { auto gone = std::move(rx); }
        EXPECT_EQ(live.load(), 1);  // only the waiting sender's own value is left
        co_return (co_await h).value();
    };
    EXPECT_TRUE(rt.block_on(main()));
    EXPECT_EQ(live.load(), 0);
}

// --- cancellation -----------------------------------------------------------------------------

TEST(Mpsc, SendCancelledWhileFullLosesNoMessage) {
    auto rt = weft::sync::test::paused_runtime();
    std::atomic<int> live{0};
    auto [tx, rx] = mpsc::channel<Counted>(1);
    auto send = [](mpsc::Sender<Counted>& tx, Counted v) -> weft::Task<bool> {
        co_return (co_await tx.send(std::move(v))).has_value();
    };
    auto main = [&]() -> weft::Task<> {
        EXPECT_TRUE(tx.try_send(Counted(0, &live)));
        auto r = co_await weft::time::timeout(10ms, send(tx, Counted(1, &live)));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        EXPECT_EQ(live.load(), 1);  // the cancelled send's value is gone with it...
        EXPECT_EQ((*co_await rx.recv()).value(), 0);
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);  // ...and was never queued
        EXPECT_EQ(tx.capacity(), 1u);                           // no slot leaked
        EXPECT_TRUE(co_await send(tx, Counted(2, &live)));
        EXPECT_EQ((*co_await rx.recv()).value(), 2);
    };
    rt.block_on(main());
    EXPECT_EQ(live.load(), 0);
}

TEST(Mpsc, SendCancelledWhileQueuedKeepsTheOthersInOrder) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(0));
        auto a = weft::spawn_local(send_one(tx, 1));
        co_await settle();
        auto b = weft::spawn_local(send_one(tx, 2));
        co_await settle();
        auto c = weft::spawn_local(send_one(tx, 3));
        co_await settle();
        b.abort();
        auto jb = co_await b;
        EXPECT_TRUE(!jb && jb.error().is_cancelled());
        std::vector<int> got;
        for (int i = 0; i < 3; ++i) got.push_back(*co_await rx.recv());
        co_await a;
        co_await c;
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
        EXPECT_EQ(tx.capacity(), 1u);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1, 3}));
}

TEST(Mpsc, SendCancelledAfterBeingGrantedASlotPassesItToTheNextSender) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(0));
        auto a = weft::spawn_local(send_one(tx, 1));
        co_await settle();
        auto b = weft::spawn_local(send_one(tx, 2));
        co_await settle();
        std::vector<int> got;
        got.push_back(rx.try_recv().value());  // grants the freed slot to `a` and wakes it...
        a.abort();                             // ...which is destroyed before it can use it
        auto ja = co_await a;
        EXPECT_TRUE(!ja && ja.error().is_cancelled());
        EXPECT_TRUE((co_await b).value());  // the slot went on to `b`
        got.push_back(*co_await rx.recv());
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
        EXPECT_EQ(tx.capacity(), 1u);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 2}));
}

TEST(Mpsc, GrantedSlotOfACancelledSendIsFreeWhenNobodyElseWaits) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<bool> {
        EXPECT_TRUE(tx.try_send(0));
        auto a = weft::spawn_local(send_one(tx, 1));
        co_await settle();
        EXPECT_EQ(rx.try_recv().value(), 0);
        a.abort();
        (void)co_await a;
        EXPECT_EQ(tx.capacity(), 1u);
        EXPECT_TRUE(tx.try_send(5));
        co_return rx.try_recv().value() == 5;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Mpsc, ANamedSendAwaitedAgainAfterALostTimeoutKeepsItsPlace) {
    // The first await times out with `s` still in line for a slot; awaiting it again must not
    // queue it twice, which would cut out the sender waiting behind it.
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(0));
        auto s = tx.send(1);
        auto first = co_await weft::time::timeout(5ms, s);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        auto other = weft::spawn_local(send_one(tx, 2));
        co_await weft::yield_now();  // it queues, behind `s`
        std::vector<int> got;
        auto receiver = weft::spawn_local(weft::sync::test::after(5ms, [&rx, &got] {
            got.push_back(rx.try_recv().value());  // frees the slot for `s`
        }));
        auto second = co_await weft::time::timeout(1s, s);
        EXPECT_TRUE(second && *second);
        co_await receiver;
        co_await expect_the_sender_behind_sent(rx, tx, other, got);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1, 2}));
}

TEST(Mpsc, ANamedSendGrantedASlotWhileItsAwaitWasAbandonedFillsItWhenAwaitedAgain) {
    // The receiver frees a slot while `s` waits in line but is given up: the slot is granted to
    // `s`, and awaiting it again sends into that slot instead of waiting for another.
    auto rt = weft::sync::test::paused_runtime();
    std::atomic<int> live{0};
    auto [tx, rx] = mpsc::channel<Counted>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(Counted(0, &live)));
        auto s = tx.send(Counted(1, &live));
        auto first = co_await weft::time::timeout(5ms, s);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        std::vector<int> got;
        got.push_back(rx.try_recv().value().value());  // grants the freed slot to `s`
        auto second = co_await weft::time::timeout(1s, s);
        EXPECT_TRUE(second && *second) << "the slot granted to it was lost";
        if (auto v = rx.try_recv()) got.push_back(v->value());
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
        EXPECT_EQ(tx.capacity(), 1u);  // no slot leaked
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1}));
    EXPECT_EQ(live.load(), 0);
}

TEST(Mpsc, RecvCancelledWhileWaitingLosesNothing) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(2);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto r = co_await weft::time::timeout(10ms, recv_one(rx));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
        EXPECT_TRUE(tx.try_send(1));
        EXPECT_TRUE(tx.try_send(2));
        auto h = weft::spawn_local(recv_one(rx));  // waits... (nothing: the queue has two)
        std::vector<int> got;
        got.push_back((co_await h).value().value());
        got.push_back(*co_await rx.recv());
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{1, 2}));
}

TEST(Mpsc, AbortedReceivingTaskLeavesLaterMessagesForTheNextRecv) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(2);
    auto main = [&]() -> weft::Task<std::optional<int>> {
        auto h = weft::spawn_local(recv_one(rx));
        co_await settle();
        h.abort();
        (void)co_await h;
        EXPECT_TRUE(co_await tx.send(7));
        co_return co_await rx.recv();
    };
    EXPECT_EQ(rt.block_on(main()), 7);
}

// --- coop budget ------------------------------------------------------------------------------

weft::Task<> receive_all(mpsc::Receiver<int>& rx, int* received) {
    while (auto v = co_await rx.recv()) ++*received;
}

weft::Task<> abort_it(weft::JoinHandle<void>* h) {
    h->abort();
    co_return;
}

TEST(Mpsc, ReceiverWithAlwaysReadyMessagesYieldsAndLosesNothingIfCancelledThen) {
    // 1000 queued messages: the receiver never has to wait, so only the coop budget makes it
    // yield. The task queued behind it runs at that point and aborts it, mid-yield.
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1000);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(tx.try_send(i));
    int received = 0;
    auto main = [&]() -> weft::Task<> {
        auto consumer = weft::spawn_local(receive_all(rx, &received));
        auto aborter = weft::spawn_local(abort_it(&consumer));
        co_await aborter;
        auto j = co_await consumer;
        EXPECT_TRUE(!j && j.error().is_cancelled());
    };
    rt.block_on(main());
    EXPECT_EQ(received, weft::detail::coop::initial_budget);
    EXPECT_EQ(rx.len(), 1000u - weft::detail::coop::initial_budget);  // nothing lost in the yield
    EXPECT_EQ(rx.try_recv().value(), weft::detail::coop::initial_budget);
}

TEST(Mpsc, SenderWithAlwaysFreeSlotsYieldsAndHandsBackItsSlotIfCancelledThen) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1000);
    auto producer = [](mpsc::Sender<int>& tx) -> weft::Task<> {
        for (int i = 0; i < 1000; ++i) (void)co_await tx.send(i);
    };
    auto main = [&]() -> weft::Task<> {
        auto p = weft::spawn_local(producer(tx));
        auto aborter = weft::spawn_local(abort_it(&p));
        co_await aborter;
        (void)co_await p;
    };
    rt.block_on(main());
    constexpr auto budget = static_cast<std::size_t>(weft::detail::coop::initial_budget);
    EXPECT_EQ(rx.len(), budget);               // the yielded send enqueued nothing...
    EXPECT_EQ(tx.capacity(), 1000u - budget);  // ...and its reserved slot came back
    auto got = drain(rx);
    ASSERT_EQ(got.size(), budget);
    EXPECT_EQ(got.back(), static_cast<int>(budget) - 1);
}

TEST(Mpsc, YieldedSendCompletesWhenResumed) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1000);
    auto main = [&]() -> weft::Task<> {
        for (int i = 0; i < 1000; ++i) EXPECT_TRUE(co_await tx.send(i));  // yields every 128
        for (int i = 0; i < 1000; ++i) EXPECT_EQ(co_await rx.recv(), i);
    };
    rt.block_on(main());
    EXPECT_EQ(tx.capacity(), 1000u);
}

// --- reserve ----------------------------------------------------------------------------------

TEST(Mpsc, ReservedSlotIsHeldUntilThePermitSends) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::optional<int>> {
        auto p = co_await tx.reserve();
        EXPECT_TRUE(p);
        EXPECT_EQ(tx.capacity(), 0u);
        EXPECT_TRUE(tx.try_send(1).error().is_full());
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);
        std::move(*p).send(5);
        co_return co_await rx.recv();
    };
    EXPECT_EQ(rt.block_on(main()), 5);
}

TEST(Mpsc, DroppedPermitHandsItsSlotToAWaitingSender) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto p = co_await tx.reserve();
        auto h = weft::spawn_local(send_one(tx, 2));
        co_await settle();
        EXPECT_FALSE(h.is_finished());
        p = std::unexpected(weft::make_error_code(weft::Errc::closed));  // drops the permit
        EXPECT_TRUE((co_await h).value());
        co_return drain(rx);
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{2}));
}

TEST(Mpsc, ReserveCancelledWhileWaitingLeaksNoSlot) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(1);
    auto reserve = [](mpsc::Sender<int>& tx) -> weft::Task<bool> {
        co_return (co_await tx.reserve()).has_value();
    };
    auto main = [&]() -> weft::Task<bool> {
        EXPECT_TRUE(tx.try_send(0));
        auto r = co_await weft::time::timeout(5ms, reserve(tx));
        EXPECT_FALSE(r);
        EXPECT_EQ(rx.try_recv().value(), 0);
        co_return tx.capacity() == 1u;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(Mpsc, ANamedReserveAwaitedAgainAfterALostTimeoutKeepsItsPlace) {
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        EXPECT_TRUE(tx.try_send(0));
        auto reserve = tx.reserve();
        auto first = co_await weft::time::timeout(5ms, reserve);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        auto other = weft::spawn_local(send_one(tx, 2));
        co_await weft::yield_now();  // it queues, behind `reserve`
        std::vector<int> got;
        auto receiver = weft::spawn_local(weft::sync::test::after(5ms, [&rx, &got] {
            got.push_back(rx.try_recv().value());  // frees the slot for `reserve`
        }));
        auto permit = co_await weft::time::timeout(1s, reserve);
        EXPECT_TRUE(permit);
        if (permit) permit->send(1);
        co_await receiver;
        co_await expect_the_sender_behind_sent(rx, tx, other, got);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{0, 1, 2}));
}

TEST(Mpsc, ANamedReserveGrantedASlotWhileItsAwaitWasAbandonedTakesThatSlotWhenAwaitedAgain) {
    // Two slots free up while `reserve` is given up: the first is granted to it, the second is
    // free. Awaited again it must take the granted one, not a second, and hold only that.
    auto rt = weft::sync::test::paused_runtime();
    auto [tx, rx] = mpsc::channel<int>(2);
    auto main = [&]() -> weft::Task<std::vector<std::size_t>> {
        EXPECT_TRUE(tx.try_send(0));
        EXPECT_TRUE(tx.try_send(1));
        auto reserve = tx.reserve();
        auto first = co_await weft::time::timeout(5ms, reserve);
        EXPECT_TRUE(!first && weft::is_timeout(first.error()));
        EXPECT_EQ(rx.try_recv().value(), 0);  // granted to `reserve`
        EXPECT_EQ(rx.try_recv().value(), 1);  // free
        std::vector<std::size_t> free;
        {
            auto permit = co_await weft::time::timeout(1s, reserve);
            EXPECT_TRUE(permit);
            free.push_back(tx.capacity());  // held by the permit: one
        }
        free.push_back(tx.capacity());  // the permit is dropped: both
        co_return free;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<std::size_t>{1, 2}));
}

TEST(Mpsc, PermitKeepsTheStreamOpenUntilUsed) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    auto main = [&]() -> weft::Task<std::vector<int>> {
        auto p = co_await tx.reserve();
        tx = {};
        EXPECT_EQ(rx.try_recv().error(), TryRecvError::empty);  // not closed: the permit may send
        std::move(*p).send(3);
        p = std::unexpected(weft::make_error_code(weft::Errc::closed));
        std::vector<int> got;
        while (auto v = co_await rx.recv()) got.push_back(*v);
        co_return got;
    };
    EXPECT_EQ(rt.block_on(main()), (std::vector<int>{3}));
}

TEST(Mpsc, ReserveFailsOnAClosedChannel) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(1);
    rx.close();
    auto main = [&]() -> weft::Task<bool> {
        auto p = co_await tx.reserve();
        co_return !p && p.error() == weft::Errc::closed;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

// --- unbounded --------------------------------------------------------------------------------

TEST(MpscUnbounded, SendNeverWaitsAndOrderIsKept) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::unbounded_channel<int>();
    for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(tx.send(i));
    EXPECT_EQ(rx.len(), 10'000u);
    tx = {};
    auto main = [&]() -> weft::Task<bool> {
        int expect = 0;
        while (auto v = co_await rx.recv()) {
            if (*v != expect++) co_return false;
        }
        co_return expect == 10'000;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(MpscUnbounded, SendAfterTheReceiverIsGoneGivesTheValueBack) {
    auto [tx, rx] = mpsc::unbounded_channel<std::string>();
    rx = {};
    auto r = tx.send("lost?");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().value, "lost?");
}

TEST(MpscUnbounded, RecvWakesOnSendFromAnotherTask) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::unbounded_channel<int>();
    auto later = [](mpsc::UnboundedSender<int> tx) -> weft::Task<> {
        co_await weft::yield_now();
        (void)tx.send(4);
    };
    auto main = [&]() -> weft::Task<std::optional<int>> {
        auto h = weft::spawn_local(later(tx));
        co_return co_await rx.recv();
    };
    EXPECT_EQ(rt.block_on(main()), 4);
}

// --- threads ----------------------------------------------------------------------------------

TEST(MpscThreads, PlainThreadProducersIntoARuntimeConsumer) {
    constexpr int producers = 4;
    constexpr int per_producer = 2'000;
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<std::pair<int, int>>(8);
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([p, tx = tx]() mutable {
            for (int i = 0; i < per_producer; ++i) ASSERT_TRUE(tx.blocking_send({p, i}));
        });
    }
    tx = {};
    auto consume = [&]() -> weft::Task<int> {
        std::vector<int> next(producers, 0);
        int total = 0;
        while (auto m = co_await rx.recv()) {
            EXPECT_EQ(m->second, next[m->first]) << "per-producer order";
            next[m->first] = m->second + 1;
            ++total;
        }
        co_return total;
    };
    EXPECT_EQ(rt.block_on(consume()), producers * per_producer);
    for (auto& t : threads) t.join();
}

TEST(MpscThreads, UnboundedFromPlainThreads) {
    constexpr int producers = 3;
    constexpr int per_producer = 5'000;
    weft::Runtime rt;
    auto [tx, rx] = mpsc::unbounded_channel<int>();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([tx = tx]() {
            for (int i = 0; i < per_producer; ++i) ASSERT_TRUE(tx.send(1));
        });
    }
    tx = {};
    auto consume = [&]() -> weft::Task<int> {
        int total = 0;
        while (auto m = co_await rx.recv()) total += *m;
        co_return total;
    };
    EXPECT_EQ(rt.block_on(consume()), producers * per_producer);
    for (auto& t : threads) t.join();
}

TEST(MpscThreads, ProducersOnSeveralRuntimesWithCancelledSendsLoseNothing) {
    // Each producer thread runs its own runtime; a quarter of its sends are wrapped in a short
    // timeout, so some are cancelled while waiting for capacity or after being granted a slot.
    // Exactly the sends that reported success must arrive, each once.
    constexpr int producers = 3;
    constexpr int per_producer = 1'000;
    auto [tx, rx] = mpsc::channel<int>(4);
    std::atomic<long> sent_sum{0};
    std::atomic<int> sent_count{0};
    auto producer = [](mpsc::Sender<int> tx, int base, std::atomic<long>* sum,
                       std::atomic<int>* count) -> weft::Task<> {
        auto one = [](mpsc::Sender<int>& tx, int v) -> weft::Task<bool> {
            co_return (co_await tx.send(v)).has_value();
        };
        for (int i = 0; i < per_producer; ++i) {
            int v = base + i;
            bool ok;
            if (i % 4 == 0) {
                auto r = co_await weft::time::timeout(50us, one(tx, v));
                ok = r && *r;
            } else {
                ok = co_await one(tx, v);
            }
            if (ok) {
                sum->fetch_add(v);
                count->fetch_add(1);
            }
        }
    };
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p, tx = tx]() mutable {
            weft::Runtime rt;
            rt.block_on(producer(std::move(tx), p * 1'000'000, &sent_sum, &sent_count));
        });
    }
    tx = {};
    weft::Runtime rt;
    auto consume = [&]() -> weft::Task<std::pair<long, int>> {
        long sum = 0;
        int count = 0;
        while (auto m = co_await rx.recv()) {
            sum += *m;
            ++count;
        }
        co_return std::pair{sum, count};
    };
    auto [sum, count] = rt.block_on(consume());
    for (auto& t : threads) t.join();
    EXPECT_EQ(count, sent_count.load());
    EXPECT_EQ(sum, sent_sum.load());
    EXPECT_GE(count, producers * per_producer * 3 / 4);
}

TEST(MpscThreads, BlockingRecvOnAPlainThread) {
    weft::Runtime rt;
    auto [tx, rx] = mpsc::channel<int>(2);
    long sum = 0;
    std::thread consumer([&sum, rx = std::move(rx)]() mutable {
        while (auto v = rx.blocking_recv()) sum += *v;
    });
    auto main = [&]() -> weft::Task<> {
        for (int i = 1; i <= 100; ++i) EXPECT_TRUE(co_await tx.send(i));
        tx = {};
    };
    rt.block_on(main());
    consumer.join();
    EXPECT_EQ(sum, 5050);
}

// --- multi-thread runtime --------------------------------------------------------------------

weft::Runtime multi_thread(std::size_t workers = 2) {
    return weft::Runtime::Builder::multi_thread().worker_threads(workers).build();
}

TEST(MpscMultiThread, ProducersAndConsumerOnWorkersKeepPerProducerOrder) {
    constexpr int producers = 4;
    constexpr int per_producer = 5'000;
    auto rt = multi_thread();
    auto producer = [](mpsc::Sender<std::pair<int, int>> tx, int p) -> weft::Task<> {
        for (int i = 0; i < per_producer; ++i) {
            auto r = co_await tx.send({p, i});
            if (!r) co_return;
        }
    };
    auto consumer = [](mpsc::Receiver<std::pair<int, int>> rx) -> weft::Task<int> {
        std::vector<int> next(producers, 0);
        int total = 0;
        while (auto m = co_await rx.recv()) {
            if (m->second != next[m->first]) co_return -1;
            next[m->first] = m->second + 1;
            ++total;
        }
        co_return total;
    };
    auto main = [&]() -> weft::Task<int> {
        auto [tx, rx] = mpsc::channel<std::pair<int, int>>(8);
        for (int p = 0; p < producers; ++p) weft::spawn(producer(tx, p)).detach();
        tx = {};
        co_return (co_await weft::spawn(consumer(std::move(rx)))).value();
    };
    EXPECT_EQ(rt.block_on(main()), producers * per_producer);
}

TEST(MpscMultiThread, SendsCancelledOnWorkersLoseAndDuplicateNothing) {
    constexpr int producers = 4;
    constexpr int per_producer = 1'000;
    auto rt = multi_thread();
    struct Tally {
        std::atomic<long> sum{0};
        std::atomic<int> count{0};
    };
    auto producer = [](mpsc::Sender<int> tx, int base, Tally* sent) -> weft::Task<> {
        auto one = [](mpsc::Sender<int>& tx, int v) -> weft::Task<bool> {
            co_return (co_await tx.send(v)).has_value();
        };
        for (int i = 0; i < per_producer; ++i) {
            bool ok;
            if (i % 3 == 0) {
                auto r = co_await weft::time::timeout(50us, one(tx, base + i));
                ok = r && *r;
            } else {
                ok = co_await one(tx, base + i);
            }
            if (ok) {
                sent->sum.fetch_add(base + i);
                sent->count.fetch_add(1);
            }
        }
    };
    auto consumer = [](mpsc::Receiver<int> rx) -> weft::Task<std::pair<long, int>> {
        long sum = 0;
        int count = 0;
        while (auto v = co_await rx.recv()) {
            sum += *v;
            ++count;
            if (count % 64 == 0) co_await weft::time::sleep(100us);  // let the queue fill up
        }
        co_return std::pair{sum, count};
    };
    Tally sent;
    auto main = [&]() -> weft::Task<std::pair<long, int>> {
        auto [tx, rx] = mpsc::channel<int>(4);
        for (int p = 0; p < producers; ++p) weft::spawn(producer(tx, p * 1'000'000, &sent)).detach();
        tx = {};
        co_return (co_await weft::spawn(consumer(std::move(rx)))).value();
    };
    auto [sum, count] = rt.block_on(main());
    EXPECT_EQ(count, sent.count.load());
    EXPECT_EQ(sum, sent.sum.load());
}

TEST(MpscMultiThread, AbortsRacingSlotGrantsNeitherLoseMessagesNorLeakSlots) {
    // Sender tasks on two workers queue for a full channel. Round by round, the root thread
    // lets the consumer take one message and at the same moment aborts the sender most likely
    // to be granted the freed slot, so aborts race grants: some land on queued senders, some
    // on just-granted ones. A send that returned success is counted before the task can
    // suspend again (before an abort can take effect), hence exactly the counted messages must
    // arrive, and every slot must be back at the end.
    constexpr int senders = 120;
    auto rt = multi_thread();
    struct Shared {
        std::atomic<int> sent{0};
        std::atomic<long> sent_sum{0};
        std::atomic<int> tickets{0};
        std::atomic<int> received{0};
        std::atomic<int> finished{0};  // senders done, sent or aborted
        std::vector<std::atomic<int>> order = std::vector<std::atomic<int>>(senders);
    } sh;
    struct CountsFinish {
        std::atomic<int>* finished;
        ~CountsFinish() { finished->fetch_add(1); }  // runs when an abort destroys the frame too
    };
    auto sender = [](mpsc::Sender<int> tx, int v, Shared* sh) -> weft::Task<> {
        CountsFinish counts{&sh->finished};
        sh->order[sh->tickets.fetch_add(1)].store(v);  // about the order they queue in
        auto r = co_await tx.send(v);
        if (r) {
            sh->sent.fetch_add(1);
            sh->sent_sum.fetch_add(v);
        }
    };
    auto consumer = [](mpsc::Receiver<int> rx, mpsc::UnboundedReceiver<int> go,
                       Shared* sh) -> weft::Task<long> {
        long sum = 0;
        for (;;) {
            auto paced = co_await go.recv();  // one message per go, until the root stops pacing
            (void)paced;
            auto v = co_await rx.recv();
            if (!v || *v < 0) break;  // the sentinel
            sum += *v;
            sh->received.fetch_add(1);
        }
        co_return sum;
    };
    auto main = [&]() -> weft::Task<bool> {
        auto [probe, rx] = mpsc::channel<int>(2);
        auto [go, go_rx] = mpsc::unbounded_channel<int>();
        auto c = weft::spawn(consumer(std::move(rx), std::move(go_rx), &sh));
        std::vector<weft::JoinHandle<void>> hs;
        for (int i = 0; i < senders; ++i) hs.push_back(weft::spawn(sender(probe, i, &sh)));
        while (sh.tickets.load() < senders) co_await weft::time::sleep(1ms);  // all started
        for (int i = 0; i + 3 < senders; ++i) {
            int before = sh.received.load();
            (void)go.send(0);
            if (i % 2 == 0) hs[sh.order[i + 2].load()].abort();  // the likely head of the queue
            // Every abort that lands before its send leaves one message fewer than rounds: once
            // all senders are done and everything sent has arrived, nothing more will come.
            auto drained = [&] {
                return sh.finished.load() == senders && sh.received.load() == sh.sent.load();
            };
            while (sh.received.load() == before && !drained()) co_await weft::yield_now();
            if (drained()) break;
        }
        go = {};  // the consumer runs free from here
        for (auto& h : hs) (void)co_await h;
        auto end = co_await probe.send(-1);
        EXPECT_TRUE(end);
        long sum = (co_await c).value();
        EXPECT_EQ(sh.received.load(), sh.sent.load());
        EXPECT_EQ(sum, sh.sent_sum.load());
        co_return probe.capacity() == 2u;  // every slot is back
    };
    EXPECT_TRUE(rt.block_on(main()));
    EXPECT_GE(sh.sent.load(), senders / 3);
}

}  // namespace
