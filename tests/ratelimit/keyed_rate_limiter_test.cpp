#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <weft/ratelimit/ratelimit.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/sleep.hpp>

namespace {

using namespace std::chrono_literals;
using weft::ratelimit::KeyedRateLimiter;
using weft::ratelimit::ManualClock;
using weft::ratelimit::Quota;
using weft::time::Instant;

template <class K>
int drain(KeyedRateLimiter<K>& limiter, const K& key) {
    int n = 0;
    while (limiter.check(key)) ++n;
    return n;
}

TEST(KeyedRateLimiter, KeysHaveIndependentBuckets) {
    ManualClock clock;
    KeyedRateLimiter<std::string> limiter(Quota::per_second(10).allow_burst(3), clock);
    EXPECT_EQ(drain(limiter, std::string("a.example")), 3);
    EXPECT_EQ(drain(limiter, std::string("b.example")), 3);
    auto refused = limiter.check("a.example");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().earliest, clock.now() + 100ms);
    clock.advance(100ms);
    EXPECT_EQ(drain(limiter, std::string("a.example")), 1);
    EXPECT_EQ(drain(limiter, std::string("b.example")), 1);
    EXPECT_EQ(limiter.len(), 2u);

    auto too_many = limiter.check_n("c", 4);
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.error().burst_size, 3u);
    auto three = limiter.check_n("c", 3);
    ASSERT_TRUE(three);
    EXPECT_TRUE(*three);
    auto again = limiter.check_n("c", 1);
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
}

TEST(KeyedRateLimiter, IdleKeysAreDroppedWithoutChangingAnswers) {
    ManualClock clock;
    KeyedRateLimiter<int> limiter(Quota::with_period(10ms).allow_burst(2), clock);
    for (int k = 0; k < 100; ++k) EXPECT_TRUE(limiter.check(k));
    EXPECT_EQ(limiter.len(), 100u);
    limiter.retain_recent();
    EXPECT_EQ(limiter.len(), 100u);  // all still within their window
    clock.advance(10ms);
    EXPECT_TRUE(limiter.check(7));
    EXPECT_TRUE(limiter.check(7));  // key 7: both cells gone now
    clock.advance(10ms);            // everyone but key 7 is full again
    limiter.retain_recent();
    EXPECT_EQ(limiter.len(), 1u);
    EXPECT_EQ(drain(limiter, 7), 1);  // key 7 kept its state
    EXPECT_EQ(drain(limiter, 8), 2);  // a dropped key behaves as new
}

TEST(KeyedRateLimiter, MemoryStaysBoundedUnderAStreamOfNewKeys) {
    ManualClock clock;
    KeyedRateLimiter<int> limiter(Quota::with_period(1ms), clock);
    std::size_t most = 0;
    // 200,000 distinct keys, 10 per millisecond: only ~10 are inside their window at any time.
    for (int k = 0; k < 200'000; ++k) {
        EXPECT_TRUE(limiter.check(k));
        if (k % 10 == 9) clock.advance(1ms);
        most = std::max(most, limiter.len());
    }
    EXPECT_LE(most, 16u * 2 * 64);  // two sweeps' worth per shard at most
}

TEST(KeyedRateLimiter, UntilReadyPerKeyOnPausedTime) {
    auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
    auto main = []() -> weft::Task<> {
        KeyedRateLimiter<std::string> limiter(Quota::with_period(50ms));
        const Instant start = weft::time::now();
        co_await limiter.until_ready("x");
        co_await limiter.until_ready("y");
        EXPECT_EQ(weft::time::now(), start);
        co_await limiter.until_ready("x");
        EXPECT_GE(weft::time::now() - start, 50ms);
        EXPECT_LT(weft::time::now() - start, 51ms);
        auto r = co_await limiter.until_n_ready("y", 2);
        EXPECT_FALSE(r);
        if (r) co_return;
        EXPECT_EQ(r.error(), weft::ratelimit::Errc::insufficient_capacity);
        EXPECT_TRUE(co_await limiter.until_n_ready("y", 1));  // y's next cell was due at 50 ms

        // A waiter cancelled while asleep takes nothing.
        auto h = weft::spawn_local(limiter.until_ready("x"));
        for (int i = 0; i < 4; ++i) co_await weft::yield_now();
        h.abort();
        co_await weft::time::sleep(60ms);
        EXPECT_TRUE(limiter.check("x"));
        EXPECT_FALSE(limiter.check("x"));
    };
    rt.block_on(main());
}

TEST(KeyedRateLimiterThreads, ConcurrentChecksNeverExceedEachKeysQuota) {
    ManualClock clock;
    KeyedRateLimiter<int> limiter(Quota::with_period(1ms).allow_burst(100), clock);
    std::atomic<int> passed[4] = {};
    auto hammer = [&](int offset) {
        for (int i = 0; i < 4000; ++i) {
            int key = (i + offset) % 4;
            if (limiter.check(key)) passed[key].fetch_add(1, std::memory_order_relaxed);
            if (i % 1000 == 999) limiter.retain_recent();  // sweeps race with checks
        }
    };
    { std::jthread a(hammer, 0), b(hammer, 1); }
    for (auto& p : passed) EXPECT_EQ(p.load(), 100);
    clock.advance(30ms);
    { std::jthread a(hammer, 0), b(hammer, 3); }
    for (auto& p : passed) EXPECT_EQ(p.load(), 130);
}

TEST(KeyedRateLimiterMultiThread, WaitersOnWorkersStayWithinEachKeysQuota) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    KeyedRateLimiter<int> limiter(Quota::per_second(1000).allow_burst(10));
    std::atomic<int> passed[2] = {};
    std::atomic<bool> stop{false};
    auto worker = [](KeyedRateLimiter<int>* l, int key, std::atomic<int>* count,
                     std::atomic<bool>* stop_flag) -> weft::Task<> {
        while (!stop_flag->load()) {
            co_await l->until_ready(key);
            count->fetch_add(1);
        }
    };
    const auto start = std::chrono::steady_clock::now();
    auto main = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> handles;
        for (int i = 0; i < 8; ++i)
            handles.push_back(weft::spawn(worker(&limiter, i % 2, &passed[i % 2], &stop)));
        co_await weft::time::sleep(150ms);
        stop.store(true);
        for (auto& h : handles) co_await h;
    };
    rt.block_on(main());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (auto& p : passed) {
        EXPECT_LE(p.load(), 10 + seconds * 1000 + 1);
        EXPECT_GT(p.load(), 10);
    }
}

}  // namespace
