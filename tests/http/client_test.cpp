// weft::http::Client against small scripted servers on loopback: framing, keep-alive reuse,
// the stale-connection retry, per-host limits, timeouts, limits and error classification.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <weft/http/client.hpp>
#include <weft/weft.hpp>

#include "support/fd_count.hpp"

namespace {

using namespace std::chrono_literals;
using weft::http::Client;
using weft::http::ClientOptions;
using weft::http::ErrorKind;
using weft::net::TcpListener;
using weft::net::TcpStream;

/// Reads one request head (up to the blank line) from `s`; false at EOF or error. Bodies are
/// not expected: the tests send none unless they read them themselves.
weft::Task<bool> read_request(TcpStream& s, std::string& pending, std::string* head_out = nullptr) {
    for (;;) {
        if (auto end = pending.find("\r\n\r\n"); end != std::string::npos) {
            if (head_out) *head_out = pending.substr(0, end + 4);
            pending.erase(0, end + 4);
            co_return true;
        }
        char buf[4096];
        auto n = co_await s.read(std::as_writable_bytes(std::span(buf)));
        if (!n || *n == 0) co_return false;
        pending.append(buf, *n);
    }
}

/// A server that answers every request on every connection with `response` (built from the
/// request number across the server), until `max_requests_per_connection` have been answered
/// on a connection; it then reads the next request and closes without answering.
struct ScriptedServer {
    std::function<std::string(int request_number, const std::string& head)> response;
    int max_requests_per_connection = 1 << 30;
    std::atomic<int> connections{0};
    std::atomic<int> requests{0};
    std::atomic<int> open_now{0};
    std::atomic<int> max_open{0};
    std::vector<std::string> heads;
    std::uint16_t port = 0;

    weft::Task<> serve_one(TcpStream s) {
        int here = open_now.fetch_add(1) + 1;
        int seen = max_open.load();
        while (here > seen && !max_open.compare_exchange_weak(seen, here)) {
        }
        std::string pending;
        for (int served = 0;; ++served) {
            std::string head;
            if (!co_await read_request(s, pending, &head)) break;
            if (served == max_requests_per_connection) break;  // the "stale" close
            heads.push_back(head);
            int n = requests.fetch_add(1);
            auto text = response(n, head);
            if (text.empty()) break;
            if (!co_await s.write_all(text)) break;
        }
        open_now.fetch_sub(1);
    }

    weft::Task<> run(TcpListener listener) {
        for (;;) {
            auto accepted = co_await listener.accept();
            if (!accepted) co_return;
            connections.fetch_add(1);
            weft::spawn_local(serve_one(std::move(accepted->first))).detach();
        }
    }

    /// Binds and starts serving on the current runtime.
    void start() {
        auto listener = TcpListener::bind("127.0.0.1:0").value();
        port = listener.local_addr()->port();
        weft::spawn_local(run(std::move(listener))).detach();
    }
    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
    }
};

std::string ok_response(std::string_view body, std::string_view extra_headers = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra_headers) + "\r\n" + std::string(body);
}

TEST(HttpClient, GetsAContentLengthBodyAndReusesTheConnection) {
    weft::Runtime rt;
    ScriptedServer server;
    server.response = [](int n, const std::string&) { return ok_response("hello " + std::to_string(n)); };
    auto t = [&]() -> weft::Task<> {
        server.start();
        Client client;
        for (int i = 0; i < 3; ++i) {
            auto r = co_await client.get(server.url("/x"));
            EXPECT_TRUE(r) << r.error().message();
            if (!r) co_return;
            EXPECT_EQ(r->status(), 200);
            EXPECT_EQ(r->body, "hello " + std::to_string(i));
        }
        auto stats = client.stats();
        EXPECT_EQ(stats.connections_opened, 1u);
        EXPECT_EQ(stats.connections_reused, 2u);
        EXPECT_EQ(stats.idle_connections, 1u);
    };
    rt.block_on(t());
    EXPECT_EQ(server.connections.load(), 1);
    ASSERT_FALSE(server.heads.empty());
    EXPECT_NE(server.heads[0].find("GET /x HTTP/1.1\r\n"), std::string::npos);
    EXPECT_NE(server.heads[0].find("Host: 127.0.0.1:"), std::string::npos);
    EXPECT_NE(server.heads[0].find("User-Agent: weft/"), std::string::npos);
}

TEST(HttpClient, DecodesChunkedBodiesAndStreamsThemToASink) {
    weft::Runtime rt;
    ScriptedServer server;
    server.response = [](int, const std::string&) {
        return std::string(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
    };
    auto t = [&]() -> weft::Task<> {
        server.start();
        Client client;
        auto r = co_await client.get(server.url("/"));
        EXPECT_TRUE(r && r->body == "hello, world");
        std::vector<std::string> pieces;
        weft::http::BodySink sink = [&pieces](std::string_view p) -> weft::Result<void> {
            pieces.emplace_back(p);
            return {};
        };
        auto head = co_await client.send(weft::http::Request::get(server.url("/")).value(), sink);
        EXPECT_TRUE(head && head->status() == 200);
        std::string joined;
        for (auto& p : pieces) joined += p;
        EXPECT_EQ(joined, "hello, world");
        EXPECT_EQ(client.stats().connections_opened, 1u);
    };
    rt.block_on(t());
}

TEST(HttpClient, HeadAnd204HaveNoBodyAndKeepTheConnection) {
    weft::Runtime rt;
    ScriptedServer server;
    server.response = [](int n, const std::string&) {
        // HEAD: Content-Length describes the body a GET would get; none follows.
        return n == 0 ? std::string("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                      : std::string("HTTP/1.1 204 No Content\r\n\r\n");
    };
    auto t = [&]() -> weft::Task<> {
        server.start();
        Client client;
        auto head = co_await client.send(weft::http::Request::make("HEAD", server.url("/")).value());
        EXPECT_TRUE(head && head->status() == 200 && head->body.empty());
        auto none = co_await client.get(server.url("/"));
        EXPECT_TRUE(none && none->status() == 204 && none->body.empty());
        EXPECT_EQ(client.stats().connections_opened, 1u);
    };
    rt.block_on(t());
}

TEST(HttpClient, RetriesAnIdempotentRequestOnceWhenAPooledConnectionWasClosed) {
    weft::Runtime rt;
    ScriptedServer server;
    server.max_requests_per_connection = 1;  // then it closes on the next request: a stale connection
    server.response = [](int n, const std::string&) {
        std::string body = "r";
        body += std::to_string(n);
        return ok_response(body);
    };
    auto t = [&]() -> weft::Task<> {
        server.start();
        Client client;
        auto first = co_await client.get(server.url("/"));
        EXPECT_TRUE(first && first->body == "r0");
        auto second = co_await client.get(server.url("/"));
        EXPECT_TRUE(second) << second.error().message();
        if (second) {
            EXPECT_EQ(second->body, "r1");
        }
        auto stats = client.stats();
        // The server closes only when the second request arrives, so the client reuses the
        // connection, reads end of stream before any byte, and resends once on a fresh one.
        EXPECT_EQ(stats.connections_opened, 2u);
        EXPECT_EQ(stats.connections_reused, 1u);
        EXPECT_EQ(stats.stale_retries, 1u);
    };
    rt.block_on(t());
}

TEST(HttpClient, DoesNotResendAPostOnAStaleConnection) {
    weft::Runtime rt;
    ScriptedServer server;
    server.max_requests_per_connection = 1;
    server.response = [](int, const std::string& head) {
        // The body of the POST sits after the head; the scripted server ignores it.
        (void)head;
        return ok_response("done");
    };
    auto t = [&]() -> weft::Task<> {
        server.start();
        Client client;
        auto first = co_await client.get(server.url("/"));
        EXPECT_TRUE(first);
        auto post = weft::http::Request::make("POST", server.url("/submit")).value();
        post.body = "";  // Content-Length: 0, nothing the server must read
        auto r = co_await client.send(std::move(post));
        // The server closes the reused connection when the POST arrives: not resent.
        EXPECT_FALSE(r);
        if (!r) {
            EXPECT_EQ(weft::http::classify(r.error()), ErrorKind::protocol) << r.error().message();
        }
        EXPECT_EQ(client.stats().connections_opened, 1u);
        EXPECT_EQ(client.stats().stale_retries, 0u);
    };
    rt.block_on(t());
}

TEST(HttpClient, RespectsThePerHostConnectionLimit) {
    weft::Runtime rt;
    ScriptedServer server;
    server.response = [](int, const std::string&) { return ok_response("x"); };
    auto t = [&]() -> weft::Task<> {
        server.start();
        ClientOptions o;
        o.max_connections_per_host = 3;
        Client client(o);
        auto one = [](Client& c, std::string url) -> weft::Task<bool> {
            auto r = co_await c.get(url);
            co_return r && r->body == "x";
        };
        std::vector<weft::Task<bool>> all;
        for (int i = 0; i < 40; ++i) all.push_back(one(client, server.url("/")));
        auto results = co_await weft::join_all(std::move(all));
        for (bool ok : results) EXPECT_TRUE(ok);
        EXPECT_LE(client.stats().connections_opened, 3u);
    };
    rt.block_on(t());
    EXPECT_LE(server.max_open.load(), 3);
    EXPECT_EQ(server.requests.load(), 40);
}

/// `n` servers (distinct origins) that answer every request with "x"; start them on the runtime.
std::vector<std::unique_ptr<ScriptedServer>> servers_answering_x(int n) {
    std::vector<std::unique_ptr<ScriptedServer>> servers;
    for (int i = 0; i < n; ++i) {
        servers.push_back(std::make_unique<ScriptedServer>());
        servers.back()->response = [](int, const std::string&) { return ok_response("x"); };
    }
    return servers;
}

/// Waits (bounded) until the servers see their connections closed: a closed socket reaches
/// the server's read as EOF only when the runtime next turns.
weft::Task<int> open_on(std::vector<std::unique_ptr<ScriptedServer>>& servers, int want) {
    int open = 0;
    for (int i = 0; i < 500; ++i) {
        open = 0;
        for (auto& s : servers) open += s->open_now.load();
        if (open == want) break;
        co_await weft::time::sleep(10ms);
    }
    co_return open;
}

TEST(HttpClient, IdleConnectionsAreBoundedAcrossOriginsAndUnusedOriginsAreForgotten) {
    // A crawler's pattern: one request to each of many origins. The client keeps neither a
    // socket nor an entry per origin beyond max_idle_connections.
    weft::Runtime rt;
    auto servers = servers_answering_x(6);
    auto t = [&]() -> weft::Task<> {
        for (auto& s : servers) s->start();
        ClientOptions o;
        o.max_idle_connections = 2;
        Client client(o);
        for (auto& s : servers) {
            auto r = co_await client.get(s->url("/"));
            EXPECT_TRUE(r && r->body == "x");
            EXPECT_LE(client.stats().idle_connections, 2u);
            EXPECT_LE(client.stats().origins, 2u);
        }
        EXPECT_EQ(client.stats().idle_connections, 2u);
        EXPECT_EQ(client.stats().origins, 2u);
        // The two kept are the two newest; the others were closed.
        EXPECT_EQ(co_await open_on(servers, 2), 2);
        EXPECT_EQ(servers[4]->open_now.load() + servers[5]->open_now.load(), 2);
        // A kept one is reused.
        EXPECT_TRUE(co_await client.get(servers[5]->url("/")));
        EXPECT_EQ(client.stats().connections_reused, 1u);
        EXPECT_EQ(client.stats().connections_opened, 6u);
    };
    rt.block_on(t());
}

TEST(HttpClient, ExpiredIdleConnectionsAreClosedWhenAnotherIsPooled) {
    weft::Runtime rt;
    auto servers = servers_answering_x(2);
    auto t = [&]() -> weft::Task<> {
        for (auto& s : servers) s->start();
        ClientOptions o;
        o.idle_timeout = 20ms;
        Client client(o);
        EXPECT_TRUE(co_await client.get(servers[0]->url("/")));
        EXPECT_EQ(client.stats().origins, 1u);
        co_await weft::time::sleep(50ms);  // the first connection expires
        EXPECT_TRUE(co_await client.get(servers[1]->url("/")));
        EXPECT_EQ(client.stats().idle_connections, 1u);
        EXPECT_EQ(client.stats().origins, 1u);
        EXPECT_EQ(co_await open_on(servers, 1), 1);
        EXPECT_EQ(servers[0]->open_now.load(), 0);
    };
    rt.block_on(t());
}

TEST(HttpClient, WithoutIdleConnectionsNoOriginOutlivesItsRequests) {
    weft::Runtime rt;
    auto servers = servers_answering_x(1);
    ScriptedServer& server = *servers[0];
    auto t = [&]() -> weft::Task<> {
        server.start();
        ClientOptions o;
        o.max_idle_connections = 0;
        Client client(o);
        for (int i = 0; i < 3; ++i) EXPECT_TRUE(co_await client.get(server.url("/")));
        EXPECT_EQ(client.stats().connections_opened, 3u);
        EXPECT_EQ(client.stats().idle_connections, 0u);
        EXPECT_EQ(client.stats().origins, 0u);
        // A cancelled request gives its origin back too.
        auto pending = client.get(server.url("/"));
        auto raced = co_await weft::select(std::move(pending), weft::time::sleep(0ms));
        (void)raced;
        EXPECT_EQ(client.stats().origins, 0u);
    };
    rt.block_on(t());
}

TEST(HttpClient, APreparedRequestIsSentManyTimesWithTheClientsHeaders) {
    weft::Runtime rt;
    ScriptedServer server;
    server.response = [](int n, const std::string&) { return ok_response("hello " + std::to_string(n)); };
    auto t = [&]() -> weft::Task<> {
        server.start();
        ClientOptions o;
        o.user_agent = "prepared-test/1";
        Client client(o);
        auto req = weft::http::Request::make("POST", server.url("/p?q=1")).value();
        req.headers.push_back({"X-Trace", "abc"});
        req.body = "payload";
        auto prepared = client.prepare(req);
        EXPECT_TRUE(prepared) << prepared.error().message();
        if (!prepared) co_return;
        EXPECT_EQ(prepared->wire().substr(0, 21), "POST /p?q=1 HTTP/1.1\r");
        for (int i = 0; i < 3; ++i) {
            auto r = co_await client.send(*prepared);  // copies share the bytes
            EXPECT_TRUE(r) << r.error().message();
            if (r) {
                EXPECT_EQ(r->body, "hello " + std::to_string(i));
            }
        }
        std::uint64_t streamed = 0;
        weft::http::BodySink count = [&](std::string_view piece) -> weft::Result<void> {
            streamed += piece.size();
            return {};
        };
        auto head = co_await client.send(*prepared, std::move(count));
        EXPECT_TRUE(head && head->status() == 200);
        EXPECT_EQ(streamed, 7u);  // "hello 3"
        EXPECT_EQ(client.stats().connections_opened, 1u);
        EXPECT_EQ(client.stats().connections_reused, 3u);
    };
    rt.block_on(t());
    ASSERT_EQ(server.heads.size(), 4u);
    for (auto& h : server.heads) {
        EXPECT_NE(h.find("User-Agent: prepared-test/1\r\n"), std::string::npos) << h;
        EXPECT_NE(h.find("X-Trace: abc\r\n"), std::string::npos) << h;
        EXPECT_NE(h.find("Content-Length: 7\r\n"), std::string::npos) << h;
    }
}

TEST(HttpClient, PreparingValidatesAndAnotherClientsPreparedRequestIsRefused) {
    weft::Runtime rt;
    auto t = [&]() -> weft::Task<> {
        Client client, other;
        auto bad = weft::http::Request::get("http://127.0.0.1:1/").value();
        bad.headers.push_back({"X-Evil", "a\r\nInjected: yes"});
        auto refused = client.prepare(bad);
        EXPECT_FALSE(refused);
        if (!refused) {
            EXPECT_EQ(weft::http::classify(refused.error()), ErrorKind::invalid_request);
        }
        // Sending the same request unprepared fails the same way, without touching the network.
        auto sent = co_await client.send(bad);
        EXPECT_FALSE(sent);
        if (!sent && !refused) {
            EXPECT_EQ(sent.error(), refused.error());
        }

        auto mine = other.prepare(weft::http::Request::get("http://127.0.0.1:1/").value()).value();
        auto r = co_await client.send(mine);
        EXPECT_FALSE(r);
        if (!r) {
            EXPECT_EQ(r.error(), std::make_error_code(std::errc::invalid_argument));
        }
        // A moved-from prepared request is refused the same way.
        auto moved = std::move(mine);
        EXPECT_EQ(mine.wire(), "");  // NOLINT(bugprone-use-after-move): its documented state
        auto empty = co_await other.send(mine);
        EXPECT_FALSE(empty);
        EXPECT_EQ(client.stats().connections_opened, 0u);
        EXPECT_EQ(other.stats().connections_opened, 0u);
    };
    rt.block_on(t());
}

TEST(HttpClient, NewConnectionModeSendsConnectionClose) {
    weft::Runtime rt;
    ScriptedServer server;
    server.response = [](int, const std::string&) { return ok_response("x", "Connection: close\r\n"); };
    auto t = [&]() -> weft::Task<> {
        server.start();
        ClientOptions o;
        o.keep_alive = false;
        Client client(o);
        for (int i = 0; i < 3; ++i) EXPECT_TRUE(co_await client.get(server.url("/")));
        EXPECT_EQ(client.stats().connections_opened, 3u);
        EXPECT_EQ(client.stats().idle_connections, 0u);
    };
    rt.block_on(t());
    ASSERT_EQ(server.heads.size(), 3u);
    EXPECT_NE(server.heads[0].find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpClient, ClassifiesFailures) {
    weft::Runtime rt;
    ScriptedServer garbage;
    garbage.response = [](int, const std::string&) { return std::string("SSH-2.0-OpenSSH\r\n\r\n"); };
    ScriptedServer huge;
    huge.response = [](int, const std::string&) { return ok_response(std::string(5000, 'b')); };
    auto t = [&]() -> weft::Task<> {
        garbage.start();
        huge.start();
        ClientOptions o;
        o.limits.max_body_size = 1000;
        Client client(o);

        auto refused_port = [] {
            auto l = TcpListener::bind("127.0.0.1:0").value();
            return l.local_addr()->port();  // closed again when `l` goes
        }();
        auto refused = co_await client.get("http://127.0.0.1:" + std::to_string(refused_port) + "/");
        EXPECT_TRUE(!refused && weft::http::classify(refused.error()) == ErrorKind::connect_refused);

        auto proto = co_await client.get(garbage.url("/"));
        EXPECT_TRUE(!proto && weft::http::classify(proto.error()) == ErrorKind::protocol);

        auto big = co_await client.get(huge.url("/"));
        EXPECT_TRUE(!big && weft::http::classify(big.error()) == ErrorKind::too_large);

        auto dns = co_await client.get("http://no-such-host.invalid/");
        EXPECT_TRUE(!dns && weft::http::classify(dns.error()) == ErrorKind::dns);

        auto bad = co_await client.get("ftp://example.com/");
        EXPECT_TRUE(!bad && bad.error() == weft::http::Errc::unsupported_scheme);
    };
    rt.block_on(t());
}

TEST(HttpClient, TotalTimeoutClosesTheConnection) {
    auto fds_before = weft::test::open_fd_count();
    {
        weft::Runtime rt;
        auto t = [&]() -> weft::Task<> {
            // A listener that accepts and never answers.
            auto listener = TcpListener::bind("127.0.0.1:0").value();
            auto port = listener.local_addr()->port();
            auto hold = [](TcpListener l) -> weft::Task<> {
                std::vector<TcpStream> held;
                for (;;) {
                    auto a = co_await l.accept();
                    if (!a) co_return;
                    held.push_back(std::move(a->first));
                }
            };
            auto holding = hold(std::move(listener));
            auto h = weft::spawn_local(std::move(holding));
            ClientOptions o;
            o.timeout = 100ms;
            Client client(o);
            auto r = co_await client.get("http://127.0.0.1:" + std::to_string(port) + "/");
            EXPECT_TRUE(!r && weft::http::classify(r.error()) == ErrorKind::timeout);
            EXPECT_EQ(client.stats().idle_connections, 0u);
            h.abort();
            (void)co_await h;
        };
        rt.block_on(t());
        EXPECT_EQ(rt.metrics().io_registrations, 0u);
        EXPECT_EQ(rt.metrics().active_timers, 0u);
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds_before);
}

TEST(HttpClient, ConnectTimeoutIsItsOwnKind) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<> {
        // A listener that never accepts, backlog 0: once full, SYNs are dropped.
        auto listener = TcpListener::bind("127.0.0.1:0", 0).value();
        auto port = listener.local_addr()->port();
        std::vector<TcpStream> filling;
        ClientOptions o;
        o.connect_timeout = 100ms;
        o.keep_alive = false;
        Client client(o);
        bool saw_connect_timeout = false;
        for (int i = 0; i < 8 && !saw_connect_timeout; ++i) {
            // Until the backlog is full the connects succeed and the requests time out at the
            // (short) total timeout instead; fill it with plain connections first.
            auto c = co_await weft::time::timeout(100ms, TcpStream::connect("127.0.0.1", port));
            if (c) {
                filling.push_back(std::move(*c));
                continue;
            }
            auto r = co_await client.get("http://127.0.0.1:" + std::to_string(port) + "/");
            saw_connect_timeout = !r && weft::http::classify(r.error()) == ErrorKind::connect_timeout;
        }
        EXPECT_TRUE(saw_connect_timeout);
    };
    rt.block_on(t());
}

TEST(HttpClient, CancellingAPendingRequestClosesItsConnection) {
    weft::Runtime rt;
    std::atomic<bool> server_saw_eof{false};
    auto t = [&]() -> weft::Task<> {
        auto listener = TcpListener::bind("127.0.0.1:0").value();
        auto port = listener.local_addr()->port();
        auto watch = [](TcpListener l, std::atomic<bool>* eof) -> weft::Task<> {
            auto a = co_await l.accept();
            if (!a) co_return;
            std::string pending;
            (void)co_await read_request(a->first, pending);
            char buf[64];
            auto n = co_await a->first.read(std::as_writable_bytes(std::span(buf)));
            eof->store(n && *n == 0);
        };
        auto watching = watch(std::move(listener), &server_saw_eof);
        auto h = weft::spawn_local(std::move(watching));
        {
            Client client;
            auto request = client.get("http://127.0.0.1:" + std::to_string(port) + "/");
            auto raced = co_await weft::select(std::move(request), weft::time::sleep(50ms));
            EXPECT_EQ(raced.index(), 1u);  // the sleep won; the request was destroyed
            EXPECT_EQ(client.stats().idle_connections, 0u);
        }
        (void)co_await h;
    };
    rt.block_on(t());
    EXPECT_TRUE(server_saw_eof.load());
}

TEST(HttpClient, ManyConcurrentRequestsOnTheMultiThreadRuntime) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    // The server runs on its own current-thread runtime thread.
    std::promise<std::uint16_t> port_promise;
    weft::sync::CancellationToken stop;
    std::thread server_thread([&] {
        weft::Runtime srt;
        ScriptedServer server;
        server.response = [](int n, const std::string&) { return ok_response(std::to_string(n % 7)); };
        srt.block_on([&]() -> weft::Task<> {
            server.start();
            port_promise.set_value(server.port);
            co_await stop.cancelled();
        }());
    });
    auto port = port_promise.get_future().get();
    auto t = [&]() -> weft::Task<int> {
        ClientOptions o;
        o.max_connections_per_host = 8;
        Client client(o);
        auto one = [](Client& c, std::string url) -> weft::Task<bool> {
            auto r = co_await c.get(url);
            co_return r && r->status() == 200 && r->body.size() == 1;
        };
        std::vector<weft::JoinHandle<bool>> handles;
        for (int i = 0; i < 400; ++i)
            handles.push_back(weft::spawn(one(client, "http://127.0.0.1:" + std::to_string(port) + "/")));
        int ok = 0;
        for (auto& h : handles) ok += (co_await h).value_or(false) ? 1 : 0;
        EXPECT_LE(client.stats().connections_opened, 8u);
        co_return ok;
    };
    EXPECT_EQ(rt.block_on(t()), 400);
    stop.cancel();
    server_thread.join();
}

}  // namespace
