#include "io/registration.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/timeout.hpp>

namespace {

using namespace std::chrono_literals;
using weft::io::detail::Interest;
using weft::io::detail::ReadinessAwaiter;
using weft::io::detail::Registration;
using weft::io::detail::ScheduledIo;

struct SocketPair {
    int fds[2] = {-1, -1};
    SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0); }
    ~SocketPair() {
        for (int fd : fds)
            if (fd >= 0) ::close(fd);
    }
};

// A driver turn sets an fd's ready bits and takes its reader's waker in two steps. On a
// multi-thread runtime the task can run in between (on another worker): consume the readiness,
// clear it and register for its next wait, so the turn takes that new waker and the task is
// woken with nothing ready. That wake must not use up its registration: the next event has to
// find a waker. Here the two steps are played by hand, on one thread, to pin the interleaving.
TEST(ReadinessAwaiter, AStaleWakeLeavesTheTaskRegisteredForTheNextEvent) {
    auto rt = weft::Runtime::Builder::current_thread().build();
    auto t = []() -> weft::Task<bool> {
        SocketPair pair;
        auto reg = Registration::create(pair.fds[0], "test");
        EXPECT_TRUE(reg.has_value());
        ScheduledIo* io = reg->scheduled_io();
        int stage = 0;
        auto reader = [](Registration* reg, int fd, int* stage) -> weft::Task<long> {
            co_await ReadinessAwaiter(*reg, Interest::read);  // woken by the "turn"'s first step
            *stage = 1;
            // Consumed what there was: forget the readiness, wait for more.
            weft::io::detail::clear_readiness(*reg, Interest::read, weft::io::detail::readiness_tick(*reg));
            co_await ReadinessAwaiter(*reg, Interest::read);
            *stage = 2;
            char buf[8];
            co_return ::recv(fd, buf, sizeof buf, 0);
        };
        auto h = weft::spawn_local(reader(&*reg, pair.fds[0], &stage));
        co_await weft::yield_now();  // the reader registers its first waker

        // The turn's first step: the bits. The task is woken by a copy of its waker, as if it
        // had been polled by another worker that saw the bits.
        weft::Waker first;
        {
            std::lock_guard lock(io->waiters_lock);
            first = io->reader;
        }
        EXPECT_TRUE(static_cast<bool>(first));
        auto word = io->readiness.load();
        io->readiness.store((std::uint64_t{ScheduledIo::tick(word) + 1} << 32) | ScheduledIo::bits(word) |
                            weft::io::detail::readable);
        first.wake_and_reset();
        while (stage < 1) co_await weft::yield_now();
        co_await weft::yield_now();  // the reader cleared the bits and registered again

        // The turn's second step, late: it takes the waker of the reader's second wait.
        weft::Waker taken;
        {
            std::lock_guard lock(io->waiters_lock);
            taken = std::move(io->reader);
        }
        EXPECT_TRUE(static_cast<bool>(taken));
        taken.wake_and_reset();
        co_await weft::yield_now();  // polled: nothing is ready
        EXPECT_EQ(stage, 1);

        // Real data now: the driver's event must find a waker.
        EXPECT_EQ(::write(pair.fds[1], "x", 1), 1);
        auto r = co_await weft::time::timeout(2s, std::move(h));
        co_return r && r->has_value() && **r == 1;
    };
    EXPECT_TRUE(rt.block_on(t())) << "the event after a stale wake woke nobody";
}

}  // namespace
