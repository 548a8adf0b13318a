// weft::http::Client over TLS against a loopback HTTPS server with certificates made at test
// time: verification, host name checks, the insecure switch, and keep-alive reuse.

#include <gtest/gtest.h>

#include <string>
#include <weft/http/client.hpp>
#include <weft/tls/context.hpp>
#include <weft/tls/tls_stream.hpp>
#include <weft/weft.hpp>

#include "tls/test_certs.hpp"

namespace {

using weft::http::Client;
using weft::http::ClientOptions;
using weft::http::ErrorKind;
using weft::net::TcpListener;
using weft::net::TcpStream;

/// Serves "HTTP/1.1 200" with body "secure" to every request on every connection, over TLS
/// with `cert`. Counts TLS connections that completed a handshake.
struct HttpsServer {
    weft::tls::ServerContext context;
    std::uint16_t port = 0;
    int handshakes = 0;

    static weft::Task<> serve(weft::tls::TlsStream s) {
        std::string pending;
        char buf[4096];
        for (;;) {
            auto n = co_await s.read(std::as_writable_bytes(std::span(buf)));
            if (!n || *n == 0) co_return;
            pending.append(buf, *n);
            while (pending.find("\r\n\r\n") != std::string::npos) {
                pending.erase(0, pending.find("\r\n\r\n") + 4);
                if (!co_await s.write_all("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure")) co_return;
            }
        }
    }
    weft::Task<> run(TcpListener listener) {
        for (;;) {
            auto accepted = co_await listener.accept();
            if (!accepted) co_return;
            auto tls = co_await weft::tls::TlsStream::accept(std::move(accepted->first), context);
            if (!tls) continue;  // the client gave up (verification failed on its side)
            ++handshakes;
            weft::spawn_local(serve(std::move(*tls))).detach();
        }
    }
    void start() {
        auto listener = TcpListener::bind("127.0.0.1:0").value();
        port = listener.local_addr()->port();
        weft::spawn_local(run(std::move(listener))).detach();
    }
    std::string url(std::string_view host = "127.0.0.1") const {
        return "https://" + std::string(host) + ":" + std::to_string(port) + "/";
    }
};

HttpsServer server_with(const weft_test::TestCert& cert) {
    return HttpsServer{weft::tls::ServerContext::create({cert.cert_pem, cert.key_pem}).value()};
}

ClientOptions trusting_test_ca() {
    ClientOptions o;
    o.ca_pem = weft_test::test_pki().ca_pem;
    return o;
}

TEST(HttpClientTls, GetsOverVerifiedTlsAndReusesTheConnection) {
    weft::Runtime rt;
    auto server = server_with(weft_test::test_pki().localhost);
    auto t = [&]() -> weft::Task<> {
        server.start();
        Client client(trusting_test_ca());
        for (std::string_view host : {"127.0.0.1", "localhost", "127.0.0.1"}) {
            auto r = co_await client.get(server.url(host));
            EXPECT_TRUE(r) << host << ": " << r.error().message();
            if (r) {
                EXPECT_EQ(r->body, "secure");
            }
        }
        // One connection per origin: 127.0.0.1 (reused once) and localhost.
        EXPECT_EQ(client.stats().connections_opened, 2u);
        EXPECT_EQ(client.stats().connections_reused, 1u);
    };
    rt.block_on(t());
    EXPECT_EQ(server.handshakes, 2);
}

TEST(HttpClientTls, RejectsAnUntrustedOrMisnamedCertificate) {
    weft::Runtime rt;
    auto self_signed = server_with(weft_test::test_pki().self_signed);
    auto wrong_host = server_with(weft_test::test_pki().wrong_host);
    auto expired = server_with(weft_test::test_pki().expired);
    auto t = [&]() -> weft::Task<> {
        self_signed.start();
        wrong_host.start();
        expired.start();
        Client client(trusting_test_ca());
        for (auto* s : {&self_signed, &wrong_host, &expired}) {
            auto r = co_await client.get(s->url());
            EXPECT_FALSE(r);
            if (!r) {
                EXPECT_EQ(weft::http::classify(r.error()), ErrorKind::tls) << r.error().message();
            }
        }
        // Without the test CA (system store only) even the good certificate is unknown.
        auto good = server_with(weft_test::test_pki().localhost);
        good.start();
        Client system_only;
        auto r = co_await system_only.get(good.url());
        EXPECT_TRUE(!r && weft::http::classify(r.error()) == ErrorKind::tls);
    };
    rt.block_on(t());
}

TEST(HttpClientTls, InsecureModeAcceptsAnyCertificate) {
    weft::Runtime rt;
    auto server = server_with(weft_test::test_pki().self_signed);
    auto t = [&]() -> weft::Task<> {
        server.start();
        ClientOptions o;
        o.insecure = true;
        Client client(o);
        auto r = co_await client.get(server.url());
        EXPECT_TRUE(r && r->body == "secure");
    };
    rt.block_on(t());
}

TEST(HttpClientTls, PlainHttpServerOnAnHttpsUrlIsATlsError) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<> {
        auto listener = TcpListener::bind("127.0.0.1:0").value();
        auto port = listener.local_addr()->port();
        auto plain = [](TcpListener l) -> weft::Task<> {
            auto a = co_await l.accept();
            if (!a) co_return;
            char buf[512];
            (void)co_await a->first.read(std::as_writable_bytes(std::span(buf)));
            (void)co_await a->first.write_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        };
        auto serving = plain(std::move(listener));
        auto h = weft::spawn_local(std::move(serving));
        Client client(trusting_test_ca());
        auto r = co_await client.get("https://127.0.0.1:" + std::to_string(port) + "/");
        EXPECT_TRUE(!r && weft::http::classify(r.error()) == ErrorKind::tls)
            << (r ? "ok" : r.error().message());
        (void)co_await h;
    };
    rt.block_on(t());
}

}  // namespace
