#pragma once

#include <weft/time/clock.hpp>

namespace weft::ratelimit {

/// A random delay added to a wait, so that many waiters refused at the same moment do not all
/// come back at the same moment (a thundering herd). Only waits get jitter: a cell that is free
/// now is taken at once.
///
///     co_await limiter.until_ready_with_jitter(weft::ratelimit::Jitter::up_to(5ms));
///
/// A sample is `min + U[0, interval)`, drawn from a per-thread generator.
struct Jitter {
    time::Duration min = time::Duration::zero();       ///< always added
    time::Duration interval = time::Duration::zero();  ///< width of the random part

    /// Between zero and `max` (exclusive).
    static Jitter up_to(time::Duration max) noexcept { return Jitter{time::Duration::zero(), max}; }

    /// One delay drawn from [min, min + interval).
    time::Duration sample() const noexcept;
};

}  // namespace weft::ratelimit
