#pragma once

#include <chrono>

namespace weft::time {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;

/// The current time of the runtime running on this thread (or the steady clock outside one).
/// While time is paused, it only moves when `advance` is called or when the runtime has
/// nothing to do but wait for a timer.
///
///     auto start = weft::time::now();
///     co_await weft::time::sleep(50ms);
///     assert(weft::time::now() - start >= 50ms);
Instant now();

/// Freezes the runtime's clock (for tests), like `tokio::time::pause`.
///
///     weft::time::pause();
///     co_await weft::time::sleep(1h);   // returns at once: the idle runtime jumps to the timer
///
/// When the runtime has no task to run and nothing to wait for but timers, paused time
/// auto-advances to the next deadline, so timeout tests finish without waiting in real time.
/// Must be called on a runtime thread; throws `std::logic_error` otherwise.
void pause();
/// Lets the clock run again from where it was paused.
void resume();
/// Moves paused time forward by `d`, firing the timers that come due on the next poll.
void advance(Duration d);
/// True when this thread's runtime clock is paused.
bool is_paused();

}  // namespace weft::time
