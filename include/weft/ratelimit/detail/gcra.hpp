#pragma once

// The generic cell rate algorithm (GCRA), the arithmetic shared by the direct and keyed limiters.
//
// A limiter's whole state is one 64-bit word, the theoretical arrival time (TAT): the instant,
// in nanoseconds since the limiter was made, at which the bucket would be full again. With
// interval T and burst b, let the window W = T·b. Taking n cells at `now` is allowed when
//
//     max(TAT, now) + n·T <= now + W
//
// and sets TAT to the left-hand side. A refusal's earliest retry is max(TAT, now) + n·T - W.
// One compare-and-swap publishes the new TAT, so checks never lock and never wait on each
// other. Relaxed ordering suffices: the word guards no other memory, and the CAS alone makes
// the updates one total order, which is what keeps concurrent takers within the quota.
//
// Overflow: W and n·T are capped at 2^62 ns and `now` at 2^62 ns, and TAT never exceeds
// now + W, so every sum stays below 2^64 whatever the quota.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <weft/ratelimit/clock.hpp>
#include <weft/ratelimit/jitter.hpp>
#include <weft/ratelimit/quota.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/sleep.hpp>

namespace weft::ratelimit::detail {

inline constexpr std::uint64_t horizon_ns = std::uint64_t{1} << 62;

/// a·b, capped at `horizon_ns`.
constexpr std::uint64_t capped_mul(std::uint64_t a, std::uint64_t b) noexcept {
    if (a == 0 || b == 0) return 0;
    if (a > horizon_ns / b) return horizon_ns;
    return std::min(a * b, horizon_ns);
}

/// The outcome of one attempt to take cells.
struct Decision {
    bool allowed;
    std::uint64_t earliest_ns;  ///< when refused: first time (ns since origin) it would pass
};

class Gcra {
public:
    /// `clock` null: the runtime clock of the calling thread (`weft::time::now()`).
    Gcra(const Quota& quota, const Clock* clock)
        : quota_(quota),
          window_ns_(capped_mul(quota.interval_ns(), quota.burst_size())),
          clock_(clock),
          origin_(clock_now()) {}

    const Quota& quota() const noexcept { return quota_; }
    time::Instant clock_now() const { return clock_ ? clock_->now() : time::now(); }

    /// Now, in nanoseconds since the origin, in [0, horizon_ns].
    std::uint64_t now_ns() const {
        auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_now() - origin_).count();
        if (d <= 0) return 0;
        return std::min(static_cast<std::uint64_t>(d), horizon_ns);
    }

    /// Tries to take `n` cells (1 <= n <= burst) from the state word `tat` at `now`.
    Decision take(std::atomic<std::uint64_t>& tat, std::uint64_t now, std::uint32_t n) const noexcept {
        const std::uint64_t increment = capped_mul(quota_.interval_ns(), n);
        std::uint64_t current = tat.load(std::memory_order_relaxed);
        for (;;) {
            std::uint64_t next = std::max(current, now) + increment;
            if (next > now + window_ns_) return {false, next - window_ns_};
            if (tat.compare_exchange_weak(current, next, std::memory_order_relaxed)) return {true, 0};
        }
    }

    /// A state word this old behaves exactly like a fresh one (the bucket is full).
    static bool is_idle(std::uint64_t tat, std::uint64_t now) noexcept { return tat <= now; }

    /// The instant `ns` after the origin (saturating).
    time::Instant instant_at(std::uint64_t ns) const noexcept {
        const auto origin = origin_.time_since_epoch().count();
        const auto max = time::Duration::max().count();
        if (ns > static_cast<std::uint64_t>(max) ||
            (origin > 0 && static_cast<std::int64_t>(ns) > max - origin))
            return time::Instant::max();
        return time::Instant(time::Duration(origin + static_cast<std::int64_t>(ns)));
    }

    /// A sleep that ends when the cells due at `earliest_ns` are there, plus jitter.
    time::Sleep sleep_until_cell(std::uint64_t earliest_ns, const Jitter& jitter) const {
        const time::Instant now = clock_now();
        const time::Instant due = instant_at(earliest_ns);
        // A wait is at most one window; capping both parts at 2^61 ns keeps the sum (and the
        // deadline) far from overflowing.
        const time::Duration cap(static_cast<time::Duration::rep>(horizon_ns >> 1));
        auto wait = std::clamp(due - now, time::Duration::zero(), cap);
        wait += std::min(jitter.sample(), cap);
        // On the runtime clock, sleep until the exact instant; another clock only tells how long.
        return clock_ ? time::sleep(wait) : time::sleep_until(now + wait);
    }

private:
    Quota quota_;
    std::uint64_t window_ns_;
    const Clock* clock_;
    time::Instant origin_;
};

}  // namespace weft::ratelimit::detail
