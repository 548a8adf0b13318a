#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <weft/time/clock.hpp>
#include <weft/time/detail/driver_api.hpp>

#include "time/wheel.hpp"

namespace weft::time::detail {

/// The runtime's clock (pausable) and timer wheel.
///
/// Any thread may register and deregister timers (under the driver's mutex); the thread that
/// turns the runtime's drivers calls `process`, which wakes due timers after unlocking.
///
/// A thread about to block in the I/O driver announces until when (`begin_park`); registering a
/// timer that is due earlier then unparks it, so a new short timer is never slept through.
class TimeDriver {
public:
    /// `unpark` interrupts a thread blocked in the I/O driver.
    explicit TimeDriver(std::function<void()> unpark);

    Instant now() const noexcept {
        return paused_.load(std::memory_order_acquire)
                   ? Instant(Duration(paused_now_.load(std::memory_order_acquire)))
                   : Clock::now();
    }
    void pause() noexcept;
    void resume() noexcept;
    void advance(Duration d) noexcept { paused_now_.fetch_add(d.count(), std::memory_order_acq_rel); }
    bool paused() const noexcept { return paused_.load(std::memory_order_acquire); }

    void register_timer(TimerEntry& entry, Instant deadline, Waker waker, Due due) noexcept;
    void reset_timer(TimerEntry& entry, Instant deadline) noexcept;
    bool give_waker(TimerEntry& entry, Waker waker) noexcept;
    void deregister_timer(TimerEntry& entry) noexcept;

    /// Fires every timer due now; returns how many fired.
    std::size_t process();
    /// When the next timer may be due, if any is registered.
    std::optional<Instant> next_deadline() const noexcept;
    /// Before blocking in the I/O driver: the timeout to use (-1: none), announced so that an
    /// earlier timer registered meanwhile unparks the driver. `end_park` after.
    int begin_park() noexcept;
    void end_park() noexcept;
    /// With paused time: jumps the clock to the next deadline. False when no timer is set.
    bool auto_advance() noexcept;

    std::size_t active_timers() const noexcept;

private:
    std::uint64_t tick_at(Instant t) const noexcept;        // floor
    std::uint64_t deadline_tick(Instant t) const noexcept;  // ceil: never fire early
    Instant instant_of(std::uint64_t tick) const noexcept {
        return start_.load(std::memory_order_relaxed) + std::chrono::milliseconds(tick);
    }

    std::atomic<Instant> start_;  // moves back when resume() keeps time monotonic
    std::atomic<Duration::rep> paused_now_{0};
    std::atomic<bool> paused_{false};
    mutable std::mutex mutex_;
    Wheel wheel_;
    std::vector<Waker> to_wake_;      // reused by process(), under mutex_
    std::uint64_t parked_until_ = 0;  // tick the driver sleeps until; 0: not parked (mutex_)
    std::function<void()> unpark_;
};

}  // namespace weft::time::detail
