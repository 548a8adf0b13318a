#pragma once

#include <weft/time/clock.hpp>
#include <weft/time/detail/timer_entry.hpp>

namespace weft::time::detail {

class TimeDriver;

/// The timer driver of the runtime running on this thread; throws std::logic_error without one.
TimeDriver& current_driver(const char* operation);
Instant driver_now(TimeDriver& driver) noexcept;
/// What a caller of `register_timer` knows of its deadline.
enum class Due {
    maybe,    ///< nothing: the driver reads the clock to find out whether it has passed
    not_yet,  ///< the caller read the clock just before and the deadline was still ahead
};

/// (Re)registers `entry` to wake `waker` at `deadline`; marks it fired at once when it is due.
/// With `Due::not_yet` the driver skips its clock read (the caller's `await_ready` made one).
void register_timer(TimeDriver& driver, TimerEntry& entry, Instant deadline, Waker waker,
                    Due due = Due::maybe) noexcept;
/// Moves a registered `entry` to `deadline`, keeping its waker: a task already waiting is woken
/// at the new deadline, or at once when that has passed. If the entry had fired (which hands its
/// waker out) it goes back without one and `entry.without_waker` says so.
void reset_timer(TimeDriver& driver, TimerEntry& entry, Instant deadline) noexcept;
/// Gives `waker` to an entry left without one by `reset_timer`; returns true if it has fired
/// meanwhile (and then keeps no waker).
bool give_waker(TimeDriver& driver, TimerEntry& entry, Waker waker) noexcept;
void deregister_timer(TimeDriver& driver, TimerEntry& entry) noexcept;

}  // namespace weft::time::detail
