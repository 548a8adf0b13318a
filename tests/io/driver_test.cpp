#include "io/driver.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

using weft::io::detail::IoDriver;

namespace {

// With no fd registered a non-blocking turn skips epoll_wait. An unpark it did not collect must
// still end the next turn that blocks, or a remote wake would be lost.
TEST(IoDriver, AnUnparkSkippedByANonBlockingTurnEndsTheNextBlockingTurn) {
    IoDriver driver;
    ASSERT_EQ(driver.registered(), 0u);
    driver.unpark();
    EXPECT_EQ(driver.turn(0), 0u);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(driver.turn(10'000), 0u);  // returns at once; 10 s only if the unpark was lost
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Once an fd is registered, a non-blocking turn asks the kernel and dispatches its event.
TEST(IoDriver, ANonBlockingTurnReportsARegisteredFd) {
    IoDriver driver;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    auto io = driver.add(fds[0]);
    ASSERT_TRUE(io.has_value());
    EXPECT_EQ(driver.registered(), 1u);
    ASSERT_EQ(::write(fds[1], "x", 1), 1);
    EXPECT_EQ(driver.turn(0), 1u);
    driver.remove(*io);
    EXPECT_EQ(driver.registered(), 0u);
    ::close(fds[0]);
    ::close(fds[1]);
}

// Why TcpStream::connect registers its socket only after calling connect(): a TCP socket that
// is not connecting yet is reported as hung up, and the event would mark the stream closed.
TEST(IoDriver, ATcpSocketRegisteredBeforeConnectIsReportedClosed) {
    IoDriver driver;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    auto io = driver.add(fd);
    ASSERT_TRUE(io.has_value());
    EXPECT_EQ(driver.turn(0), 1u);
    const std::uint32_t bits = weft::io::detail::ScheduledIo::bits((*io)->readiness.load());
    EXPECT_TRUE(bits & weft::io::detail::read_closed);
    EXPECT_TRUE(bits & weft::io::detail::write_closed);
    driver.remove(*io);
    ::close(fd);
}

}  // namespace
