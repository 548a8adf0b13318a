#pragma once

#include <weft/io/detail/registration.hpp>
#include <weft/runtime/context.hpp>

#include "io/driver.hpp"

namespace weft::io::detail {

/// Awaits readiness of a registration for `interest`; resumes with the driver tick it observed.
class ReadinessAwaiter final : public weft::detail::LeafAwaiter {
public:
    ReadinessAwaiter(const Registration& reg, Interest interest) noexcept
        : io_(reg.scheduled_io()), interest_(interest) {}
    ReadinessAwaiter(const ReadinessAwaiter&) = delete;
    ~ReadinessAwaiter() {
        if (registered_) slot().reset();
    }
    bool await_ready() const noexcept { return io_->readiness & ready_mask(interest_); }
    template <weft::detail::HasTaskContext P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        slot() = h.promise().context->waker();
        registered_ = true;
        suspend_here(h);
    }
    std::uint32_t await_resume() const noexcept { return io_->tick; }
    bool ready() noexcept override { return io_->readiness & ready_mask(interest_); }
    const char* describe() const noexcept override {
        return interest_ == Interest::read ? "fd readable" : "fd writable";
    }

private:
    Waker& slot() const noexcept { return interest_ == Interest::read ? io_->reader : io_->writer; }
    ScheduledIo* io_;
    Interest interest_;
    bool registered_ = false;
};

inline std::uint32_t readiness_tick(const Registration& reg) noexcept { return reg.scheduled_io()->tick; }

/// After EAGAIN: forget readiness for `interest`, unless an event came after `tick`.
inline void clear_readiness(const Registration& reg, Interest interest, std::uint32_t tick) noexcept {
    ScheduledIo* io = reg.scheduled_io();
    if (io->tick == tick) io->readiness &= ~(interest == Interest::read ? readable : writable);
}

}  // namespace weft::io::detail
