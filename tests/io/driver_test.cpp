#include "io/driver.hpp"

#include <gtest/gtest.h>
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

}  // namespace
