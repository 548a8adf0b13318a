// The seed program's pattern end to end, on the server and client of examples/support/http_demo.hpp:
// one task per request (spawn_local), every result collected on its own, against a server that
// answers, a port where nothing listens, and a server that accepts and never answers.
//
// Time is real: paused time jumps to the next timer whenever the runtime is idle, and a runtime
// waiting for a real socket's reply looks idle, so a paused clock could time out good requests.
// Only the black-hole requests depend on a deadline (200 ms), and they must time out however fast
// the machine is; the others get 5 s of slack, which only a broken run reaches.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>
#include <weft/weft.hpp>

#include "../../examples/support/http_demo.hpp"
#include "support/fd_count.hpp"

namespace {

using namespace std::chrono_literals;
using Response = weft::Result<std::string>;

struct Outcomes {
    std::vector<Response> good, refused, black_hole;
    std::size_t answered_accepts = 0, black_hole_accepts = 0;
};

/// Spawns one task per request, all at once, and collects each result independently.
weft::Task<std::vector<Response>> spawn_all(std::uint16_t port, std::size_t n,
                                            std::chrono::milliseconds limit) {
    std::vector<weft::JoinHandle<Response>> handles;
    for (std::size_t i = 0; i < n; ++i)
        handles.push_back(weft::spawn_local([](std::uint16_t port,
                                               std::chrono::milliseconds limit) -> weft::Task<Response> {
            co_return co_await weft::time::timeout(limit, http_demo::cheapo_request("127.0.0.1", port, "/"));
        }(port, limit)));
    std::vector<Response> results;
    for (auto& h : handles) {
        auto joined = co_await h;
        if (joined)
            results.push_back(std::move(*joined));
        else
            results.push_back(std::unexpected(make_error_code(weft::Errc::cancelled)));
    }
    co_return results;
}

weft::Task<Outcomes> scenario() {
    auto server = http_demo::Server::start(http_demo::Behavior::answer).value();
    auto hole = http_demo::Server::start(http_demo::Behavior::black_hole).value();
    auto closed = http_demo::closed_port().value();

    // All three batches in flight together, as in the seed: failures must not disturb the rest.
    auto good = weft::spawn_local(spawn_all(server.port(), 50, 5s));
    auto refused = weft::spawn_local(spawn_all(closed, 5, 5s));
    auto black_hole = weft::spawn_local(spawn_all(hole.port(), 5, 200ms));

    Outcomes out;
    out.good = (co_await good).value();
    out.refused = (co_await refused).value();
    out.black_hole = (co_await black_hole).value();
    out.answered_accepts = server.accepted();
    out.black_hole_accepts = hole.accepted();
    co_await server.stop();
    co_await hole.stop();
    co_return out;
}

TEST(ManyRequestsExample, EveryRequestEndsAsItsTargetDictatesAndNothingLeaks) {
    const auto fds_without_runtime = weft::test::open_fd_count();
    {
        weft::Runtime rt;
        const auto registrations_before = rt.metrics().io_registrations;
        const auto fds_before = weft::test::open_fd_count();

        // A hang must fail the test, not stall the suite.
        auto bounded = []() -> weft::Task<weft::Result<Outcomes>> {
            co_return co_await weft::time::timeout(10s, scenario());
        };
        auto out = rt.block_on(bounded());
        ASSERT_TRUE(out.has_value()) << "the scenario did not finish: " << out.error().message();

        ASSERT_EQ(out->good.size(), 50u);
        for (const auto& r : out->good) {
            ASSERT_TRUE(r.has_value()) << r.error().message();
            EXPECT_EQ(http_demo::status_of(*r), 200);
            EXPECT_EQ(http_demo::body_of(*r), http_demo::hello_body);
            EXPECT_NE(r->find("Connection: close\r\n"), std::string::npos);
        }
        EXPECT_EQ(out->answered_accepts, 50u);

        ASSERT_EQ(out->refused.size(), 5u);
        for (const auto& r : out->refused) {
            ASSERT_FALSE(r.has_value());
            EXPECT_EQ(r.error(), std::errc::connection_refused) << r.error().message();
        }

        ASSERT_EQ(out->black_hole.size(), 5u);
        for (const auto& r : out->black_hole) {
            ASSERT_FALSE(r.has_value());
            EXPECT_TRUE(weft::is_timeout(r.error())) << r.error().message();
            EXPECT_NE(r.error(), std::errc::timed_out);  // weft's deadline, not a socket's ETIMEDOUT
        }
        EXPECT_EQ(out->black_hole_accepts, 5u);  // they reached the server: the wait was for a reply

        EXPECT_EQ(rt.metrics().io_registrations, registrations_before);
        EXPECT_EQ(rt.metrics().live_tasks, 0u);
        EXPECT_EQ(weft::test::open_fd_count(), fds_before);
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds_without_runtime);
}

TEST(ManyRequestsExample, ServerDroppedWithoutStopIsGoneWithTheRuntime) {
    const auto fds_before = weft::test::open_fd_count();
    {
        weft::Runtime rt;
        auto t = []() -> weft::Task<bool> {
            auto server = http_demo::Server::start(http_demo::Behavior::answer).value();
            auto hole = http_demo::Server::start(http_demo::Behavior::black_hole).value();
            auto answered = co_await http_demo::cheapo_request("127.0.0.1", server.port(), "/x");
            auto ignored =
                co_await weft::time::timeout(10ms, http_demo::cheapo_request("127.0.0.1", hole.port(), "/"));
            co_return answered.has_value() && !ignored.has_value() && weft::is_timeout(ignored.error());
        };
        EXPECT_TRUE(rt.block_on(t()));
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds_before);
}

TEST(ManyRequestsExample, ResponseHelpers) {
    EXPECT_EQ(http_demo::status_of("HTTP/1.1 404 Not Found\r\n\r\n"), 404);
    EXPECT_EQ(http_demo::status_of("HTTP/1.0 200"), 200);
    EXPECT_EQ(http_demo::status_of("SSH-2.0-OpenSSH\r\n"), 0);
    EXPECT_EQ(http_demo::status_of("HTTP/1.1 2x0 OK"), 0);
    EXPECT_EQ(http_demo::status_of(""), 0);
    EXPECT_EQ(http_demo::body_of("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), "body");
    EXPECT_EQ(http_demo::body_of("HTTP/1.1 200 OK\r\n"), "");
}

}  // namespace
