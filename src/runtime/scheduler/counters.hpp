#pragma once

// The schedulers' per-poll counters: each has one writer (the thread that runs the scheduler,
// or the worker), and any thread may read them through `Runtime::metrics()`. Counters that
// other threads bump (remote spawns and wakes) take a locked add or a lock instead.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace weft::detail {

/// A relaxed increment without a locked instruction, for a counter with a single writer.
inline void bump(std::atomic<std::uint64_t>& counter) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

/// Poll durations by powers of two of microseconds (`RuntimeMetrics::poll_time_histogram`).
/// Off by default: timing a poll takes two clock reads, which can cost more than the poll.
///
///     auto start = PollTimeHistogram::now_us();
///     task->run();
///     histogram.record(PollTimeHistogram::now_us() - start);
class PollTimeHistogram {
public:
    static constexpr std::size_t buckets = 16;

    static std::uint64_t now_us() noexcept {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
    }
    /// Bucket i holds [2^i, 2^(i+1)) us; bucket 0 everything under 2 us, the last everything
    /// from 2^15 us on.
    static std::size_t bucket_of(std::uint64_t us) noexcept {
        return us < 2
                   ? 0
                   : std::min<std::size_t>(buckets - 1, 63 - static_cast<std::size_t>(__builtin_clzll(us)));
    }

    void record(std::uint64_t us) noexcept { bump(counts_[bucket_of(us)]); }
    void add_to(std::array<std::uint64_t, buckets>& out) const noexcept {
        for (std::size_t i = 0; i < buckets; ++i) out[i] += counts_[i].load(std::memory_order_relaxed);
    }

private:
    std::array<std::atomic<std::uint64_t>, buckets> counts_{};
};

}  // namespace weft::detail
