// Runs examples/graceful_shutdown as a real process: requests accepted before SIGINT must all
// finish, idle connections must be closed, and the process must exit 0 well within its deadline.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace {

#ifdef WEFT_EXAMPLES_DIR
constexpr const char* examples_dir = WEFT_EXAMPLES_DIR;
#else
constexpr const char* examples_dir = nullptr;
#endif

/// Reads from `fd` until `want` appears or `timeout_ms` passes; returns what was read.
std::string read_until(int fd, const std::string& want, int timeout_ms) {
    std::string got;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (got.find(want) == std::string::npos) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now())
                .count();
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char buf[256];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

int connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(GracefulShutdown, SigintLetsAcceptedRequestsFinishAndExitsInTime) {
    if (!examples_dir) GTEST_SKIP() << "examples not built";
    std::string binary = std::string(examples_dir) + "/graceful_shutdown";

    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::execl(binary.c_str(), binary.c_str(), "0", "--deadline-ms", "3000", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out[1]);

    std::string banner = read_until(out[0], "\n", 5000);
    auto colon = banner.rfind(':');
    ASSERT_NE(colon, std::string::npos) << banner;
    auto port = static_cast<std::uint16_t>(std::stoi(banner.substr(colon + 1)));

    // Five requests in flight (each takes 400 ms), two idle connections.
    std::vector<int> busy, idle;
    for (int i = 0; i < 5; ++i) {
        int fd = connect_to(port);
        ASSERT_GE(fd, 0);
        std::string req = "work 400\n";
        ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
        busy.push_back(fd);
    }
    for (int i = 0; i < 2; ++i) {
        int fd = connect_to(port);
        ASSERT_GE(fd, 0);
        idle.push_back(fd);
    }
    for (int fd : busy) ASSERT_NE(read_until(fd, "accepted\n", 5000).find("accepted"), std::string::npos);

    auto signalled = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(pid, SIGINT), 0);

    for (int fd : busy) {
        EXPECT_NE(read_until(fd, "done 400\n", 5000).find("done 400"), std::string::npos)
            << "an accepted request was lost";
        ::close(fd);
    }
    for (int fd : idle) {
        EXPECT_EQ(read_until(fd, "never", 5000), "") << "idle connection not closed";
        ::close(fd);
    }
    int status = 0;
    for (int i = 0; i < 500 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) ::usleep(10'000);
    if (::waitpid(pid, &status, WNOHANG) == 0 && !WIFEXITED(status)) {
        // still running after 5 s: kill it so the test ends, and fail
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL() << "process did not exit";
    }
    auto took = std::chrono::steady_clock::now() - signalled;
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_LT(took, std::chrono::seconds(3));  // the deadline, far above the 400 ms of work
    std::string rest = read_until(out[0], "all in-flight requests finished", 2000);
    EXPECT_NE(rest.find("all in-flight requests finished"), std::string::npos) << rest;
    ::close(out[0]);
}

}  // namespace
