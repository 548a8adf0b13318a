#pragma once

// The epoll I/O driver.
//
// Each file descriptor is registered once, edge-triggered, for both directions. The driver
// keeps a `ScheduledIo` per registration in a slab of fixed pages (addresses never move, so the
// thread turning the driver reads them without a lock); the epoll event carries the slab index
// and a generation number, so an event that arrives for a slot after it was freed (and maybe
// reused) is recognised as stale and dropped.
//
// Readiness is cached in one atomic word: the ready bits and a tick that every event bumps. An
// operation that gets EAGAIN clears its bit only if the tick is still the one it observed, so
// an edge that arrived meanwhile is never lost. One reader and one writer waker per
// registration, behind a spin lock: the driver sets readiness *then* takes the wakers, a leaf
// stores its waker *then* re-reads readiness, so one of the two always sees the other.
//
// The driver also owns an eventfd that wakes a thread parked in epoll_wait. Any thread may
// register, deregister and unpark; one thread at a time turns the driver.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>
#include <weft/detail/spin_lock.hpp>
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
    /// Ready bits in the low half, the event tick in the high half.
    std::atomic<std::uint64_t> readiness{0};
    std::atomic<std::uint32_t> generation{0};
    int fd = -1;  ///< touched by add/remove only, under the slab lock
    std::uint32_t index = 0;
    weft::detail::SpinLock waiters_lock;
    Waker reader;
    Waker writer;

    static std::uint32_t bits(std::uint64_t word) noexcept { return static_cast<std::uint32_t>(word); }
    static std::uint32_t tick(std::uint64_t word) noexcept { return static_cast<std::uint32_t>(word >> 32); }
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
    /// Returns the number of I/O events dispatched (the unpark event excluded). With
    /// `timeout_ms` 0 and no fd registered it returns 0 without asking the kernel.
    std::size_t turn(int timeout_ms);
    /// Interrupts a `turn` in progress on another thread (or the next one).
    void unpark() noexcept;

    std::size_t registered() const noexcept { return registered_.load(std::memory_order_relaxed); }

private:
    static constexpr std::uint32_t unpark_index = UINT32_MAX;
    static constexpr std::size_t page_size = 1024;
    static constexpr std::size_t max_pages = 1024;  // about a million registrations

    ScheduledIo* slot(std::uint32_t index) const noexcept;

    int epoll_fd_ = -1;
    int event_fd_ = -1;
    std::mutex slab_mutex_;
    std::array<std::atomic<ScheduledIo*>, max_pages> pages_{};
    std::uint32_t allocated_ = 0;  // slots handed out so far (under slab_mutex_)
    std::vector<std::uint32_t> free_;
    std::atomic<std::size_t> registered_{0};
};

}  // namespace weft::io::detail
