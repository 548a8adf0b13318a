#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/barrier.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::Barrier;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

weft::Task<bool> arrive(Barrier& b, int* passed) {
    auto r = co_await b.wait();
    ++*passed;
    co_return r.is_leader();
}

TEST(Barrier, ReleasesEveryoneWhenTheLastArrivesWithOneLeader) {
    weft::Runtime rt;
    Barrier b(3);
    int passed = 0;
    auto main = [&]() -> weft::Task<int> {
        auto a = weft::spawn_local(arrive(b, &passed));
        auto c = weft::spawn_local(arrive(b, &passed));
        co_await settle();
        EXPECT_EQ(passed, 0);
        bool me = co_await arrive(b, &passed);  // the third: completes the round
        int leaders = me + (co_await a).value() + (co_await c).value();
        co_return leaders;
    };
    EXPECT_EQ(rt.block_on(main()), 1);
    EXPECT_EQ(passed, 3);
}

TEST(Barrier, ANamedWaitAwaitedAgainStillCountsOnce) {
    // Its first await times out while it is counted in the round; awaiting it again must not
    // count it twice (which released a round of three with two tasks).
    auto rt = weft::sync::test::paused_runtime();
    Barrier b(3);
    int passed = 0;
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto wait = b.wait();
        auto first = co_await weft::time::timeout(5ms, wait);
        auto other = weft::spawn_local(arrive(b, &passed));
        co_await weft::yield_now();                            // the second arrival
        auto early = co_await weft::time::timeout(5ms, wait);  // still one short
        auto third = weft::spawn_local(arrive(b, &passed));
        auto second = co_await weft::time::timeout(1s, wait);
        co_await other;
        co_await third;
        co_return std::pair{!first && !early, second.has_value()};
    };
    auto [not_before_the_third, released] = rt.block_on(main());
    EXPECT_TRUE(not_before_the_third) << "released with two of three";
    EXPECT_TRUE(released);
    EXPECT_EQ(passed, 2);
}

TEST(Barrier, ANamedWaitReleasedWhileItsAwaitWasAbandonedCompletesWhenAwaitedAgain) {
    auto rt = weft::sync::test::paused_runtime();
    Barrier b(2);
    int passed = 0;
    auto main = [&]() -> weft::Task<std::pair<bool, bool>> {
        auto wait = b.wait();
        auto first = co_await weft::time::timeout(5ms, wait);
        co_await arrive(b, &passed);  // completes the round, releasing `wait` too
        auto second = co_await weft::time::timeout(1s, wait);
        // And it is not counted in the next round: that takes two new arrivals.
        auto x = weft::spawn_local(arrive(b, &passed));
        auto y = weft::spawn_local(arrive(b, &passed));
        co_await weft::time::timeout(1s, std::move(x));
        co_await weft::time::timeout(1s, std::move(y));
        co_return std::pair{!first, second.has_value() && !second->is_leader()};
    };
    auto [first_timed_out, released] = rt.block_on(main());
    EXPECT_TRUE(first_timed_out);
    EXPECT_TRUE(released) << "its round was released, but it waited for another";
    EXPECT_EQ(passed, 3);
}

TEST(Barrier, ResetsForTheNextRound) {
    weft::Runtime rt;
    Barrier b(2);
    int passed = 0;
    auto main = [&]() -> weft::Task<> {
        for (int round = 0; round < 3; ++round) {
            auto other = weft::spawn_local(arrive(b, &passed));
            co_await arrive(b, &passed);
            co_await other;
        }
    };
    rt.block_on(main());
    EXPECT_EQ(passed, 6);
}

TEST(Barrier, CancelledWaitWithdrawsItsArrival) {
    auto rt = weft::sync::test::paused_runtime();
    Barrier b(2);
    int passed = 0;
    auto main = [&]() -> weft::Task<> {
        auto r = co_await weft::time::timeout(5ms, arrive(b, &passed));
        EXPECT_FALSE(r);
        // Had the cancelled arrival counted, this one would complete the round alone.
        auto alone = co_await weft::time::timeout(5ms, arrive(b, &passed));
        EXPECT_FALSE(alone);
        auto other = weft::spawn_local(arrive(b, &passed));
        co_await arrive(b, &passed);
        co_await other;
    };
    rt.block_on(main());
    EXPECT_EQ(passed, 2);
}

TEST(BarrierThreads, RoundsAcrossRuntimesOnSeveralThreads) {
    constexpr int threads = 4;
    constexpr int rounds = 200;
    Barrier b(threads);
    std::atomic<int> leaders{0};
    std::atomic<int> phase_errors{0};
    std::atomic<int> arrived_in_round[rounds] = {};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            weft::Runtime rt;
            auto run = [&]() -> weft::Task<> {
                for (int r = 0; r < rounds; ++r) {
                    arrived_in_round[r].fetch_add(1);
                    auto res = co_await b.wait();
                    // Nobody may pass round r before everyone arrived at it.
                    if (arrived_in_round[r].load() != threads) phase_errors.fetch_add(1);
                    if (res.is_leader()) leaders.fetch_add(1);
                }
            };
            rt.block_on(run());
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(phase_errors.load(), 0);
    EXPECT_EQ(leaders.load(), rounds);
}

}  // namespace
