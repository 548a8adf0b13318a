#pragma once

#include <cstdint>
#include <weft/time/clock.hpp>

namespace weft::ratelimit {

/// How many cells a rate limiter lets through: one every `replenish_interval()`, with up to
/// `burst_size()` at once after a quiet spell.
///
///     auto q = weft::ratelimit::Quota::per_second(100);          // one every 10 ms, no burst
///     auto b = weft::ratelimit::Quota::per_second(100).allow_burst(20);  // 20 at once, then 100/s
///
/// Unlike Rust's `governor`, where `per_second(n)` also allows a burst of `n`, every quota starts
/// with a burst of 1: cells are evenly spaced until `allow_burst` says otherwise. (A tool asked
/// for `--rate 10` expects ten evenly spaced requests a second, not ten at once.)
///
/// Arithmetic: the interval is a whole number of nanoseconds, rounded *up*, so a limiter never
/// lets more through than asked; rates above 10^9 per second therefore become one per
/// nanosecond. The burst window (interval × burst) is capped at 2^62 ns (146 years), which
/// keeps every sum inside 64 bits whatever the quota.
class Quota {
public:
    /// `n` cells per second, evenly spaced. Throws std::invalid_argument when `n` is 0.
    static Quota per_second(std::uint32_t n);
    /// `n` cells per minute. Throws std::invalid_argument when `n` is 0.
    static Quota per_minute(std::uint32_t n);
    /// `n` cells per hour. Throws std::invalid_argument when `n` is 0.
    static Quota per_hour(std::uint32_t n);
    /// One cell every `period` (rounded up to whole nanoseconds). Throws std::invalid_argument
    /// unless `period` is positive.
    static Quota with_period(time::Duration period);

    /// The same rate, letting up to `burst` cells through at once after a quiet spell of
    /// `burst` intervals. Throws std::invalid_argument when `burst` is 0.
    Quota allow_burst(std::uint32_t burst) const;

    /// Time to replenish one cell.
    time::Duration replenish_interval() const noexcept;
    /// Most cells let through at once.
    std::uint32_t burst_size() const noexcept { return burst_; }
    /// Interval in nanoseconds (at least 1).
    std::uint64_t interval_ns() const noexcept { return interval_ns_; }

    friend bool operator==(const Quota&, const Quota&) = default;

private:
    Quota(std::uint64_t interval_ns, std::uint32_t burst) noexcept
        : interval_ns_(interval_ns), burst_(burst) {}
    std::uint64_t interval_ns_;
    std::uint32_t burst_;
};

}  // namespace weft::ratelimit
