#include "io/driver.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
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
}

Result<ScheduledIo*> IoDriver::add(int fd) {
    std::uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(slab_.size());
        slab_.push_back(std::make_unique<ScheduledIo>());
        slab_.back()->index = index;
    }
    ScheduledIo& io = *slab_[index];
    io.fd = fd;
    io.readiness = 0;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = token(index, io.generation);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        io.fd = -1;
        free_.push_back(index);
        return os_error(e);
    }
    ++registered_;
    return &io;
}

void IoDriver::remove(ScheduledIo* io) noexcept {
    if (!io || io->fd < 0) return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, io->fd, nullptr);
    io->fd = -1;
    ++io->generation;  // events already queued for this slot are now stale
    io->readiness = 0;
    io->reader.reset();
    io->writer.reset();
    free_.push_back(io->index);
    --registered_;
}

std::size_t IoDriver::turn(int timeout_ms) {
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
        if (index >= slab_.size()) continue;
        ScheduledIo& io = *slab_[index];
        if (io.generation != generation || io.fd < 0) continue;  // stale
        std::uint32_t flags = events[i].events;
        std::uint32_t ready = 0;
        if (flags & EPOLLIN) ready |= readable;
        if (flags & EPOLLOUT) ready |= writable;
        if (flags & EPOLLRDHUP) ready |= read_closed | readable;
        if (flags & EPOLLHUP) ready |= read_closed | write_closed;
        if (flags & EPOLLERR) ready |= error;
        io.readiness |= ready;
        ++io.tick;
        if (ready & ready_mask(Interest::read)) io.reader.wake_and_reset();
        if (ready & ready_mask(Interest::write)) io.writer.wake_and_reset();
        ++dispatched;
    }
    return dispatched;
}

void IoDriver::unpark() noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(event_fd_, &one, sizeof one);
}

}  // namespace weft::io::detail
