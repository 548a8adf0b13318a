// The bundled demo server, driven with raw TcpStream requests and read back with weft's own
// ResponseParser / BodyDecoder.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <weft/combinator/select.hpp>
#include <weft/http/body.hpp>
#include <weft/http/demo_server.hpp>
#include <weft/http/response_parser.hpp>
#include <weft/net/tcp_listener.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/blocking/spawn_blocking.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "http/request_parser.hpp"
#include "support/fd_count.hpp"

namespace {

using namespace std::chrono_literals;
using weft::Task;
using weft::http::BodyKind;
using weft::http::DemoServer;
using weft::http::DemoServerOptions;
using weft::http::DemoServerStats;
using weft::net::TcpListener;
using weft::net::TcpStream;

struct Response {
    weft::http::ResponseHead head;
    std::string body;
    std::error_code error;  // reading or parsing failed (status() is then 0)

    int status() const { return error ? 0 : head.status(); }
    std::string header(std::string_view name) const {
        auto v = head.find(name);
        return v ? std::string(*v) : std::string("<none>");
    }
};

/// One connection to the server; `pending` keeps bytes read past a response (pipelining).
struct Client {
    TcpStream conn;
    std::string pending;

    static Task<Client> connect(std::uint16_t port) {
        auto conn = co_await TcpStream::connect("127.0.0.1", port);
        Client client{std::move(conn).value(), {}};
        co_return client;
    }

    Task<weft::Result<void>> send(std::string raw) { co_return co_await conn.write_all(raw); }

    /// More bytes into `pending`; false at end of stream (or error).
    Task<weft::Result<bool>> fill() {
        char buf[16384];
        auto n = co_await conn.read(std::as_writable_bytes(std::span(buf)));
        if (!n) co_return std::unexpected(n.error());
        pending.append(buf, *n);
        co_return *n > 0;
    }

    Task<weft::Result<Response>> try_read_response(bool head_request = false) {
        weft::http::ResponseParser::Options options;
        options.head_request = head_request;
        weft::http::ResponseParser parser(options);
        for (;;) {
            if (!pending.empty()) {
                auto used = parser.feed(pending);
                if (!used) co_return std::unexpected(used.error());
                pending.erase(0, *used);
                if (parser.done()) break;
            }
            auto more = co_await fill();
            if (!more) co_return std::unexpected(more.error());
            if (!*more) co_return std::unexpected(parser.finish().error());
        }
        Response r{parser.take_head(), {}, {}};
        auto body = weft::http::BodyDecoder::for_response(r.head);
        while (!body.done()) {
            if (pending.empty()) {
                auto more = co_await fill();
                if (!more) co_return std::unexpected(more.error());
                if (!*more) {
                    auto end = body.finish();
                    if (!end) co_return std::unexpected(end.error());
                    break;
                }
            }
            auto step = body.decode(pending);
            if (!step) co_return std::unexpected(step.error());
            r.body += step->data;
            pending.erase(0, step->consumed);
        }
        co_return r;
    }

    /// As try_read_response, with a failure recorded in the test and in `error`.
    Task<Response> read_response(bool head_request = false) {
        auto r = co_await try_read_response(head_request);
        if (r) co_return std::move(*r);
        ADD_FAILURE() << "reading a response: " << r.error().message();
        Response failed;
        failed.error = r.error();
        co_return failed;
    }

    Task<Response> get(std::string path) {
        std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
        auto sent = co_await send(std::move(request));
        if (!sent) {
            ADD_FAILURE() << "sending GET " << path << ": " << sent.error().message();
            Response failed;
            failed.error = sent.error();
            co_return failed;
        }
        co_return co_await read_response();
    }

    /// True when the server closed the connection (with nothing more to read).
    Task<bool> at_eof() {
        if (!pending.empty()) co_return false;
        auto more = co_await fill();
        co_return more && !*more;
    }
};

bool is_generated(const std::string& body) {
    for (std::size_t i = 0; i < body.size(); ++i)
        if (body[i] != weft::http::demo_body_byte(i)) return false;
    return true;
}

weft::Runtime paused_runtime() { return weft::Runtime::Builder::current_thread().start_paused(true).build(); }

/// Runs `body(port, stats)` against serve_demo in the current runtime, then stops the server
/// and waits for it.
template <class F>
Task<void> with_server(F body, DemoServerOptions options = {},
                       std::shared_ptr<DemoServerStats> stats = nullptr) {
    auto listener = TcpListener::bind("127.0.0.1:0").value();
    std::uint16_t port = listener.local_addr()->port();
    weft::sync::CancellationToken stop;
    if (!stats) stats = std::make_shared<DemoServerStats>();
    Task<void> serve = weft::http::serve_demo(std::move(listener), options, stop, stats);
    auto server = weft::spawn(std::move(serve));
    Task<void> client = body(port, stats);
    co_await std::move(client);
    stop.cancel();
    auto done = co_await server;
    EXPECT_TRUE(done.has_value());
}

// The request-head parser on its own: the same verdict however the bytes arrive.
TEST(DemoRequestParser, VerdictDoesNotDependOnHowBytesArrive) {
    using weft::http::detail::parse_request_head;
    using weft::http::detail::RequestHead;
    using weft::http::detail::RequestStatus;
    struct Case {
        std::string bytes;
        RequestStatus status;
    };
    const std::vector<Case> cases = {
        {"GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", RequestStatus::complete},
        {"\r\nHEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", RequestStatus::complete},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7, 7\r\nExpect: 100-continue\r\n\r\n",
         RequestStatus::complete},
        {"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", RequestStatus::complete},
        {"GET / HTTP/1.1\r\nHost: x\n\r\n", RequestStatus::bad_request},
        {"GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", RequestStatus::bad_request},
        {"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", RequestStatus::bad_request},
        {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
         RequestStatus::bad_request},
        {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         RequestStatus::not_implemented},
        {"GET / HTTP/3.0\r\nHost: x\r\n\r\n", RequestStatus::version_unsupported},
        {"GET http://h?q HTTP/1.1\r\nHost: x\r\n\r\n", RequestStatus::bad_request},
        {"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", RequestStatus::complete},
        {"GET * HTTP/1.1\r\nHost: x\r\n\r\n", RequestStatus::bad_request},  // '*' is OPTIONS only
    };
    for (const auto& k : cases) {
        RequestHead whole;
        std::size_t scanned = 0;
        auto expected = parse_request_head(k.bytes, scanned, 16384, whole);
        EXPECT_EQ(expected.status, k.status) << k.bytes;
        if (expected.status == RequestStatus::complete) {
            EXPECT_EQ(expected.head_size, k.bytes.size());
        }
        // Grow the buffer one byte at a time, as a slow client would, keeping `scanned`.
        RequestHead head;
        scanned = 0;
        weft::http::detail::RequestParse got;
        for (std::size_t n = 1; n <= k.bytes.size(); ++n) {
            got = parse_request_head(std::string_view(k.bytes).substr(0, n), scanned, 16384, head);
            if (got.status != RequestStatus::incomplete) {
                EXPECT_TRUE(n == k.bytes.size() || got.status != RequestStatus::complete) << k.bytes;
                break;
            }
        }
        EXPECT_EQ(got.status, k.status) << k.bytes;
        if (got.status == RequestStatus::complete) {
            EXPECT_EQ(head.method, whole.method);
            EXPECT_EQ(head.target, whole.target);
            EXPECT_EQ(head.keep_alive, whole.keep_alive);
            EXPECT_EQ(head.content_length, whole.content_length);
            EXPECT_EQ(head.chunked, whole.chunked);
        }
    }
    RequestHead head;
    std::size_t scanned = 0;
    std::string first = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string pipelined = first + "GET /y HTTP/1.1\r\n";  // the views point into it
    auto r = parse_request_head(pipelined, scanned, 16384, head);
    EXPECT_EQ(r.status, RequestStatus::complete);
    EXPECT_EQ(r.head_size, first.size());
    EXPECT_EQ(head.target, "/x");
    scanned = 0;
    r = parse_request_head("POST / HTTP/1.0\r\nContent-Length: 12\r\n\r\n", scanned, 16384, head);
    EXPECT_EQ(r.status, RequestStatus::complete);
    EXPECT_FALSE(head.keep_alive);
    EXPECT_EQ(head.content_length, 12u);
    scanned = 0;
    r = parse_request_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n", scanned, 20, head);
    EXPECT_EQ(r.status, RequestStatus::too_large);
}

TEST(DemoServer, RequestArrivingOneByteAtATime) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats>) -> Task<void> {
        auto c = co_await Client::connect(port);
        (void)c.conn.set_nodelay(true);
        std::string request =
            "GET /bytes/7 HTTP/1.1\r\nHost: t\r\nX-Padding: " + std::string(5000, 'p') + "\r\n\r\n";
        for (char ch : request) {
            (void)co_await c.send(std::string(1, ch));
            co_await weft::time::sleep(1ms);  // each byte its own read on the server
        }
        auto r = co_await c.read_response();
        EXPECT_EQ(r.body, "ABCDEFG");
    }));
}

TEST(DemoServer, EveryRouteOnOneKeepAliveConnection) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats> stats) -> Task<void> {
        auto c = co_await Client::connect(port);
        auto r = (co_await c.get("/"));
        EXPECT_EQ(r.status(), 200);
        EXPECT_EQ(r.body, "Hello, world!\n");
        EXPECT_EQ(r.header("content-type"), "text/plain");
        EXPECT_TRUE(r.head.keep_alive());

        r = (co_await c.get("/hello"));
        EXPECT_EQ(r.body, "Hello, world!\n");

        r = (co_await c.get("/bytes/0"));
        EXPECT_EQ(r.status(), 200);
        EXPECT_EQ(r.head.body_kind(), BodyKind::content_length);
        EXPECT_EQ(r.body, "");

        r = (co_await c.get("/bytes/100000"));
        EXPECT_EQ(r.head.content_length(), 100000u);
        EXPECT_EQ(r.body.size(), 100000u);
        EXPECT_TRUE(is_generated(r.body));

        r = (co_await c.get("/bytes/600000"));  // past the first buffer: tail pieces
        EXPECT_EQ(r.body.size(), 600000u);
        EXPECT_TRUE(is_generated(r.body));

        r = (co_await c.get("/bytes/67108865"));  // 64 MiB + 1
        EXPECT_EQ(r.status(), 400);
        r = (co_await c.get("/bytes/12x"));
        EXPECT_EQ(r.status(), 400);

        r = (co_await c.get("/chunked/0"));
        EXPECT_EQ(r.head.body_kind(), BodyKind::chunked);
        EXPECT_EQ(r.body, "");
        r = (co_await c.get("/chunked/50000"));
        EXPECT_EQ(r.head.body_kind(), BodyKind::chunked);
        EXPECT_EQ(r.body.size(), 50000u);
        EXPECT_TRUE(is_generated(r.body));
        r = (co_await c.get("/chunked/300000"));  // several batches of chunks
        EXPECT_EQ(r.body.size(), 300000u);
        EXPECT_TRUE(is_generated(r.body));

        auto before = weft::time::now();
        r = (co_await c.get("/delay/1500"));
        EXPECT_EQ(r.body, "slept 1500 ms\n");
        EXPECT_GE(weft::time::now() - before, 1500ms);
        before = weft::time::now();
        r = (co_await c.get("/bytes/3?x=1&delay=700"));
        EXPECT_EQ(r.body, "ABC");
        EXPECT_GE(weft::time::now() - before, 700ms);
        r = (co_await c.get("/hello?delay=soon"));
        EXPECT_EQ(r.status(), 400);

        r = (co_await c.get("/status/418"));
        EXPECT_EQ(r.status(), 418);
        EXPECT_EQ(r.body, "status 418\n");
        r = (co_await c.get("/status/503"));
        EXPECT_EQ(r.status(), 503);
        r = (co_await c.get("/status/204"));
        EXPECT_EQ(r.status(), 204);
        EXPECT_EQ(r.head.body_kind(), BodyKind::none);
        r = (co_await c.get("/status/304"));
        EXPECT_EQ(r.status(), 304);
        EXPECT_EQ(r.head.body_kind(), BodyKind::none);
        for (std::string bad : {"/status/100", "/status/199", "/status/600", "/status/"}) {
            r = (co_await c.get(bad));
            EXPECT_EQ(r.status(), 400) << bad;
        }

        r = (co_await c.get("/missing"));
        EXPECT_EQ(r.status(), 404);
        EXPECT_EQ(r.body, "not found\n");

        EXPECT_EQ(stats->connections_accepted.load(), 1u);
        auto served = stats->requests_served.load();
        r = (co_await c.get("/close"));
        EXPECT_EQ(r.status(), 200);
        EXPECT_EQ(r.header("connection"), "close");
        EXPECT_FALSE(r.head.keep_alive());
        EXPECT_TRUE(co_await c.at_eof());
        EXPECT_EQ(stats->requests_served.load(), served + 1);
    }));
}

TEST(DemoServer, ManyRequestsOnOneConnection) {
    auto rt = paused_runtime();
    auto stats = std::make_shared<DemoServerStats>();
    rt.block_on(with_server(
        [](std::uint16_t port, std::shared_ptr<DemoServerStats> stats) -> Task<void> {
            auto c = co_await Client::connect(port);
            for (int i = 0; i < 200; ++i) {
                auto r = co_await c.get("/bytes/" + std::to_string(i));
                if (r.error || r.body.size() != static_cast<std::size_t>(i)) {
                    ADD_FAILURE() << "request " << i;
                    co_return;
                }
            }
            EXPECT_EQ(stats->requests_received.load(), 200u);
            EXPECT_EQ(stats->connections_accepted.load(), 1u);
        },
        {}, stats));
    // Counted once written, which the client may see first: final once the server stopped.
    EXPECT_EQ(stats->requests_served.load(), 200u);
}

TEST(DemoServer, PipelinedRequestsAreAnsweredInOrder) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats>) -> Task<void> {
        auto c = co_await Client::connect(port);
        std::string batch;
        // The first is slow: the others must still come after it.
        batch += "GET /delay/300 HTTP/1.1\r\nHost: t\r\n\r\n";
        batch += "GET /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\n";
        batch += "HEAD /chunked/100 HTTP/1.1\r\nHost: t\r\n\r\n";
        batch += "POST /status/201 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
        batch += "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
        (void)co_await c.send(batch);
        auto r = (co_await c.read_response());
        EXPECT_EQ(r.body, "slept 300 ms\n");
        r = (co_await c.read_response());
        EXPECT_EQ(r.body, "ABCDEFGHIJ");
        r = (co_await c.read_response(true));
        EXPECT_EQ(r.header("transfer-encoding"), "chunked");
        EXPECT_EQ(r.body, "");
        r = (co_await c.read_response());
        EXPECT_EQ(r.status(), 201);
        r = (co_await c.read_response());
        EXPECT_EQ(r.body, "Hello, world!\n");
        EXPECT_TRUE(c.pending.empty());
    }));
}

TEST(DemoServer, HeadSendsHeadersWithoutBody) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats>) -> Task<void> {
        auto c = co_await Client::connect(port);
        (void)co_await c.send("HEAD /bytes/1000 HTTP/1.1\r\nHost: t\r\n\r\n");
        auto r = (co_await c.read_response(true));
        EXPECT_EQ(r.status(), 200);
        EXPECT_EQ(r.header("content-length"), "1000");
        (void)co_await c.send("HEAD /status/404 HTTP/1.1\r\nHost: t\r\n\r\n");
        r = (co_await c.read_response(true));
        EXPECT_EQ(r.status(), 404);
        // A body sent after either head would be parsed here as a broken status line.
        r = (co_await c.get("/hello"));
        EXPECT_EQ(r.body, "Hello, world!\n");
    }));
}

TEST(DemoServer, RequestBodiesAreReadAndDiscarded) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats>) -> Task<void> {
        auto c = co_await Client::connect(port);
        std::string big(200000, 'x');  // larger than the connection's buffer
        (void)co_await c.send("PUT /bytes/4 HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n" + big);
        auto r = (co_await c.read_response());
        EXPECT_EQ(r.body, "ABCD");
        (void)co_await c.send(
            "POST /hello HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n");
        r = (co_await c.read_response());
        EXPECT_EQ(r.body, "Hello, world!\n");
        (void)co_await c.send(
            "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        // The interim 100 comes before the body is sent; the final response once it is in.
        while (c.pending.find("\r\n\r\n") == std::string::npos && (co_await c.fill()).value_or(false)) {
        }
        EXPECT_EQ(c.pending, "HTTP/1.1 100 Continue\r\n\r\n");
        (void)co_await c.send("abc");
        r = (co_await c.read_response());  // the parser skips the 100 Continue
        EXPECT_EQ(r.status(), 200);
        EXPECT_EQ(r.head.interim_responses(), 1u);
        (void)co_await c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n");
        r = (co_await c.read_response());
        EXPECT_EQ(r.status(), 400);
        EXPECT_TRUE(co_await c.at_eof());
    }));
}

TEST(DemoServer, MalformedRequestsGet400AndClose) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats> stats) -> Task<void> {
        struct Case {
            std::string request;
            int status;
        };
        std::vector<Case> cases = {
            {"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400},                           // no colon
            {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},                         // space before colon
            {"GET / HTTP/1.1\nHost: x\n\n", 400},                                // bare LF
            {"GET / HTTP/1.1\r\n\r\n", 400},                                     // no Host
            {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},               // two Hosts
            {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},               // obs-fold
            {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},                         // empty target
            {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},                          // method not a token
            {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400},  // conflicting lengths
            {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
            {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
            {"GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400},
            {"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + std::string(17 * 1024, 'h') + "\r\n\r\n", 431},
            {"GET /" + std::string(20 * 1024, 'p'), 431},  // never ends: too large before the end
        };
        for (const auto& k : cases) {
            auto c = co_await Client::connect(port);
            (void)co_await c.send(k.request);
            auto r = co_await c.read_response();
            EXPECT_EQ(r.status(), k.status) << k.request.substr(0, 60);
            EXPECT_EQ(r.header("connection"), "close");
            EXPECT_TRUE(co_await c.at_eof()) << k.request.substr(0, 60);
        }
        EXPECT_EQ(stats->requests_received.load(), 0u);
        // Leading empty lines are tolerated (RFC 9112 §2.2); absolute-form targets are reduced.
        auto c = co_await Client::connect(port);
        (void)co_await c.send(
            "\r\n\r\nGET http://example.test/bytes/2 HTTP/1.1\r\nHost: example.test\r\n\r\n");
        auto r = (co_await c.read_response());
        EXPECT_EQ(r.body, "AB");
    }));
}

TEST(DemoServer, Http10ClosesUnlessKeepAlive) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats>) -> Task<void> {
        auto c = co_await Client::connect(port);
        (void)co_await c.send("GET /hello HTTP/1.0\r\n\r\n");
        auto r = (co_await c.read_response());
        EXPECT_EQ(r.body, "Hello, world!\n");
        EXPECT_TRUE(co_await c.at_eof());

        auto k = co_await Client::connect(port);
        (void)co_await k.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        r = (co_await k.read_response());
        EXPECT_EQ(r.header("connection"), "keep-alive");
        EXPECT_TRUE(r.head.keep_alive());
        // No chunked coding for HTTP/1.0: the body runs until the close.
        (void)co_await k.send("GET /chunked/70000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        r = (co_await k.read_response());
        EXPECT_EQ(r.head.body_kind(), BodyKind::until_close);
        EXPECT_EQ(r.body.size(), 70000u);
        EXPECT_TRUE(is_generated(r.body));

        auto h = co_await Client::connect(port);  // HTTP/1.1 asking to close
        (void)co_await h.send("GET /bytes/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        r = (co_await h.read_response());
        EXPECT_EQ(r.header("connection"), "close");
        EXPECT_TRUE(co_await h.at_eof());
    }));
}

TEST(DemoServer, IdleConnectionsCloseAfterTheIdleTimeout) {
    auto rt = paused_runtime();
    rt.block_on(with_server([](std::uint16_t port, std::shared_ptr<DemoServerStats>) -> Task<void> {
        auto c = co_await Client::connect(port);
        auto r = (co_await c.get("/hello"));
        EXPECT_EQ(r.status(), 200);
        auto start = weft::time::now();
        EXPECT_TRUE(co_await c.at_eof());
        auto idle = weft::time::now() - start;
        EXPECT_GE(idle, 30s);
        EXPECT_LE(idle, 32s);
    }));
}

TEST(DemoServer, MaxConnectionsLeavesTheRestInTheBacklog) {
    auto rt = paused_runtime();
    DemoServerOptions options;
    options.max_connections = 1;
    rt.block_on(with_server(
        [](std::uint16_t port, std::shared_ptr<DemoServerStats> stats) -> Task<void> {
            auto a = co_await Client::connect(port);
            EXPECT_EQ((co_await a.get("/hello")).status(), 200);
            auto b = co_await Client::connect(port);  // the kernel accepts it into the backlog
            (void)co_await b.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
            auto early = co_await weft::time::timeout(5s, b.try_read_response());
            EXPECT_TRUE(!early && weft::is_timeout(early.error()));
            EXPECT_EQ(stats->connections_accepted.load(), 1u);
            { TcpStream gone = std::move(a.conn); }  // frees the slot
            auto r = co_await b.read_response();
            EXPECT_EQ(r.status(), 200);
            EXPECT_EQ(stats->connections_accepted.load(), 2u);
        },
        options));
}

TEST(DemoServer, ServeDemoStopFinishesInFlightResponsesAndClosesIdleOnes) {
    auto rt = paused_runtime();
    auto t = []() -> Task<void> {
        auto fds = weft::test::open_fd_count();
        auto listener = TcpListener::bind("127.0.0.1:0").value();
        std::uint16_t port = listener.local_addr()->port();
        weft::sync::CancellationToken stop;
        auto stats = std::make_shared<DemoServerStats>();
        Task<void> serve = weft::http::serve_demo(std::move(listener), {}, stop, stats);
        auto server = weft::spawn(std::move(serve));

        auto idle = co_await Client::connect(port);
        EXPECT_EQ((co_await idle.get("/hello")).status(), 200);
        auto busy = co_await Client::connect(port);
        (void)co_await busy.send("GET /delay/500 HTTP/1.1\r\nHost: t\r\n\r\n");
        auto stuck = co_await Client::connect(port);
        (void)co_await stuck.send("GET /delay/60000 HTTP/1.1\r\nHost: t\r\n\r\n");
        while (stats->requests_received.load() < 3) co_await weft::yield_now();

        auto start = weft::time::now();
        stop.cancel();
        EXPECT_TRUE(co_await idle.at_eof());
        auto r = co_await busy.read_response();  // finishes within the grace period
        EXPECT_EQ(r.body, "slept 500 ms\n");
        EXPECT_EQ(r.header("connection"), "<none>");
        EXPECT_TRUE(co_await busy.at_eof());            // then closes rather than waiting for more
        auto cut = co_await stuck.try_read_response();  // cut off after the grace period
        EXPECT_FALSE(cut.has_value());
        (void)co_await server;
        auto took = weft::time::now() - start;
        EXPECT_GE(took, 1s);
        EXPECT_LT(took, 2s);
        EXPECT_EQ(stats->requests_served.load(), 2u);
        { TcpStream a = std::move(idle.conn), b = std::move(busy.conn), c = std::move(stuck.conn); }
        EXPECT_EQ(weft::test::open_fd_count(), fds);
    };
    rt.block_on(t());
}

TEST(DemoServer, DroppingServeDemoAbortsItsConnections) {
    auto rt = paused_runtime();
    auto t = []() -> Task<void> {
        auto listener = TcpListener::bind("127.0.0.1:0").value();
        std::uint16_t port = listener.local_addr()->port();
        auto stats = std::make_shared<DemoServerStats>();
        Task<void> serve =
            weft::http::serve_demo(std::move(listener), {}, weft::sync::CancellationToken(), stats);
        auto server = weft::spawn(std::move(serve));
        auto c = co_await Client::connect(port);
        (void)co_await c.send("GET /delay/60000 HTTP/1.1\r\nHost: t\r\n\r\n");
        while (stats->requests_received.load() < 1) co_await weft::yield_now();
        server.abort();
        auto gone = co_await server;
        EXPECT_FALSE(gone.has_value());
        EXPECT_TRUE(co_await c.at_eof());  // its connection task went with it
    };
    rt.block_on(t());
}

TEST(DemoServer, StartOnItsOwnThread) {
    auto fds = weft::test::open_fd_count();
    auto server = DemoServer::start().value();
    EXPECT_NE(server->port(), 0);
    EXPECT_EQ(server->url("/bytes/5?x=1"),
              "http://127.0.0.1:" + std::to_string(server->port()) + "/bytes/5?x=1");
    auto t = [](std::uint16_t port) -> Task<void> {
        for (int i = 0; i < 3; ++i) {
            auto c = co_await Client::connect(port);
            auto r = co_await c.get("/bytes/5");
            EXPECT_EQ(r.body, "ABCDE");
            r = co_await c.get("/chunked/20000");
            EXPECT_TRUE(r.body.size() == 20000 && is_generated(r.body));
        }
    };
    {
        weft::Runtime rt;  // the client: an ordinary runtime on this thread
        rt.block_on(t(server->port()));
    }
    server->stop();  // joins: every count is final (the client may read a response before
                     // the server counts it)
    server->stop();  // idempotent
    EXPECT_EQ(server->connections_accepted(), 3u);
    EXPECT_EQ(server->requests_served(), 6u);
    server.reset();
    EXPECT_EQ(weft::test::open_fd_count(), fds);
}

TEST(DemoServer, StartWithAMultiThreadRuntime) {
    DemoServerOptions options;
    options.threads = 2;
    auto server = DemoServer::start(options).value();
    auto t = [](std::uint16_t port) -> Task<int> {
        auto one = [](std::uint16_t port) -> Task<int> {
            auto c = co_await Client::connect(port);
            int ok = 0;
            for (int i = 0; i < 10; ++i) ok += (co_await c.get("/chunked/3000")).body.size() == 3000;
            co_return ok;
        };
        std::vector<weft::JoinHandle<int>> clients;
        for (int n = 0; n < 8; ++n) clients.push_back(weft::spawn_local(one(port)));
        int ok = 0;
        for (auto& h : clients) ok += (co_await h).value_or(0);
        co_return ok;
    };
    {
        weft::Runtime rt;
        EXPECT_EQ(rt.block_on(t(server->port())), 80);
    }
    server->stop();
    EXPECT_EQ(server->requests_served(), 80u);
    EXPECT_EQ(server->connections_accepted(), 8u);
}

TEST(DemoServer, StopLetsADelayedResponseFinish) {
    auto server = DemoServer::start().value();
    weft::Runtime rt;
    auto t = [](DemoServer* server) -> Task<void> {
        auto c = co_await Client::connect(server->port());
        (void)co_await c.send("GET /delay/200 HTTP/1.1\r\nHost: t\r\n\r\n");
        while (server->requests_received() < 1) co_await weft::time::sleep(1ms);
        auto stopping = weft::spawn_blocking([server] { server->stop(); });
        auto r = co_await c.read_response();
        EXPECT_EQ(r.status(), 200);
        EXPECT_EQ(r.body, "slept 200 ms\n");
        EXPECT_TRUE(co_await c.at_eof());
        co_await stopping;
        EXPECT_EQ(server->requests_served(), 1u);
        auto refused = co_await TcpStream::connect("127.0.0.1", server->port());
        EXPECT_FALSE(refused.has_value());
    };
    rt.block_on(t(server.get()));
}

TEST(DemoServer, StartReportsBindErrors) {
    auto first = DemoServer::start().value();
    DemoServerOptions taken;
    taken.bind = "127.0.0.1:" + std::to_string(first->port());
    auto second = DemoServer::start(taken);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error(), std::errc::address_in_use);
    DemoServerOptions nonsense;
    nonsense.bind = "not an address";
    EXPECT_FALSE(DemoServer::start(nonsense).has_value());
}

TEST(DemoServer, ServesManyClientsOnAMultiThreadRuntime) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    auto stats = std::make_shared<DemoServerStats>();
    rt.block_on(with_server(
        [](std::uint16_t port, std::shared_ptr<DemoServerStats> stats) -> Task<void> {
            auto one = [](std::uint16_t port, int n) -> Task<int> {
                auto c = co_await Client::connect(port);
                int ok = 0;
                for (int i = 0; i < 20; ++i) {
                    auto r = co_await c.get("/bytes/" + std::to_string(n * 100 + i));
                    ok += r.body.size() == static_cast<std::size_t>(n * 100 + i) && is_generated(r.body);
                }
                co_return ok;
            };
            std::vector<weft::JoinHandle<int>> clients;
            for (int n = 0; n < 16; ++n) clients.push_back(weft::spawn(one(port, n)));
            int ok = 0;
            for (auto& h : clients) ok += (co_await h).value_or(0);
            EXPECT_EQ(ok, 16 * 20);
            EXPECT_EQ(stats->requests_received.load(), 16u * 20u);
            EXPECT_EQ(stats->connections_accepted.load(), 16u);
        },
        {}, stats));
    EXPECT_EQ(stats->requests_served.load(), 16u * 20u);
}

}  // namespace
