#pragma once

#include <utility>
#include <weft/error.hpp>

namespace weft::detail {
class RuntimeCore;
}

namespace weft::io::detail {

struct ScheduledIo;

/// A file descriptor's registration with the I/O driver of the runtime it was created on.
///
/// Holds a reference to the runtime core, so the driver outlives every registration. The
/// destructor deregisters; the owner closes the fd afterwards.
class Registration {
public:
    Registration() noexcept = default;
    /// Registers `fd` with the current runtime's I/O driver (throws std::logic_error outside one).
    static Result<Registration> create(int fd, const char* operation);
    Registration(Registration&& o) noexcept
        : core_(std::exchange(o.core_, nullptr)), io_(std::exchange(o.io_, nullptr)) {}
    Registration& operator=(Registration&& o) noexcept {
        if (this != &o) {
            reset();
            core_ = std::exchange(o.core_, nullptr);
            io_ = std::exchange(o.io_, nullptr);
        }
        return *this;
    }
    ~Registration() { reset(); }

    bool valid() const noexcept { return io_ != nullptr; }
    void reset() noexcept;
    ScheduledIo* scheduled_io() const noexcept { return io_; }

private:
    weft::detail::RuntimeCore* core_ = nullptr;
    ScheduledIo* io_ = nullptr;
};

}  // namespace weft::io::detail
