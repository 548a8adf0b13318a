#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace weft_fetch {
namespace {

constexpr double kNanosPerMilli = 1e6;

}  // namespace

std::size_t LatencyHistogram::index_of(std::uint64_t nanos) noexcept {
    constexpr std::uint64_t kLargest = (std::uint64_t{1} << kMaxBits) - 1;
    nanos = std::min(nanos, kLargest);
    if (nanos < kExact) return static_cast<std::size_t>(nanos);
    // Above the exact range: the octave [2^msb, 2^(msb+1)) holds kHalf sub-buckets of width 2^shift.
    auto msb = static_cast<unsigned>(std::bit_width(nanos) - 1);  // >= kSubBucketBits + 1
    unsigned shift = msb - kSubBucketBits;
    auto sub = static_cast<std::size_t>(nanos >> shift) - kHalf;  // 0 .. kHalf-1
    return kExact + (msb - kSubBucketBits - 1) * kHalf + sub;
}

double LatencyHistogram::representative(std::size_t index) const noexcept {
    double nanos;
    if (index < kExact) {
        nanos = static_cast<double>(index);
    } else {
        std::size_t octave = (index - kExact) / kHalf;  // 0 for [128, 256)
        std::size_t sub = (index - kExact) % kHalf;
        unsigned shift = static_cast<unsigned>(octave) + 1;
        double width = std::ldexp(1.0, static_cast<int>(shift));
        nanos = static_cast<double>(kHalf + sub) * width + width / 2;
    }
    return std::clamp(nanos / kNanosPerMilli, min(), max());
}

void LatencyHistogram::record(double millis) noexcept {
    if (!(millis > 0)) millis = 0;  // negative and NaN
    double nanos = millis * kNanosPerMilli;
    // Rounded to the nearest nanosecond; anything beyond 2^63 is clamped by index_of anyway.
    auto whole = nanos >= 0x1p63 ? UINT64_MAX : static_cast<std::uint64_t>(std::llround(nanos));
    ++counts_[index_of(whole)];
    if (count_ == 0) {
        min_ = max_ = millis;
    } else {
        min_ = std::min(min_, millis);
        max_ = std::max(max_, millis);
    }
    ++count_;
    sum_ += millis;
}

double LatencyHistogram::percentile(double p) const noexcept {
    if (count_ == 0) return 0;
    if (!(p > 0)) return min();
    if (p >= 100) return max();
    // The rank of the wanted value (1-based): the smallest r with r >= p% of count.
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return representative(i);
    }
    return max();
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
    if (other.count_ == 0) return;
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    if (count_ == 0) {
        min_ = other.min_;
        max_ = other.max_;
    } else {
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }
    count_ += other.count_;
    sum_ += other.sum_;
}

}  // namespace weft_fetch
