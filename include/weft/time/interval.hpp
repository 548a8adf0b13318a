#pragma once

#include <weft/task.hpp>
#include <weft/time/sleep.hpp>

namespace weft::time {

/// What an `Interval` does when ticks were missed (the task was busy past a tick).
enum class MissedTickBehavior {
    burst,  ///< fire the missed ticks back to back, then resume the original schedule
    delay,  ///< the next tick is one period after the late one
    skip,   ///< drop the missed ticks; the next tick is the next multiple of the period
};

/// Ticks at a fixed period. The first tick completes immediately.
///
///     auto every = weft::time::interval(1s);
///     for (;;) {
///         co_await every.tick();
///         report_progress();
///     }
///
/// Cancel safety: destroying a pending `tick()` loses no tick; the next call returns it.
class Interval {
public:
    Interval(Instant start, Duration period, MissedTickBehavior missed = MissedTickBehavior::burst)
        : sleep_(start), period_(period), missed_(missed) {}

    /// Waits for the next tick and returns its scheduled time.
    Task<Instant> tick() {
        co_await sleep_;
        Instant scheduled = sleep_.deadline();
        Instant current = now();
        Instant next = scheduled + period_;
        if (current > next) {
            switch (missed_) {
                case MissedTickBehavior::burst:
                    break;
                case MissedTickBehavior::delay:
                    next = current + period_;
                    break;
                case MissedTickBehavior::skip:
                    next = scheduled + period_ * ((current - scheduled) / period_ + 1);
                    break;
            }
        }
        sleep_.reset(next);
        co_return scheduled;
    }

    Duration period() const noexcept { return period_; }
    void set_missed_tick_behavior(MissedTickBehavior b) noexcept { missed_ = b; }

private:
    Sleep sleep_;
    Duration period_;
    MissedTickBehavior missed_;
};

/// An `Interval` whose first tick is now.
inline Interval interval(Duration period) { return Interval(now(), period); }
/// An `Interval` whose first tick is at `start`.
inline Interval interval_at(Instant start, Duration period) { return Interval(start, period); }

}  // namespace weft::time
