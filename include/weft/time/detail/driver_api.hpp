#pragma once

#include <weft/time/clock.hpp>
#include <weft/time/detail/timer_entry.hpp>

namespace weft::time::detail {

class TimeDriver;

/// The timer driver of the runtime running on this thread; throws std::logic_error without one.
TimeDriver& current_driver(const char* operation);
Instant driver_now(TimeDriver& driver) noexcept;
/// (Re)registers `entry` to wake `waker` at `deadline`; marks it fired at once when it is due.
void register_timer(TimeDriver& driver, TimerEntry& entry, Instant deadline, Waker waker) noexcept;
void deregister_timer(TimeDriver& driver, TimerEntry& entry) noexcept;

}  // namespace weft::time::detail
