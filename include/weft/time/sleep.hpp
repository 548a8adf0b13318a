#pragma once

#include <weft/runtime/context.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/detail/driver_api.hpp>

namespace weft::time {

/// Waits until a deadline. Returned by `sleep` and `sleep_until`; await it once or reuse it
/// with `reset`.
///
///     co_await weft::time::sleep(100ms);
///     weft::time::Sleep s = weft::time::sleep_until(deadline);
///     co_await s;
///
/// The timer is registered when the sleep is first awaited and removed when the `Sleep` is
/// destroyed, so a cancelled sleep leaves nothing in the timer wheel.
///
/// Thread safety: use it from its runtime's threads; one task awaits it at a time, and another
/// task may `reset` it meanwhile (after the first await began). Cancel safety: always safe to
/// destroy.
class Sleep final : public weft::detail::PendingLeaf {
public:
    explicit Sleep(Instant deadline)
        : driver_(&detail::current_driver("weft::time::sleep")), deadline_(deadline) {}
    Sleep(Sleep&& other) noexcept : driver_(other.driver_), deadline_(other.deadline_) {}
    Sleep& operator=(Sleep&&) = delete;
    ~Sleep() {
        if (registered()) detail::deregister_timer(*driver_, entry_);
    }

    Instant deadline() const noexcept { return deadline_; }
    bool is_elapsed() const noexcept { return fired() || detail::driver_now(*driver_) >= deadline_; }
    /// Moves the deadline; a task awaiting this sleep will be woken at the new one. Another
    /// task of the same runtime may call it while one task awaits the sleep.
    void reset(Instant deadline) noexcept {
        deadline_ = deadline;
        if (registered()) detail::reset_timer(*driver_, entry_, deadline_);
    }

    bool await_ready() const noexcept { return is_elapsed(); }
    /// Only after `await_ready` returned false (as `co_await` does): it relies on that clock read.
    template <weft::detail::HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        context_ = h.promise().context;
        detail::register_timer(*driver_, entry_, deadline_, context_->waker(), detail::Due::not_yet);
        if (fired()) return false;
        continuation = h;
        context_->pending = this;
        return true;
    }
    void await_resume() const noexcept {}

    bool ready() noexcept override {
        if (fired()) return true;
        // Fired (its wake already on the way here) and then reset to a later deadline: the
        // timer is back in the wheel without a waker, so give it this task's again. `fired`'s
        // acquire load above makes the reset's `without_waker` visible.
        if (!entry_.without_waker.load(std::memory_order_relaxed)) return false;
        return detail::give_waker(*driver_, entry_, context_->waker());
    }
    const char* describe() const noexcept override { return "sleep"; }
    void describe_detail(std::string& out) const override {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - detail::driver_now(*driver_));
        out += " (deadline in ";
        out += std::to_string(left.count());
        out += " ms)";
    }

private:
    bool fired() const noexcept { return entry_.fired.load(std::memory_order_acquire); }
    /// In the driver since the first await (8 bytes of frame less per sleeping task than a flag).
    bool registered() const noexcept { return context_ != nullptr; }

    detail::TimeDriver* driver_;
    Instant deadline_;
    detail::TimerEntry entry_;
    weft::detail::TaskContext* context_ = nullptr;  ///< of the task that first awaited it
};

/// A `Sleep` that completes `d` from now (on the runtime's clock, which may be paused).
inline Sleep sleep(Duration d) { return Sleep(now() + d); }
/// A `Sleep` that completes at `deadline`.
inline Sleep sleep_until(Instant deadline) { return Sleep(deadline); }

}  // namespace weft::time
