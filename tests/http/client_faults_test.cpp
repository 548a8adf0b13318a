// weft::http::Client against misbehaving servers (tests/http/fault_server.hpp, modelled on
// ../shared/bench/http/faults.py): every fault ends in the right error kind within the
// request's timeout, and no socket or timer is left behind.

#include <gtest/gtest.h>

#include <chrono>
#include <weft/http/client.hpp>
#include <weft/weft.hpp>

#include "http/fault_server.hpp"
#include "support/fd_count.hpp"

namespace {

using namespace std::chrono_literals;
using weft::http::ErrorKind;
using weft_test::Fault;

struct Case {
    Fault fault;
    ErrorKind expected;
};

class HttpClientFaults : public ::testing::TestWithParam<Case> {};

TEST_P(HttpClientFaults, EndsInTheRightErrorKindWithinTheTimeout) {
    const Case c = GetParam();
    auto fds_before = weft::test::open_fd_count();
    {
        weft_test::FaultServer server(c.fault);
        weft::Runtime rt;
        auto t = [&]() -> weft::Task<> {
            weft::http::ClientOptions o;
            o.timeout = 1s;  // stall and trickle (one byte per 100 ms, ~8 s in all) hit it
            o.connect_timeout = 1s;
            o.limits.max_head_size = 64 * 1024;
            weft::http::Client client(o);
            auto start = std::chrono::steady_clock::now();
            auto r = co_await client.get("http://127.0.0.1:" + std::to_string(server.port()) + "/");
            auto took = std::chrono::steady_clock::now() - start;
            EXPECT_FALSE(r) << weft_test::fault_name(c.fault) << " succeeded";
            if (!r) {
                EXPECT_EQ(weft::http::classify(r.error()), c.expected)
                    << weft_test::fault_name(c.fault) << ": " << r.error().message();
            }
            EXPECT_LT(took, 5s);  // the timeout is 1 s; generous for a loaded machine
            EXPECT_EQ(client.stats().idle_connections, 0u);
        };
        rt.block_on(t());
        EXPECT_EQ(rt.metrics().io_registrations, 0u);
        EXPECT_EQ(rt.metrics().active_timers, 0u);
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds_before);
}

INSTANTIATE_TEST_SUITE_P(
    All, HttpClientFaults,
    ::testing::Values(Case{Fault::closed, ErrorKind::connect_refused}, Case{Fault::stall, ErrorKind::timeout},
                      Case{Fault::reset, ErrorKind::reset}, Case{Fault::garbage, ErrorKind::protocol},
                      Case{Fault::short_body, ErrorKind::protocol}, Case{Fault::trickle, ErrorKind::timeout},
                      Case{Fault::bad_chunk, ErrorKind::protocol},
                      Case{Fault::big_header, ErrorKind::too_large},
                      Case{Fault::reset_mid, ErrorKind::reset}),
    [](const auto& info) { return std::string(weft_test::fault_name(info.param.fault)); });

}  // namespace
