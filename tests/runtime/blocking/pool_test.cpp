#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>
#include <weft/runtime/blocking/spawn_blocking.hpp>
#include <weft/runtime/runtime.hpp>

namespace {

using namespace std::chrono_literals;

TEST(BlockingPool, TenThousandCallsReuseAFewThreads) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<long> {
        long sum = 0;
        for (int i = 0; i < 10'000; ++i) sum += co_await weft::spawn_blocking([i] { return long{i}; });
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(t()), 10'000L * 9'999 / 2);
    // Sequential calls: one thread serves them all (a second may start while the first is
    // between jobs).
    EXPECT_LE(rt.metrics().blocking_threads_spawned, 2u);
}

TEST(BlockingPool, ConcurrentCallsAreCappedAndQueued) {
    auto rt = weft::Runtime::Builder::current_thread().max_blocking_threads(4).build();
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
    auto t = [&]() -> weft::Task<int> {
        std::vector<weft::JoinHandle<int>> hs;
        auto one = [&]() -> weft::Task<int> {
            co_return co_await weft::spawn_blocking([&] {
                int now = ++running;
                int p = peak.load();
                while (now > p && !peak.compare_exchange_weak(p, now)) {
                }
                std::this_thread::sleep_for(2ms);
                --running;
                return 1;
            });
        };
        for (int i = 0; i < 64; ++i) hs.push_back(weft::spawn_local(one()));
        int done = 0;
        for (auto& h : hs) done += (co_await h).value();
        co_return done;
    };
    EXPECT_EQ(rt.block_on(t()), 64);
    EXPECT_LE(peak.load(), 4);
    EXPECT_LE(rt.metrics().blocking_threads_spawned, 4u);
}

TEST(BlockingPool, ExceptionIsRethrownToTheAwaiter) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<bool> {
        try {
            co_await weft::spawn_blocking([]() -> int { throw std::runtime_error("disk on fire"); });
        } catch (const std::runtime_error&) {
            co_return true;
        }
        co_return false;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(BlockingPool, IdleThreadsRetireAfterKeepAlive) {
    weft::detail::BlockingPool pool({.max_threads = 2, .keep_alive = 10ms});
    std::atomic<int> ran{0};
    pool.submit([&] {
        ++ran;
        return weft::Waker{};
    });
    for (int i = 0; i < 500 && pool.stats().threads != 0; ++i) std::this_thread::sleep_for(2ms);
    EXPECT_EQ(ran.load(), 1);
    EXPECT_EQ(pool.stats().threads, 0u);
    pool.submit([&] {
        ++ran;
        return weft::Waker{};
    });  // a fresh thread serves later work
    for (int i = 0; i < 500 && ran.load() != 2; ++i) std::this_thread::sleep_for(2ms);
    EXPECT_EQ(ran.load(), 2);
}

TEST(BlockingPool, AbandonedResultDoesNotCrash) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<> {
        auto h = weft::spawn_blocking([] {
            std::this_thread::sleep_for(5ms);
            return 1;
        });
        (void)h;  // dropped without awaiting: the work still runs, its result is discarded
        co_return;
    };
    rt.block_on(t());
}

}  // namespace
