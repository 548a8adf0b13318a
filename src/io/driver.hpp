#pragma once

// The epoll I/O driver.
//
// Each file descriptor is registered once, edge-triggered, for both directions. The driver
// keeps a `ScheduledIo` per registration in a slab; the epoll event carries the slab index and
// a generation number, so an event that arrives for a slot after it was freed (and maybe
// reused) is recognised as stale and dropped.
//
// Readiness is cached: an event sets bits and bumps `tick`; an operation that gets EAGAIN
// clears its bit, but only if no event arrived since it observed the readiness (same tick),
// so an edge is never lost. One reader and one writer waker per registration.
//
// The driver also owns an eventfd that wakes a thread parked in epoll_wait.

#include <cstdint>
#include <memory>
#include <vector>
#include <weft/error.hpp>
#include <weft/runtime/waker.hpp>

namespace weft::io::detail {

enum Ready : std::uint32_t {
    readable = 1,
    writable = 2,
    read_closed = 4,
    write_closed = 8,
    error = 16,
};
enum class Interest { read, write };

inline constexpr std::uint32_t ready_mask(Interest i) noexcept {
    return i == Interest::read ? (readable | read_closed | error) : (writable | write_closed | error);
}

struct ScheduledIo {
    int fd = -1;
    std::uint32_t index = 0;
    std::uint32_t generation = 0;
    std::uint32_t readiness = 0;
    std::uint32_t tick = 0;
    Waker reader;
    Waker writer;
};

class IoDriver {
public:
    IoDriver();
    ~IoDriver();
    IoDriver(const IoDriver&) = delete;
    IoDriver& operator=(const IoDriver&) = delete;

    /// Registers `fd` (edge-triggered, read and write); the driver does not own the fd.
    Result<ScheduledIo*> add(int fd);
    /// Deregisters; must be called before the fd is closed. Drops the wakers.
    void remove(ScheduledIo* io) noexcept;

    /// Waits up to `timeout_ms` (-1: forever) for events and wakes the tasks they concern.
    /// Returns the number of I/O events dispatched (the unpark event excluded).
    std::size_t turn(int timeout_ms);
    /// Interrupts a `turn` in progress on another thread (or the next one).
    void unpark() noexcept;

    std::size_t registered() const noexcept { return registered_; }

private:
    static constexpr std::uint32_t unpark_index = UINT32_MAX;

    int epoll_fd_ = -1;
    int event_fd_ = -1;
    std::vector<std::unique_ptr<ScheduledIo>> slab_;
    std::vector<std::uint32_t> free_;
    std::size_t registered_ = 0;
};

}  // namespace weft::io::detail
