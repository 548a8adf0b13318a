#pragma once

#include <atomic>
#include <weft/time/clock.hpp>

namespace weft::ratelimit {

/// Where a rate limiter reads the time. By default limiters read `weft::time::now()`, the clock
/// of the runtime on the calling thread (paused and advanced by `weft::time` in tests); give one
/// a `Clock` to drive it by hand instead, e.g. on a multi-thread runtime, where time cannot be
/// paused.
///
///     weft::ratelimit::ManualClock clock;
///     weft::ratelimit::RateLimiter limiter(Quota::per_second(10), clock);
///     clock.advance(100ms);                  // exactly one more cell
///
/// Thread safety: `now()` is called from every thread that checks the limiter.
class Clock {
public:
    virtual ~Clock() = default;
    virtual time::Instant now() const noexcept = 0;
};

/// A clock that moves only when told to; any thread may read or advance it.
///
///     weft::ratelimit::ManualClock clock;      // starts at the steady clock's epoch
///     clock.advance(1s);
class ManualClock final : public Clock {
public:
    explicit ManualClock(time::Instant start = time::Instant{}) noexcept
        : ns_(start.time_since_epoch().count()) {}
    time::Instant now() const noexcept override {
        return time::Instant(time::Duration(ns_.load(std::memory_order_acquire)));
    }
    void advance(time::Duration d) noexcept { ns_.fetch_add(d.count(), std::memory_order_acq_rel); }

private:
    std::atomic<time::Duration::rep> ns_;
};

}  // namespace weft::ratelimit
