#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/cancellation_token.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::CancellationToken;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

weft::Task<> wait_cancelled(CancellationToken t, int* woken) {
    co_await t.cancelled();
    ++*woken;
}

TEST(CancellationToken, CancelWakesAWaitingTask) {
    weft::Runtime rt;
    CancellationToken token;
    int woken = 0;
    auto main = [&]() -> weft::Task<> {
        auto h = weft::spawn_local(wait_cancelled(token, &woken));
        co_await settle();
        EXPECT_EQ(woken, 0);
        EXPECT_FALSE(token.is_cancelled());
        token.cancel();
        EXPECT_TRUE(token.is_cancelled());
        co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(woken, 1);
}

TEST(CancellationToken, ANamedCancelledAwaitedAgainAfterALostTimeoutIsLinkedOnce) {
    // The first await times out with the awaiter still registered; awaiting it again must not
    // link it twice, which would cut out the waiter queued behind it.
    auto rt = weft::sync::test::paused_runtime();
    CancellationToken token;
    int woken = 0;
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto cancelled = token.cancelled();
        auto first = co_await weft::time::timeout(5ms, cancelled);
        auto other = weft::spawn_local(wait_cancelled(token, &woken));
        co_await weft::yield_now();  // it registers, behind the first
        auto canceller = weft::spawn_local(weft::sync::test::after(5ms, [&token] { token.cancel(); }));
        auto second = co_await weft::time::timeout(1s, cancelled);
        auto other_done = co_await weft::time::timeout(1s, std::move(other));
        co_await canceller;
        co_return std::pair{!first, second.has_value() && other_done.has_value()};
    };
    auto [first_timed_out, both_woken] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(both_woken);
    EXPECT_EQ(woken, 1);
}

TEST(CancellationToken, CancelledCompletesAtOnceOnACancelledToken) {
    weft::Runtime rt;
    CancellationToken token;
    token.cancel();
    token.cancel();  // idempotent
    auto main = [&]() -> weft::Task<bool> {
        co_await token.cancelled();
        co_return true;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(CancellationToken, CopiesShareOneState) {
    CancellationToken a;
    CancellationToken b = a;
    b.cancel();
    EXPECT_TRUE(a.is_cancelled());
}

TEST(CancellationToken, ChildrenFollowTheParentButNotTheReverse) {
    CancellationToken parent;
    CancellationToken child = parent.child_token();
    CancellationToken grandchild = child.child_token();
    CancellationToken sibling = parent.child_token();
    child.cancel();
    EXPECT_TRUE(child.is_cancelled());
    EXPECT_TRUE(grandchild.is_cancelled());
    EXPECT_FALSE(parent.is_cancelled());
    EXPECT_FALSE(sibling.is_cancelled());
    parent.cancel();
    EXPECT_TRUE(sibling.is_cancelled());
    EXPECT_TRUE(parent.child_token().is_cancelled());  // born cancelled
}

TEST(CancellationToken, GrandchildrenStillFollowWhenTheirParentIsDropped) {
    weft::Runtime rt;
    CancellationToken root;
    std::optional<CancellationToken> middle = root.child_token();
    CancellationToken leaf = middle->child_token();
    CancellationToken leaf2 = middle->child_token().child_token();
    middle.reset();  // its children move up to `root`
    int woken = 0;
    auto main = [&]() -> weft::Task<> {
        auto h = weft::spawn_local(wait_cancelled(leaf, &woken));
        co_await settle();
        root.cancel();
        co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(woken, 1);
    EXPECT_TRUE(leaf2.is_cancelled());
}

TEST(CancellationToken, ParentDroppedFirstLeavesChildrenWorking) {
    std::optional<CancellationToken> root{CancellationToken{}};
    CancellationToken child = root->child_token();
    root.reset();
    EXPECT_FALSE(child.is_cancelled());
    child.cancel();
    EXPECT_TRUE(child.is_cancelled());
}

TEST(CancellationToken, CancelWakesManyWaitersAcrossTheSubtree) {
    weft::Runtime rt;
    CancellationToken root;
    std::vector<CancellationToken> children;
    for (int i = 0; i < 5; ++i) children.push_back(root.child_token());
    int woken = 0;
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> hs;
        for (int i = 0; i < 100; ++i) {  // more than one wake batch
            hs.push_back(weft::spawn_local(wait_cancelled(i % 2 ? children[i % 5] : root, &woken)));
        }
        co_await settle();
        root.cancel();
        for (auto& h : hs) co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(woken, 100);
}

TEST(CancellationToken, CancelledAwaitDestroyedByTimeoutUnregisters) {
    auto rt = weft::sync::test::paused_runtime();
    CancellationToken token;
    auto main = [&]() -> weft::Task<bool> {
        int woken = 0;
        auto r = co_await weft::time::timeout(10ms, wait_cancelled(token, &woken));
        EXPECT_FALSE(r);
        token.cancel();  // must not touch the destroyed waiter
        co_return woken == 0;
    };
    EXPECT_TRUE(rt.block_on(main()));
}

TEST(CancellationToken, DropGuardCancelsOnScopeExitUnlessDisarmed) {
    CancellationToken a;
    { auto guard = a.drop_guard(); }
    EXPECT_TRUE(a.is_cancelled());
    CancellationToken b;
    {
        auto guard = b.drop_guard();
        CancellationToken back = guard.disarm();
        EXPECT_FALSE(back.is_cancelled());
    }
    EXPECT_FALSE(b.is_cancelled());
}

TEST(CancellationTokenThreads, CancelFromAPlainThreadReachesRuntimesOnOthers) {
    constexpr int threads = 3;
    CancellationToken root;
    std::atomic<int> waiting{0};
    std::atomic<int> woken{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&, child = root.child_token()] {
            weft::Runtime rt;
            auto wait = [](CancellationToken t, std::atomic<int>* waiting,
                           std::atomic<int>* woken) -> weft::Task<> {
                auto c = t.cancelled();
                waiting->fetch_add(1);
                co_await c;
                woken->fetch_add(1);
            };
            auto main = [&]() -> weft::Task<> {
                std::vector<weft::JoinHandle<void>> hs;
                for (int k = 0; k < 10; ++k)
                    hs.push_back(weft::spawn_local(wait(child.child_token(), &waiting, &woken)));
                for (auto& h : hs) co_await h;
            };
            rt.block_on(main());
        });
    }
    while (waiting.load() < threads * 10) std::this_thread::yield();
    root.cancel();
    for (auto& t : ts) t.join();
    EXPECT_EQ(woken.load(), threads * 10);
}

TEST(CancellationTokenThreads, ChildrenCreatedAndDroppedWhileCancellingAllEndCancelled) {
    CancellationToken root;
    std::atomic<bool> stop{false};
    std::atomic<int> late_uncancelled{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t) {
        ts.emplace_back([&] {
            std::vector<CancellationToken> kept;
            for (int i = 0; i < 2'000 && !stop.load(); ++i) {
                CancellationToken c = root.child_token();
                CancellationToken g = c.child_token();
                if (i % 3 == 0) kept.push_back(std::move(g));  // its parent `c` is dropped
            }
            while (!stop.load()) std::this_thread::yield();
            for (auto& k : kept)
                if (!k.is_cancelled()) late_uncancelled.fetch_add(1);
        });
    }
    std::this_thread::sleep_for(1ms);
    root.cancel();
    stop.store(true);
    for (auto& t : ts) t.join();
    EXPECT_EQ(late_uncancelled.load(), 0);
}

}  // namespace
