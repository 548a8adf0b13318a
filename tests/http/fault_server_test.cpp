// The fault servers behave as described (checked with raw sockets and weft's own parsers), so
// the client's reliability tests can rely on them.

#include "http/fault_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <weft/http/body.hpp>
#include <weft/http/response_parser.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/timeout.hpp>

#include "support/fd_count.hpp"

namespace {

using namespace std::chrono_literals;
using weft::Task;
using weft::net::TcpStream;
using weft_test::Fault;
using weft_test::FaultServer;

constexpr std::string_view kRequest = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fault-test\r\n\r\n";

/// What a raw client saw: the bytes, and how the stream ended (0 = FIN, else the error).
struct Seen {
    std::string bytes;
    std::error_code end;
    int reads = 0;
};

Task<Seen> fetch_raw(std::uint16_t port) {
    Seen seen;
    auto conn = co_await TcpStream::connect("127.0.0.1", port);
    if (!conn) {
        seen.end = conn.error();
        co_return seen;
    }
    auto sent = co_await conn->write_all(kRequest);
    if (!sent) {
        seen.end = sent.error();
        co_return seen;
    }
    char buf[65536];
    for (;;) {
        auto n = co_await conn->read(std::as_writable_bytes(std::span(buf)));
        if (!n) {
            seen.end = n.error();
            co_return seen;
        }
        if (*n == 0) co_return seen;
        ++seen.reads;
        seen.bytes.append(buf, *n);
    }
}

Seen fetch_raw_blocking(std::uint16_t port) {
    weft::Runtime rt;
    return rt.block_on(fetch_raw(port));
}

struct Parsed {
    weft::Result<void> head;  // the response parser's verdict
    std::string body;
    weft::Result<void> body_end;  // the body decoder's verdict at the end of the bytes
};

/// Runs `bytes` (a whole response, then EOF) through ResponseParser and BodyDecoder.
Parsed parse(std::string_view bytes, weft::http::Limits limits = {}) {
    Parsed p;
    weft::http::ResponseParser::Options options;
    options.limits = limits;
    weft::http::ResponseParser parser(options);
    auto used = parser.feed(bytes);
    if (!used) {
        p.head = std::unexpected(used.error());
        return p;
    }
    if (!parser.done()) {
        p.head = parser.finish();
        return p;
    }
    bytes.remove_prefix(*used);
    auto body = weft::http::BodyDecoder::for_response(parser.head(), limits);
    while (!bytes.empty() && !body.done()) {
        auto step = body.decode(bytes);
        if (!step) {
            p.body_end = std::unexpected(step.error());
            return p;
        }
        p.body += step->data;
        bytes.remove_prefix(step->consumed);
    }
    p.body_end = body.done() ? weft::Result<void>{} : body.finish();
    return p;
}

TEST(FaultServer, ClosedRefusesConnections) {
    FaultServer server(Fault::closed);
    EXPECT_NE(server.port(), 0);
    auto seen = fetch_raw_blocking(server.port());
    EXPECT_EQ(seen.end, std::errc::connection_refused);
    EXPECT_EQ(server.connections(), 0u);
}

TEST(FaultServer, StallNeverAnswers) {
    FaultServer server(Fault::stall);
    auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
    auto t = [](std::uint16_t port) -> Task<void> {
        auto conn = (co_await TcpStream::connect("127.0.0.1", port)).value();
        EXPECT_TRUE(co_await conn.write_all(kRequest));
        char buf[64];
        auto r = co_await weft::time::timeout(30s, conn.read(std::as_writable_bytes(std::span(buf))));
        EXPECT_TRUE(!r && weft::is_timeout(r.error()));
    };
    rt.block_on(t(server.port()));
}

TEST(FaultServer, ResetSendsRstBeforeReading) {
    FaultServer server(Fault::reset);
    auto seen = fetch_raw_blocking(server.port());
    // The RST may beat the request: then the write fails instead of the read.
    EXPECT_TRUE(seen.end == std::errc::connection_reset || seen.end == std::errc::broken_pipe)
        << seen.end.message();
    EXPECT_EQ(seen.bytes, "");
    EXPECT_EQ(server.connections(), 1u);
}

TEST(FaultServer, GarbageIsNotHttp) {
    FaultServer server(Fault::garbage);
    auto seen = fetch_raw_blocking(server.port());
    EXPECT_FALSE(seen.end) << seen.end.message();  // FIN
    EXPECT_EQ(seen.bytes, weft_test::garbage_bytes());
    EXPECT_EQ(seen.bytes.size(), 4096u);
    auto p = parse(seen.bytes);
    ASSERT_FALSE(p.head.has_value());
    EXPECT_EQ(p.head.error(), weft::http::Errc::malformed_status_line);
}

TEST(FaultServer, ShortBodyEndsEarly) {
    FaultServer server(Fault::short_body);
    auto seen = fetch_raw_blocking(server.port());
    EXPECT_FALSE(seen.end) << seen.end.message();
    auto p = parse(seen.bytes);
    ASSERT_TRUE(p.head.has_value());
    EXPECT_EQ(p.body.size(), weft_test::kShortSent);
    ASSERT_FALSE(p.body_end.has_value());
    EXPECT_EQ(p.body_end.error(), weft::http::Errc::unexpected_eof);
}

TEST(FaultServer, TrickleSendsOneByteAtATime) {
    weft_test::FaultOptions options;
    options.trickle_interval = 2ms;
    FaultServer server(Fault::trickle, options);
    auto start = std::chrono::steady_clock::now();
    auto seen = fetch_raw_blocking(server.port());
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(seen.end) << seen.end.message();
    EXPECT_EQ(seen.bytes, weft_test::fault_response(Fault::trickle));
    EXPECT_GT(seen.reads, 10);  // arrived in many pieces
    EXPECT_GE(took, options.trickle_interval * (seen.bytes.size() - 1));
    auto p = parse(seen.bytes);
    ASSERT_TRUE(p.head.has_value());
    EXPECT_TRUE(p.body_end.has_value());
    EXPECT_EQ(p.body, weft_test::kTrickleBody);
}

TEST(FaultServer, BadChunkFailsAfterTheFirstChunk) {
    FaultServer server(Fault::bad_chunk);
    auto seen = fetch_raw_blocking(server.port());
    EXPECT_FALSE(seen.end) << seen.end.message();
    auto p = parse(seen.bytes);
    ASSERT_TRUE(p.head.has_value());
    EXPECT_EQ(p.body, "hello");
    ASSERT_FALSE(p.body_end.has_value());
    EXPECT_EQ(p.body_end.error(), weft::http::Errc::invalid_chunk);
}

TEST(FaultServer, BigHeaderExceedsTheDefaultHeadLimit) {
    FaultServer server(Fault::big_header);
    auto seen = fetch_raw_blocking(server.port());
    EXPECT_FALSE(seen.end) << seen.end.message();
    EXPECT_GT(seen.bytes.size(), weft_test::kBigHeaderSize);
    auto p = parse(seen.bytes);
    ASSERT_FALSE(p.head.has_value());
    EXPECT_EQ(p.head.error(), weft::http::Errc::header_too_large);
    weft::http::Limits roomy;
    roomy.max_head_size = 2 << 20;
    p = parse(seen.bytes, roomy);
    ASSERT_TRUE(p.head.has_value());
    EXPECT_EQ(p.body, "ok");
}

TEST(FaultServer, ResetMidBodyEndsInRst) {
    FaultServer server(Fault::reset_mid);
    auto seen = fetch_raw_blocking(server.port());
    EXPECT_EQ(seen.end, std::errc::connection_reset) << seen.end.message();
    EXPECT_LT(seen.bytes.size(), weft_test::kShortDeclared);
    auto p = parse(seen.bytes);
    if (!seen.bytes.empty()) {
        ASSERT_TRUE(p.head.has_value());
        EXPECT_LE(p.body.size(), weft_test::kShortSent);
    }
}

TEST(FaultServer, ServesSeveralConnectionsAndStopsCleanly) {
    auto fds = weft::test::open_fd_count();
    {
        FaultServer stall(Fault::stall);
        FaultServer garbage(Fault::garbage);
        FaultServer closed(Fault::closed);
        for (int i = 0; i < 3; ++i) EXPECT_EQ(fetch_raw_blocking(garbage.port()).bytes.size(), 4096u);
        EXPECT_EQ(garbage.connections(), 3u);
        // Leave connections open on the stall server: stop() must close them and not hang.
        weft::Runtime rt;
        auto t = [](std::uint16_t port) -> Task<std::vector<TcpStream>> {
            std::vector<TcpStream> open;
            for (int i = 0; i < 3; ++i) {
                auto c = (co_await TcpStream::connect("127.0.0.1", port)).value();
                (void)co_await c.write_all(kRequest);
                open.push_back(std::move(c));
            }
            co_return open;
        };
        auto open = rt.block_on(t(stall.port()));
        while (stall.connections() < 3) std::this_thread::yield();
        stall.stop();
        // The server's side is gone: each connection reads end of stream (or a reset, when the
        // server closed before reading all of the request).
        auto drained = [](std::vector<TcpStream>& conns) -> Task<int> {
            int ended = 0;
            char buf[64];
            for (auto& c : conns) {
                auto n = co_await c.read(std::as_writable_bytes(std::span(buf)));
                ended += n ? *n == 0 : n.error() == std::errc::connection_reset;
            }
            co_return ended;
        };
        EXPECT_EQ(rt.block_on(drained(open)), 3);
        stall.stop();  // idempotent
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds);
}

}  // namespace
