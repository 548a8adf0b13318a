#pragma once

#include <optional>
#include <weft/time/clock.hpp>

#include "time/wheel.hpp"

namespace weft::time::detail {

/// The runtime's clock (pausable) and timer wheel. Used by the thread that drives the runtime.
class TimeDriver {
public:
    TimeDriver();

    Instant now() const noexcept { return paused_ ? paused_now_ : Clock::now(); }
    void pause() noexcept;
    void resume() noexcept;
    void advance(Duration d) noexcept { paused_now_ += d; }
    bool paused() const noexcept { return paused_; }

    void register_timer(TimerEntry& entry, Instant deadline) noexcept;
    void deregister_timer(TimerEntry& entry) noexcept { wheel_.remove(entry); }

    /// Fires every timer due now; returns how many fired.
    std::size_t process() noexcept { return wheel_.advance_to(tick_at(now())); }
    /// When the next timer may be due, if any is registered.
    std::optional<Instant> next_deadline() const noexcept;
    /// With paused time: jumps the clock to the next deadline. False when no timer is set.
    bool auto_advance() noexcept;

    std::size_t active_timers() const noexcept { return wheel_.size(); }

private:
    std::uint64_t tick_at(Instant t) const noexcept;          // floor
    std::uint64_t deadline_tick(Instant t) const noexcept;    // ceil: never fire early
    Instant instant_of(std::uint64_t tick) const noexcept { return start_ + std::chrono::milliseconds(tick); }

    Instant start_;
    Instant paused_now_{};
    bool paused_ = false;
    Wheel wheel_;
};

}  // namespace weft::time::detail
