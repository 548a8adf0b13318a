#pragma once

#include <cstddef>
#include <optional>
#include <weft/time/clock.hpp>

namespace weft::pool {

/// Which idle object `get()` hands out first.
enum class QueueMode {
    fifo,  ///< the one idle longest: objects are used evenly
    lifo,  ///< the one returned last: a few stay warm, the surplus idles out (`max_idle_time`)
};

/// A pool's settings.
///
///     weft::pool::Config cfg;
///     cfg.max_size = 8;
///     cfg.wait_timeout = 2s;          // get() fails with Errc::wait_timed_out after 2 s
///     cfg.max_idle_time = 30s;        // objects unused for 30 s are dropped, not reused
///
/// A timeout left empty means no limit; a `wait_timeout` of zero means `get()` never waits.
struct Config {
    std::size_t max_size = 16;                      ///< most objects alive at once (>= 1)
    std::optional<time::Duration> wait_timeout;     ///< limit on waiting for a free slot
    std::optional<time::Duration> create_timeout;   ///< limit on the manager's `create()`
    std::optional<time::Duration> recycle_timeout;  ///< limit on the manager's `recycle()`
    std::optional<time::Duration> max_idle_time;    ///< idle longer than this: dropped, not reused
    QueueMode queue_mode = QueueMode::fifo;
};

/// A snapshot of a pool's occupancy.
struct Status {
    std::size_t max_size = 0;   ///< current limit (after `resize`)
    std::size_t size = 0;       ///< objects alive: idle, in use, or being created
    std::size_t available = 0;  ///< idle objects ready to hand out
    /// `get()` calls waiting for a slot, counting one that was just handed a slot but has not
    /// run yet (so `available` and `waiting` can both be non-zero for a moment).
    std::size_t waiting = 0;
};

}  // namespace weft::pool
