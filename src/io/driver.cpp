#include "io/driver.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace weft::io::detail {

namespace {
std::uint64_t token(std::uint32_t index, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | index;
}
}  // namespace

IoDriver::IoDriver() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) {
        int e = errno;
        ::close(epoll_fd_);
        throw std::system_error(e, std::system_category(), "eventfd");
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = token(unpark_index, 0);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev) < 0) {
        int e = errno;
        ::close(event_fd_);
        ::close(epoll_fd_);
        throw std::system_error(e, std::system_category(), "epoll_ctl(eventfd)");
    }
}

IoDriver::~IoDriver() {
    ::close(event_fd_);
    ::close(epoll_fd_);
    for (auto& page : pages_) delete[] page.load(std::memory_order_relaxed);
}

ScheduledIo* IoDriver::slot(std::uint32_t index) const noexcept {
    ScheduledIo* page = pages_[index / page_size].load(std::memory_order_acquire);
    return page ? &page[index % page_size] : nullptr;
}

Result<ScheduledIo*> IoDriver::add(int fd) {
    ScheduledIo* io;
    {
        std::lock_guard lock(slab_mutex_);
        std::uint32_t index;
        if (!free_.empty()) {
            index = free_.back();
            free_.pop_back();
        } else {
            if (allocated_ == page_size * max_pages) return os_error(ENOMEM);
            index = allocated_++;
            auto& page = pages_[index / page_size];
            if (!page.load(std::memory_order_relaxed))
                page.store(new ScheduledIo[page_size], std::memory_order_release);
        }
        io = slot(index);
        io->index = index;
        io->fd = fd;
    }
    io->readiness.store(0, std::memory_order_relaxed);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = token(io->index, io->generation.load(std::memory_order_relaxed));
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        std::lock_guard lock(slab_mutex_);
        io->fd = -1;
        free_.push_back(io->index);
        return os_error(e);
    }
    registered_.fetch_add(1, std::memory_order_relaxed);
    return io;
}

void IoDriver::remove(ScheduledIo* io) noexcept {
    if (!io || io->fd < 0) return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, io->fd, nullptr);
    // Events already queued for this slot are now stale. A turn that read the old generation
    // just before may still set bits or wake a waiter: harmless, since every operation retries
    // on EAGAIN and every leaf re-checks before resuming.
    io->generation.fetch_add(1, std::memory_order_acq_rel);
    Waker reader, writer;
    {
        std::lock_guard lock(io->waiters_lock);
        reader = std::move(io->reader);
        writer = std::move(io->writer);
    }
    std::lock_guard lock(slab_mutex_);
    io->fd = -1;
    free_.push_back(io->index);
    registered_.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t IoDriver::turn(int timeout_ms) {
    // A poll that must not block, with no fd registered, could only report the unpark event,
    // and nobody unparks a thread that is not blocked here: skip the system call (about a
    // fifth of a busy current-thread runtime's time on a VM with page-table isolation). An
    // event it would have seen (an fd registered meanwhile, a stray unpark) stays queued in the
    // epoll instance for the next turn, and every turn that blocks asks the kernel.
    if (timeout_ms == 0 && registered_.load(std::memory_order_relaxed) == 0) return 0;
    std::array<epoll_event, 256> events;
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return 0;
        throw std::system_error(errno, std::system_category(), "epoll_wait");
    }
    std::size_t dispatched = 0;
    for (int i = 0; i < n; ++i) {
        std::uint64_t data = events[i].data.u64;
        auto index = static_cast<std::uint32_t>(data);
        auto generation = static_cast<std::uint32_t>(data >> 32);
        if (index == unpark_index) {
            std::uint64_t value;
            [[maybe_unused]] auto r = ::read(event_fd_, &value, sizeof value);
            continue;
        }
        ScheduledIo* io = slot(index);
        if (!io || io->generation.load(std::memory_order_acquire) != generation) continue;  // stale
        std::uint32_t flags = events[i].events;
        std::uint32_t ready = 0;
        if (flags & EPOLLIN) ready |= readable;
        if (flags & EPOLLOUT) ready |= writable;
        if (flags & EPOLLRDHUP) ready |= read_closed | readable;
        if (flags & EPOLLHUP) ready |= read_closed | write_closed;
        if (flags & EPOLLERR) ready |= error;
        std::uint64_t word = io->readiness.load(std::memory_order_relaxed);
        std::uint64_t next;
        do {
            next = (std::uint64_t{ScheduledIo::tick(word) + 1} << 32) | (ScheduledIo::bits(word) | ready);
        } while (!io->readiness.compare_exchange_weak(word, next, std::memory_order_acq_rel));
        // The task may run between the update above and this: it then consumes the readiness and
        // registers for its next wait, and the waker taken here is that one. ReadinessAwaiter's
        // `ready` registers again when such a wake finds nothing ready.
        Waker reader, writer;
        {
            std::lock_guard lock(io->waiters_lock);
            if (ready & ready_mask(Interest::read)) reader = std::move(io->reader);
            if (ready & ready_mask(Interest::write)) writer = std::move(io->writer);
        }
        reader.wake_and_reset();
        writer.wake_and_reset();
        ++dispatched;
    }
    return dispatched;
}

void IoDriver::unpark() noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(event_fd_, &one, sizeof one);
}

}  // namespace weft::io::detail
