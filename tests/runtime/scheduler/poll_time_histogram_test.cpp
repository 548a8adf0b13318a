// RuntimeMetrics::poll_time_histogram on both runtimes: off by default, and when enabled one
// entry per poll, in the bucket of its duration.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <numeric>
#include <thread>
#include <weft/weft.hpp>

#include "runtime/scheduler/counters.hpp"

namespace {

using namespace std::chrono_literals;

weft::Runtime make_runtime(bool multi, bool histogram) {
    auto b = multi ? weft::Runtime::Builder::multi_thread() : weft::Runtime::Builder::current_thread();
    if (multi) b.worker_threads(2);
    b.enable_poll_time_histogram(histogram);
    return b.build();
}

std::uint64_t total(const weft::RuntimeMetrics& m) {
    return std::accumulate(m.poll_time_histogram.begin(), m.poll_time_histogram.end(), std::uint64_t{0});
}

/// Ten quick tasks and one whose only poll holds its thread for 3 ms.
void run_workload(weft::Runtime& rt) {
    auto quick = []() -> weft::Task<> {
        co_await weft::yield_now();
        co_return;
    };
    auto slow = []() -> weft::Task<> {
        std::this_thread::sleep_for(3ms);
        co_return;
    };
    auto root = [&]() -> weft::Task<> {
        std::vector<weft::JoinHandle<void>> handles;
        for (int i = 0; i < 10; ++i) handles.push_back(weft::spawn(quick()));
        handles.push_back(weft::spawn(slow()));
        for (auto& h : handles) (void)co_await h;
    };
    rt.block_on(root());
}

class PollTimeHistogram : public ::testing::TestWithParam<bool> {};

TEST_P(PollTimeHistogram, IsEmptyUnlessEnabled) {
    auto rt = make_runtime(GetParam(), false);
    run_workload(rt);
    EXPECT_GE(rt.metrics().polls, 21u);
    EXPECT_EQ(total(rt.metrics()), 0u);
}

TEST_P(PollTimeHistogram, CountsEveryPollInTheBucketOfItsDuration) {
    auto rt = make_runtime(GetParam(), true);
    run_workload(rt);
    // A worker adds a poll when it ends, just after the join it wakes: let the last one land.
    auto m = rt.metrics();
    for (int i = 0; i < 5000 && total(m) != m.polls; ++i) {
        std::this_thread::sleep_for(1ms);
        m = rt.metrics();
    }
    EXPECT_GE(m.polls, 21u);  // the quick tasks poll twice, the slow one once
    EXPECT_EQ(total(m), m.polls);
    // The slow poll took at least 3 ms: bucket 11 ([2048, 4096) us) or a later one.
    std::uint64_t at_least_2ms = 0;
    for (std::size_t i = 11; i < m.poll_time_histogram.size(); ++i) at_least_2ms += m.poll_time_histogram[i];
    EXPECT_GE(at_least_2ms, 1u);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, PollTimeHistogram, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "MultiThread" : "CurrentThread"; });

TEST(PollTimeHistogramBuckets, ArePowersOfTwoOfMicroseconds) {
    using H = weft::detail::PollTimeHistogram;
    EXPECT_EQ(H::bucket_of(0), 0u);
    EXPECT_EQ(H::bucket_of(1), 0u);
    EXPECT_EQ(H::bucket_of(2), 1u);
    EXPECT_EQ(H::bucket_of(3), 1u);
    EXPECT_EQ(H::bucket_of(4), 2u);
    EXPECT_EQ(H::bucket_of(2047), 10u);
    EXPECT_EQ(H::bucket_of(2048), 11u);
    EXPECT_EQ(H::bucket_of(32767), 14u);
    EXPECT_EQ(H::bucket_of(32768), 15u);
    EXPECT_EQ(H::bucket_of(std::uint64_t{1} << 40), 15u);
}

}  // namespace
