#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>
#include <weft/ratelimit/ratelimit.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

namespace {

using namespace std::chrono_literals;
using weft::ratelimit::InsufficientCapacity;
using weft::ratelimit::Jitter;
using weft::ratelimit::ManualClock;
using weft::ratelimit::Quota;
using weft::ratelimit::RateLimiter;
using weft::time::Instant;

constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();

weft::Runtime paused_runtime() { return weft::Runtime::Builder::current_thread().start_paused(true).build(); }

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

/// How many single cells pass right now.
int drain(RateLimiter& limiter) {
    int n = 0;
    while (limiter.check()) ++n;
    return n;
}

TEST(RateLimitQuota, IntervalsRoundUpAndBurstDefaultsToOne) {
    EXPECT_EQ(Quota::per_second(1000).replenish_interval(), 1ms);
    EXPECT_EQ(Quota::per_second(1000).burst_size(), 1u);
    EXPECT_EQ(Quota::per_minute(60).replenish_interval(), 1s);
    EXPECT_EQ(Quota::per_hour(3600).replenish_interval(), 1s);
    EXPECT_EQ(Quota::per_second(3).interval_ns(), 333'333'334u);  // rounded up: never above 3/s
    EXPECT_EQ(Quota::per_second(u32_max).interval_ns(), 1u);      // capped at 10^9/s
    EXPECT_EQ(Quota::with_period(1ns).interval_ns(), 1u);
    EXPECT_EQ(Quota::with_period(250ms).allow_burst(7).burst_size(), 7u);
    EXPECT_EQ(Quota::with_period(250ms).allow_burst(7).replenish_interval(), 250ms);
}

TEST(RateLimitQuota, InvalidQuotasThrow) {
    EXPECT_THROW((void)Quota::per_second(0), std::invalid_argument);
    EXPECT_THROW((void)Quota::per_minute(0), std::invalid_argument);
    EXPECT_THROW((void)Quota::per_hour(0), std::invalid_argument);
    EXPECT_THROW((void)Quota::with_period(0ns), std::invalid_argument);
    EXPECT_THROW((void)Quota::with_period(-5s), std::invalid_argument);
    EXPECT_THROW((void)Quota::per_second(5).allow_burst(0), std::invalid_argument);
}

TEST(RateLimiter, BurstIsExactlyTheQuotaAndRefillIsOnePerInterval) {
    ManualClock clock;
    RateLimiter limiter(Quota::per_second(10).allow_burst(5), clock);
    const Instant start = clock.now();
    EXPECT_EQ(drain(limiter), 5);

    auto refused = limiter.check();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().earliest, start + 100ms);
    EXPECT_EQ(refused.error().wait_time_from(start), 100ms);
    EXPECT_EQ(refused.error().wait_time_from(start + 1s), 0ns);

    clock.advance(99ms);
    EXPECT_EQ(drain(limiter), 0);
    clock.advance(1ms);
    EXPECT_EQ(drain(limiter), 1);
    clock.advance(250ms);
    EXPECT_EQ(drain(limiter), 2);  // 2.5 intervals: two whole cells, the half carries over
    clock.advance(50ms);
    EXPECT_EQ(drain(limiter), 1);
    clock.advance(10s);  // a long quiet spell refills the bucket, never beyond the burst
    EXPECT_EQ(drain(limiter), 5);
}

TEST(RateLimiter, BurstOfOneSpacesCellsEvenly) {
    ManualClock clock;
    RateLimiter limiter(Quota::per_second(1000), clock);
    int passed = 0;
    for (int step = 0; step < 10'000; ++step) {  // 10 s in 1 ms steps
        passed += drain(limiter);
        clock.advance(1ms);
    }
    EXPECT_EQ(passed, 10'000);
}

TEST(RateLimiter, CheckNTakesAllOrNothing) {
    ManualClock clock;
    RateLimiter limiter(Quota::with_period(10ms).allow_burst(5), clock);
    const Instant start = clock.now();

    auto too_many = limiter.check_n(6);
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.error().burst_size, 5u);

    auto none = limiter.check_n(0);
    ASSERT_TRUE(none);
    EXPECT_TRUE(*none);
    auto three = limiter.check_n(3);
    ASSERT_TRUE(three);
    EXPECT_TRUE(*three);

    auto r = limiter.check_n(3);  // 2 left: none taken
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().earliest, start + 10ms);
    EXPECT_EQ(drain(limiter), 2);
    clock.advance(30ms);
    auto refilled = limiter.check_n(3);
    ASSERT_TRUE(refilled);
    EXPECT_TRUE(*refilled);
    EXPECT_EQ(drain(limiter), 0);
}

TEST(RateLimiter, ExtremeQuotasStayWithinSixtyFourBits) {
    {  // u32 max per second with a u32 max burst: 1 ns interval, ~4.3 s window
        ManualClock clock;
        RateLimiter limiter(Quota::per_second(u32_max).allow_burst(u32_max), clock);
        auto all = limiter.check_n(u32_max);
        ASSERT_TRUE(all);
        EXPECT_TRUE(*all);
        auto next = limiter.check();
        ASSERT_FALSE(next);
        EXPECT_EQ(next.error().earliest, clock.now() + 1ns);
        clock.advance(1ns);
        EXPECT_TRUE(limiter.check());
        EXPECT_FALSE(limiter.check());
        clock.advance(3ns);
        EXPECT_EQ(drain(limiter), 3);
    }
    {  // a 1 ns period with burst 1
        ManualClock clock;
        RateLimiter limiter(Quota::with_period(1ns), clock);
        EXPECT_EQ(drain(limiter), 1);
        clock.advance(1000ns);
        EXPECT_EQ(drain(limiter), 1);
    }
    {  // the longest period with the largest burst: the window caps at 2^62 ns
        ManualClock clock;
        RateLimiter limiter(Quota::with_period(weft::time::Duration::max()).allow_burst(u32_max), clock);
        auto big = limiter.check_n(u32_max);
        ASSERT_TRUE(big);
        EXPECT_TRUE(*big);
        auto next = limiter.check();
        ASSERT_FALSE(next);
        EXPECT_GT(next.error().earliest, clock.now() + 100 * 365 * 24h);
        clock.advance(24h);
        EXPECT_FALSE(limiter.check());
    }
    {  // a clock near the end of time: the refusal's instant saturates instead of overflowing
        ManualClock clock(Instant::max() - 1h);
        RateLimiter limiter(Quota::with_period(24h * 365 * 200), clock);  // above the 2^62 ns cap
        EXPECT_TRUE(limiter.check());
        auto next = limiter.check();
        ASSERT_FALSE(next);
        EXPECT_EQ(next.error().earliest, Instant::max());
    }
}

TEST(RateLimiter, TenSecondsOfUntilReadyAtOneThousandPerSecond) {
    auto rt = paused_runtime();
    auto main = []() -> weft::Task<int> {
        RateLimiter limiter(Quota::per_second(1000));
        const Instant end = weft::time::now() + 10s;
        int cells = 0;
        while (true) {
            co_await limiter.until_ready();
            if (weft::time::now() >= end) break;
            ++cells;
        }
        co_return cells;
    };
    int cells = rt.block_on(main());
    EXPECT_GE(cells, 9'900);
    EXPECT_LE(cells, 10'100);
}

TEST(RateLimiter, UntilReadyWaitsExactlyForTheNextCell) {
    auto rt = paused_runtime();
    auto main = []() -> weft::Task<> {
        RateLimiter limiter(Quota::with_period(100ms).allow_burst(3));
        const Instant start = weft::time::now();
        for (int i = 0; i < 3; ++i) co_await limiter.until_ready();
        EXPECT_EQ(weft::time::now(), start);  // the burst does not wait
        co_await limiter.until_ready();
        auto waited = weft::time::now() - start;
        EXPECT_GE(waited, 100ms);
        EXPECT_LT(waited, 101ms);  // timers fire on the next millisecond tick

        auto r = co_await limiter.until_n_ready(3);  // the bucket refills over 3 intervals
        EXPECT_TRUE(r);
        EXPECT_GE(weft::time::now() - start, 400ms);
        EXPECT_LT(weft::time::now() - start, 402ms);
    };
    rt.block_on(main());
}

TEST(RateLimiter, UntilNReadyAboveTheBurstFailsAtOnce) {
    auto rt = paused_runtime();
    auto main = []() -> weft::Task<> {
        RateLimiter limiter(Quota::per_second(10).allow_burst(4));
        const Instant start = weft::time::now();
        auto r = co_await limiter.until_n_ready(5);
        EXPECT_FALSE(r);
        if (r) co_return;
        EXPECT_EQ(r.error(), weft::ratelimit::Errc::insufficient_capacity);
        EXPECT_EQ(r.error().category().name(), std::string("weft.ratelimit"));
        EXPECT_FALSE(r.error().message().empty());
        EXPECT_EQ(weft::time::now(), start);
        EXPECT_TRUE(co_await limiter.until_n_ready(0));
        EXPECT_TRUE(co_await limiter.until_n_ready(4));
    };
    rt.block_on(main());
}

TEST(RateLimiter, CancelledWaiterTakesNothing) {
    auto rt = paused_runtime();
    auto main = []() -> weft::Task<> {
        RateLimiter limiter(Quota::with_period(1s));
        EXPECT_TRUE(limiter.check());
        // A waiter aborted while it sleeps, and another whose timeout expires first.
        auto h = weft::spawn_local(limiter.until_ready());
        co_await settle();
        EXPECT_FALSE(h.is_finished());
        h.abort();
        co_await settle();
        auto timed = co_await weft::time::timeout(500ms, limiter.until_ready());
        EXPECT_FALSE(timed);
        if (timed) co_return;
        EXPECT_TRUE(weft::is_timeout(timed.error()));

        co_await weft::time::sleep(500ms);  // one second after the first cell
        EXPECT_TRUE(limiter.check());       // still there: nobody took it
        EXPECT_FALSE(limiter.check());
    };
    rt.block_on(main());
}

TEST(RateLimiter, ConcurrentWaitersShareTheRate) {
    auto rt = paused_runtime();
    auto main = []() -> weft::Task<> {
        RateLimiter limiter(Quota::per_second(100));
        std::vector<int> served(5, 0);
        auto worker = [](RateLimiter* l, int* count, Instant end) -> weft::Task<> {
            while (true) {
                co_await l->until_ready();
                if (weft::time::now() >= end) co_return;
                ++*count;
            }
        };
        const Instant end = weft::time::now() + 2s;
        std::vector<weft::JoinHandle<void>> handles;
        for (auto& s : served) handles.push_back(weft::spawn_local(worker(&limiter, &s, end)));
        for (auto& h : handles) co_await h;
        // Waiters are not queued (a contended cell goes to whoever checks first), so only
        // the total is fixed.
        int total = 0;
        for (int s : served) total += s;
        EXPECT_GE(total, 198);
        EXPECT_LE(total, 201);
    };
    rt.block_on(main());
}

TEST(RateLimiter, JitterDelaysOnlyWaits) {
    auto rt = paused_runtime();
    auto main = []() -> weft::Task<> {
        RateLimiter limiter(Quota::with_period(10ms));
        const Instant start = weft::time::now();
        co_await limiter.until_ready_with_jitter(Jitter{50ms, 0ms});
        EXPECT_EQ(weft::time::now(), start);  // the free cell is taken at once
        co_await limiter.until_ready_with_jitter(Jitter{50ms, 0ms});
        EXPECT_GE(weft::time::now() - start, 60ms);
        EXPECT_LT(weft::time::now() - start, 61ms);
    };
    rt.block_on(main());

    const Jitter j{5ms, 10ms};
    for (int i = 0; i < 1000; ++i) {
        auto d = j.sample();
        EXPECT_GE(d, 5ms);
        EXPECT_LT(d, 15ms);
    }
    EXPECT_EQ(Jitter{}.sample(), 0ns);
    auto up = Jitter::up_to(1ms).sample();
    EXPECT_GE(up, 0ns);
    EXPECT_LT(up, 1ms);
}

TEST(RateLimiterThreads, ConcurrentChecksNeverExceedTheQuota) {
    ManualClock clock;
    RateLimiter limiter(Quota::with_period(1ms).allow_burst(1000), clock);
    std::atomic<int> passed{0};
    auto hammer = [&] {
        for (int i = 0; i < 20'000; ++i)
            if (limiter.check()) passed.fetch_add(1, std::memory_order_relaxed);
    };
    { std::jthread a(hammer), b(hammer); }
    EXPECT_EQ(passed.load(), 1000);  // exactly the burst while time stands still
    clock.advance(250ms);
    { std::jthread a(hammer), b(hammer); }
    EXPECT_EQ(passed.load(), 1250);
}

TEST(RateLimiterMultiThread, ManyWaitersOnWorkersStayWithinTheQuota) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    RateLimiter limiter(Quota::per_second(2000).allow_burst(20));
    std::atomic<int> passed{0};
    std::atomic<bool> stop{false};
    auto worker = [](RateLimiter* l, std::atomic<int>* count, std::atomic<bool>* stop_flag) -> weft::Task<> {
        while (!stop_flag->load()) {
            co_await l->until_ready();
            count->fetch_add(1);
        }
    };
    const auto start = std::chrono::steady_clock::now();
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> handles;
        for (int i = 0; i < 16; ++i) handles.push_back(weft::spawn(worker(&limiter, &passed, &stop)));
        co_await weft::time::sleep(200ms);
        stop.store(true);
        for (auto& h : handles) co_await h;
    };
    rt.block_on(main());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    // Whatever the scheduling, GCRA allows at most burst + elapsed / interval cells.
    const double bound = 20 + std::chrono::duration<double>(elapsed).count() * 2000 + 1;
    EXPECT_LE(passed.load(), bound);
    EXPECT_GT(passed.load(), 20);
}

}  // namespace
