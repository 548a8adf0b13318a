// Signal delivery: a process-wide handler writes the signal number to a self-pipe (the only
// async-signal-safe way out of a handler); a dispatcher thread reads it, counts the delivery
// and wakes every waiter of that signal, on whatever runtime and thread they are. A thread
// rather than a registration with one runtime's I/O driver, because any number of runtimes may
// listen and the handler is global.

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>
#include <weft/signal/signal.hpp>

namespace weft::signal::detail {

namespace {

constexpr int max_signal = 65;

struct Registry {
    std::mutex mutex;
    std::array<bool, max_signal> installed{};
    std::array<std::vector<Waker>, max_signal> waiters;
    std::array<std::atomic<std::uint64_t>, max_signal> delivered{};
    int pipe_read = -1;
    std::atomic<int> pipe_write{-1};
    bool dispatcher_started = false;
};

Registry& registry() {
    static Registry* r = new Registry;  // never destroyed: the handler may run at any time
    return *r;
}

extern "C" void on_signal(int signo) {
    int saved = errno;
    // Acquire pairs with the store after pipe2: the fd's creation happens-before this write
    // (ThreadSanitizer reports the write as a race on the fd otherwise).
    int fd = registry().pipe_write.load(std::memory_order_acquire);
    if (fd >= 0) {
        auto byte = static_cast<unsigned char>(signo);
        [[maybe_unused]] auto r = ::write(fd, &byte, 1);  // full pipe: deliveries coalesce anyway
    }
    errno = saved;
}

void dispatch_loop(int fd) {
    for (;;) {
        unsigned char buf[64];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        Registry& r = registry();
        for (ssize_t i = 0; i < n; ++i) {
            int signo = buf[i];
            if (signo <= 0 || signo >= max_signal) continue;
            std::vector<Waker> wake;
            {
                std::lock_guard lock(r.mutex);
                r.delivered[signo].fetch_add(1, std::memory_order_acq_rel);
                wake.swap(r.waiters[signo]);
            }
            for (auto& w : wake) w.wake_and_reset();
        }
    }
}

void start_dispatcher_locked(Registry& r) {
    if (r.dispatcher_started) return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw std::system_error(errno, std::system_category(), "pipe2");
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    r.pipe_read = fds[0];
    r.pipe_write.store(fds[1], std::memory_order_release);
    std::thread(dispatch_loop, fds[0]).detach();
    r.dispatcher_started = true;
}

}  // namespace

std::uint64_t listen(int signo) {
    if (signo <= 0 || signo >= max_signal)
        throw std::system_error(EINVAL, std::system_category(), "weft::signal");
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (!r.installed[signo]) {
        start_dispatcher_locked(r);
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        if (::sigaction(signo, &sa, nullptr) < 0)
            throw std::system_error(errno, std::system_category(), "sigaction");
        r.installed[signo] = true;
    }
    return r.delivered[signo].load(std::memory_order_acquire);
}

std::uint64_t delivered(int signo) noexcept {
    return registry().delivered[signo].load(std::memory_order_acquire);
}

bool register_waiter(int signo, std::uint64_t seen, const Waker& waker) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (r.delivered[signo].load(std::memory_order_acquire) > seen) return false;
    r.waiters[signo].push_back(waker);
    return true;
}

void unregister_waiter(int signo, const Waker& waker) noexcept {
    Registry& r = registry();
    Waker dropped;
    std::lock_guard lock(r.mutex);
    auto& list = r.waiters[signo];
    for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->will_wake(waker)) {
            dropped = std::move(*it);
            list.erase(it);
            break;
        }
    }
}

}  // namespace weft::signal::detail

namespace weft::signal {

Task<> recv(int signo) {
    Signal s(signo);
    co_await s.recv();
}

Task<> ctrl_c() { return recv(SIGINT); }

}  // namespace weft::signal
