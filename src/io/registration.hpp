#pragma once

#include <mutex>
#include <weft/io/detail/registration.hpp>
#include <weft/runtime/context.hpp>

#include "io/driver.hpp"

namespace weft::io::detail {

/// Whether the driver has seen `interest` ready on `io` since it was last cleared.
inline bool is_ready(const ScheduledIo* io, Interest interest) noexcept {
    return ScheduledIo::bits(io->readiness.load(std::memory_order_acquire)) & ready_mask(interest);
}

/// Awaits readiness of a registration for `interest`; resumes with the driver tick it observed.
class ReadinessAwaiter final : public weft::detail::LeafAwaiter {
public:
    ReadinessAwaiter(const Registration& reg, Interest interest) noexcept
        : io_(reg.scheduled_io()), interest_(interest) {}
    ReadinessAwaiter(const ReadinessAwaiter&) = delete;
    ~ReadinessAwaiter() {
        if (!registered_) return;
        Waker old;
        std::lock_guard lock(io_->waiters_lock);
        old = std::move(slot());
    }
    bool await_ready() const noexcept { return is_ready() && weft::detail::coop::poll_proceed(); }
    template <weft::detail::HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        context_ = h.promise().context;
        register_waker();
        registered_ = true;
        if (is_ready()) {  // an event raced with the registration, or the budget is spent
            if (!weft::detail::coop::exhausted()) return false;
            yield_here(h);
            return true;
        }
        suspend_here(h);
        return true;
    }
    std::uint32_t await_resume() const noexcept {
        return ScheduledIo::tick(io_->readiness.load(std::memory_order_acquire));
    }
    bool ready() noexcept override {
        if (is_ready()) return true;
        // Woken, yet not ready: the wake was stale. A driver turn sets the bits, then takes
        // the waker; in between, this task (on another worker) can consume that readiness,
        // clear it and register for its next wait, and the turn then takes that new waker. It
        // must be registered again, or the next event finds none. Checked again after: an
        // event between the two checks either shows in the bits or takes the new waker.
        {
            std::lock_guard lock(io_->waiters_lock);
            if (!slot()) slot() = context_->waker();  // a waker still there is this task's
        }
        return is_ready();
    }
    const char* describe() const noexcept override {
        return interest_ == Interest::read ? "fd readable" : "fd writable";
    }
    void describe_detail(std::string& out) const override {
        out += " (fd ";
        out += std::to_string(io_->fd);
        out += ')';
    }

private:
    bool is_ready() const noexcept { return detail::is_ready(io_, interest_); }
    void register_waker() noexcept {
        Waker previous;  // dropped after the lock
        std::lock_guard lock(io_->waiters_lock);
        previous = std::exchange(slot(), context_->waker());
    }
    Waker& slot() const noexcept { return interest_ == Interest::read ? io_->reader : io_->writer; }
    ScheduledIo* io_;
    Interest interest_;
    weft::detail::TaskContext* context_ = nullptr;  ///< of the task suspended here
    bool registered_ = false;
};

inline std::uint32_t readiness_tick(const Registration& reg) noexcept {
    return ScheduledIo::tick(reg.scheduled_io()->readiness.load(std::memory_order_acquire));
}

inline bool is_ready(const Registration& reg, Interest interest) noexcept {
    return is_ready(reg.scheduled_io(), interest);
}

/// After EAGAIN: forget readiness for `interest`, unless an event came after `tick`.
inline void clear_readiness(const Registration& reg, Interest interest, std::uint32_t tick) noexcept {
    ScheduledIo* io = reg.scheduled_io();
    std::uint64_t clear = interest == Interest::read ? readable : writable;
    std::uint64_t word = io->readiness.load(std::memory_order_acquire);
    while (ScheduledIo::tick(word) == tick && (word & clear)) {
        if (io->readiness.compare_exchange_weak(word, word & ~clear, std::memory_order_acq_rel)) return;
    }
}

}  // namespace weft::io::detail
