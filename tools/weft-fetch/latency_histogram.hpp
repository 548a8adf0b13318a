#pragma once

// Request latencies in bounded memory: weft-fetch may time a million requests, and keeping
// every value to sort at the end would cost 8 MB and a sort; this keeps ~19 KB whatever the count.

#include <array>
#include <cstdint>

namespace weft_fetch {

/// A log-linear histogram of latencies (the layout of HdrHistogram): values are kept in
/// nanoseconds in buckets that are exact below 128 ns and, above, split every power of two into
/// 64 equal sub-buckets, so a bucket's midpoint is within 1/128 (0.8%) of any value in it.
/// Range 0 .. 2^42 ns (73 minutes); larger values count in the last bucket. min, max, mean and
/// count are exact. Not synchronized: one writer, or one histogram per worker and `merge`.
///
///     weft_fetch::LatencyHistogram h;
///     for (double ms : {1.0, 2.0, 3.0, 400.0}) h.record(ms);
///     h.percentile(50);   // ~2.0 (within 0.8%)
///     h.max();            // 400.0 exactly
class LatencyHistogram {
public:
    /// Sub-buckets per power of two above the exact range: the precision knob.
    static constexpr unsigned kSubBucketBits = 6;
    /// Values at or above 2^kMaxBits ns (about 73 minutes) are clamped into the last bucket.
    static constexpr unsigned kMaxBits = 42;

    /// Counts one latency in milliseconds. Negative values and NaN count as 0.
    void record(double millis) noexcept;

    /// The smallest recorded latency v such that at least `p` percent of the values are <= v,
    /// to within the bucket precision (clamped to [min, max]); `p` is clamped to [0, 100].
    /// percentile(0) is min(), percentile(100) is max(); 0 when empty.
    double percentile(double p) const noexcept;

    std::uint64_t count() const noexcept { return count_; }
    /// Exact; 0 when empty.
    double min() const noexcept { return count_ ? min_ : 0; }
    double max() const noexcept { return count_ ? max_ : 0; }
    double mean() const noexcept { return count_ ? sum_ / static_cast<double>(count_) : 0; }

    /// Adds `other`'s values to this one (e.g. the histograms of several workers).
    void merge(const LatencyHistogram& other) noexcept;

    /// Calls `f(representative_millis, count)` for each non-empty bucket, in increasing order of
    /// value; the representative is the bucket's midpoint clamped to [min, max].
    template <class F>
    void for_each_bucket(F&& f) const {
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            if (counts_[i] != 0) f(representative(i), counts_[i]);
        }
    }

private:
    static constexpr std::size_t kExact = std::size_t{1} << (kSubBucketBits + 1);  // 0..127 ns one by one
    static constexpr std::size_t kHalf = kExact / 2;
    static constexpr std::size_t kBuckets = kExact + (kMaxBits - kSubBucketBits - 1) * kHalf;

    static std::size_t index_of(std::uint64_t nanos) noexcept;
    double representative(std::size_t index) const noexcept;

    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
    double min_ = 0;
    double max_ = 0;
};

}  // namespace weft_fetch
