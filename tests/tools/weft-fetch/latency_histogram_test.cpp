#include "latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace {

using weft_fetch::LatencyHistogram;

constexpr double kRelativeError = 1.0 / 128 + 1e-9;

// The exact percentile with the histogram's definition: the value of rank ceil(p% * n), 1-based.
double exact_percentile(std::vector<double> sorted, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

// Records `values`, then checks every percentile in a fine grid against the exact one.
void expect_accurate(const std::vector<double>& values, const char* what) {
    LatencyHistogram h;
    for (double v : values) h.record(v);
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());

    ASSERT_EQ(h.count(), values.size()) << what;
    EXPECT_EQ(h.min(), sorted.front()) << what;
    EXPECT_EQ(h.max(), sorted.back()) << what;
    double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    EXPECT_NEAR(h.mean(), mean, std::abs(mean) * 1e-12) << what;

    for (double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
        double exact = exact_percentile(sorted, p);
        double got = h.percentile(p);
        // Below 128 ns values are exact to the nanosecond.
        double tolerance = std::max(exact * kRelativeError, 0.5e-6);
        EXPECT_NEAR(got, exact, tolerance) << what << " p" << p;
    }
}

// Uniform doubles in [0, 1) from mt19937_64, whose output is fully specified by the standard.
std::vector<double> uniform01(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> out(n);
    for (auto& u : out) u = static_cast<double>(rng() >> 11) * 0x1p-53;
    return out;
}

TEST(FetchLatencyHistogram, EmptyIsAllZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min(), 0);
    EXPECT_EQ(h.max(), 0);
    EXPECT_EQ(h.mean(), 0);
    EXPECT_EQ(h.percentile(50), 0);
    int buckets = 0;
    h.for_each_bucket([&](double, std::uint64_t) { ++buckets; });
    EXPECT_EQ(buckets, 0);
}

TEST(FetchLatencyHistogram, SingleValueIsExactEverywhere) {
    LatencyHistogram h;
    h.record(12.345);
    for (double p : {0.0, 1.0, 50.0, 99.9, 100.0}) EXPECT_EQ(h.percentile(p), 12.345) << p;
    EXPECT_EQ(h.mean(), 12.345);
}

TEST(FetchLatencyHistogram, UniformOneToThousandMilliseconds) {
    std::vector<double> values;
    for (double u : uniform01(100'000, 1)) values.push_back(1 + 999 * u);
    expect_accurate(values, "uniform");
}

TEST(FetchLatencyHistogram, ExponentialMicrosecondsToSeconds) {
    std::vector<double> values;
    for (double u : uniform01(100'000, 2)) values.push_back(-std::log1p(-u) * 20.0);  // mean 20 ms
    expect_accurate(values, "exponential");
}

TEST(FetchLatencyHistogram, LogUniformOverTheWholeRange) {
    // 1 us .. 1 h: every octave of the range is exercised.
    std::vector<double> values;
    for (double u : uniform01(50'000, 3)) values.push_back(1e-3 * std::pow(3.6e9, u));
    expect_accurate(values, "log-uniform 1us..1h");
}

TEST(FetchLatencyHistogram, BimodalFastAndSlow) {
    // 90% around 1 ms, 10% around 2 s: p90 sits right at the edge, p99 in the slow mode.
    std::vector<double> values;
    auto u = uniform01(20'000, 4);
    for (std::size_t i = 0; i < u.size(); ++i)
        values.push_back(i % 10 == 0 ? 2000 + 500 * u[i] : 0.8 + 0.4 * u[i]);
    expect_accurate(values, "bimodal");
}

TEST(FetchLatencyHistogram, SubMicrosecondValuesAreExactToTheNanosecond) {
    std::vector<double> values;
    for (int ns = 0; ns < 128; ++ns) values.push_back(ns * 1e-6);
    expect_accurate(values, "0..127 ns");
}

TEST(FetchLatencyHistogram, RelativeErrorBoundHoldsForEveryBucketEdge) {
    // Values just at and just below each power of two and each sub-bucket edge.
    for (double ms = 1e-3; ms < 3.6e6; ms *= 1.37) {
        LatencyHistogram h;
        h.record(ms);
        h.record(ms * 1000);  // widen [min, max] so the midpoint is not clamped to the value
        h.record(ms / 1000);
        EXPECT_NEAR(h.percentile(50), ms, ms * kRelativeError) << ms;
    }
}

TEST(FetchLatencyHistogram, OutOfRangeValuesAreClampedNotLost) {
    LatencyHistogram h;
    h.record(-5);
    h.record(std::numeric_limits<double>::quiet_NaN());
    h.record(10.0 * 3600 * 1000);  // 10 hours: beyond the 73-minute range
    h.record(std::numeric_limits<double>::infinity());
    EXPECT_EQ(h.count(), 4u);
    EXPECT_EQ(h.min(), 0);
    EXPECT_EQ(h.percentile(50), 0);
    EXPECT_EQ(h.max(), std::numeric_limits<double>::infinity());
    // The 10-hour value lands in the last bucket (about 73 minutes), clamped to [min, max].
    double p75 = h.percentile(75);
    EXPECT_GT(p75, 70.0 * 60 * 1000);
    EXPECT_LT(p75, 74.0 * 60 * 1000);
}

TEST(FetchLatencyHistogram, MergeEqualsRecordingEverythingInOne) {
    auto u = uniform01(30'000, 5);
    LatencyHistogram all, a, b, empty;
    for (std::size_t i = 0; i < u.size(); ++i) {
        double v = 0.1 + 100 * u[i] * u[i];
        all.record(v);
        (i % 3 == 0 ? a : b).record(v);
    }
    LatencyHistogram merged;
    merged.merge(empty);
    merged.merge(a);
    merged.merge(b);
    merged.merge(empty);
    EXPECT_EQ(merged.count(), all.count());
    EXPECT_EQ(merged.min(), all.min());
    EXPECT_EQ(merged.max(), all.max());
    EXPECT_NEAR(merged.mean(), all.mean(), all.mean() * 1e-12);
    for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
}

TEST(FetchLatencyHistogram, BucketsAreOrderedAndCountEverything) {
    LatencyHistogram h;
    auto u = uniform01(10'000, 6);
    for (double x : u) h.record(50 * x);
    double last = -1;
    std::uint64_t total = 0;
    h.for_each_bucket([&](double ms, std::uint64_t n) {
        EXPECT_GT(ms, last);
        EXPECT_GT(n, 0u);
        EXPECT_GE(ms, h.min());
        EXPECT_LE(ms, h.max());
        last = ms;
        total += n;
    });
    EXPECT_EQ(total, h.count());
}

TEST(FetchLatencyHistogram, MemoryStaysBoundedForAMillionValues) {
    static_assert(sizeof(LatencyHistogram) < 32 * 1024);
    LatencyHistogram h;
    for (int i = 0; i < 1'000'000; ++i) h.record(0.5 + (i % 1000) * 0.01);
    EXPECT_EQ(h.count(), 1'000'000u);
    EXPECT_NEAR(h.percentile(50), 0.5 + 499 * 0.01, (0.5 + 499 * 0.01) * kRelativeError);
}

}  // namespace
