#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <weft/io/copy.hpp>
#include <weft/net/tcp_listener.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>
#include <weft/tls/tls.hpp>

#include "support/fd_count.hpp"
#include "tls/test_certs.hpp"

namespace {

using namespace std::chrono_literals;
using weft::Result;
using weft::Task;
using weft::net::TcpListener;
using weft::net::TcpStream;
using weft::tls::ClientContext;
using weft::tls::Errc;
using weft::tls::ServerContext;
using weft::tls::TlsStream;

const weft_test::TestPki& pki() { return weft_test::test_pki(); }

ServerContext server_ctx(const weft_test::TestCert& cert) {
    return ServerContext::create({cert.cert_pem, cert.key_pem}).value();
}
ClientContext trusting_client() {
    weft::tls::ClientConfig config;
    config.ca_pem = pki().ca_pem;
    return ClientContext::create(config).value();
}
ClientContext insecure_client() {
    weft::tls::ClientConfig config;
    config.verify_peer = false;
    return ClientContext::create(config).value();
}

std::vector<std::byte> pattern(std::size_t size) {
    std::vector<std::byte> v(size);
    for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::byte>((i * 131 + i / 4096) & 0xff);
    return v;
}

template <class R>
std::error_code error_of(const R& result) {
    return result ? std::error_code{} : result.error();
}

enum class Flavor { current_thread, multi_thread };

weft::Runtime make_runtime(Flavor f) {
    if (f == Flavor::multi_thread) return weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    return weft::Runtime::Builder::current_thread().build();
}

std::pair<TcpListener, std::uint16_t> listen() {
    auto l = TcpListener::bind("127.0.0.1:0").value();
    auto port = l.local_addr()->port();
    return {std::move(l), port};
}

Task<Result<TlsStream>> dial(std::uint16_t port, ClientContext ctx, std::string name) {
    auto tcp = co_await TcpStream::connect("127.0.0.1", port);
    if (!tcp) co_return std::unexpected(tcp.error());
    co_return co_await TlsStream::connect(std::move(*tcp), ctx, std::move(name));
}

Task<Result<TlsStream>> accept_tls(TcpListener& listener, ServerContext ctx) {
    auto conn = co_await listener.accept();
    if (!conn) co_return std::unexpected(conn.error());
    co_return co_await TlsStream::accept(std::move(conn->first), ctx);
}

// Accepts one TLS connection, reads until close_notify, sends it all back and closes properly.
// Yields how many bytes it echoed.
Task<Result<std::size_t>> echo_server(TcpListener listener, ServerContext ctx, std::string* sni_seen) {
    auto tls = co_await accept_tls(listener, ctx);
    if (!tls) co_return std::unexpected(tls.error());
    *sni_seen = tls->server_name();
    std::vector<std::byte> data;
    auto n = co_await tls->read_to_end(data);
    if (!n) co_return std::unexpected(n.error());
    auto w = co_await tls->write_all(data);
    if (!w) co_return std::unexpected(w.error());
    auto s = co_await tls->shutdown();
    if (!s) co_return std::unexpected(s.error());
    co_return data.size();
}

// Sends `payload`, closes its sending side with close_notify, then reads the echo to the end.
Task<Result<std::vector<std::byte>>> echo_client(std::uint16_t port, ClientContext ctx, std::string name,
                                                 std::vector<std::byte> payload) {
    auto tls = co_await dial(port, ctx, std::move(name));
    if (!tls) co_return std::unexpected(tls.error());
    auto w = co_await tls->write_all(payload);
    if (!w) co_return std::unexpected(w.error());
    auto s = co_await tls->shutdown();
    if (!s) co_return std::unexpected(s.error());
    std::vector<std::byte> reply;
    auto r = co_await tls->read_to_end(reply);
    if (!r) co_return std::unexpected(r.error());
    co_return reply;
}

struct EchoOutcome {
    Result<std::vector<std::byte>> client;
    Result<std::size_t> server;
    std::string sni;
};

EchoOutcome run_echo(Flavor flavor, const weft_test::TestCert& server_cert, ClientContext client,
                     std::string name, std::size_t size) {
    auto rt = make_runtime(flavor);
    auto t = [](ServerContext sctx, ClientContext cctx, std::string name,
                std::size_t size) -> Task<EchoOutcome> {
        auto [listener, port] = listen();
        auto sni = std::make_unique<std::string>();
        auto server = weft::spawn(echo_server(std::move(listener), sctx, sni.get()));
        auto client = co_await echo_client(port, cctx, std::move(name), pattern(size));
        // A failed client has closed its socket, so the server finishes either way.
        auto joined = co_await server;
        Result<std::size_t> served = std::unexpected(make_error_code(weft::Errc::cancelled));
        if (joined) served = *joined;
        co_return EchoOutcome{std::move(client), served, *sni};
    };
    return rt.block_on(t(server_ctx(server_cert), std::move(client), std::move(name), size));
}

class TlsStreamBoth : public ::testing::TestWithParam<Flavor> {};

INSTANTIATE_TEST_SUITE_P(Runtimes, TlsStreamBoth,
                         ::testing::Values(Flavor::current_thread, Flavor::multi_thread),
                         [](const auto& info) {
                             return info.param == Flavor::current_thread ? "CurrentThread" : "MultiThread";
                         });

TEST_P(TlsStreamBoth, EchoesOneMebibyteBothWaysWithATrustedCertificate) {
    auto out = run_echo(GetParam(), pki().localhost, trusting_client(), "localhost", 1 << 20);
    ASSERT_TRUE(out.client) << out.client.error().message() << ": " << weft::tls::last_error_detail();
    ASSERT_TRUE(out.server) << out.server.error().message();
    EXPECT_EQ(*out.server, 1u << 20);
    EXPECT_TRUE(*out.client == pattern(1 << 20));
    EXPECT_EQ(out.sni, "localhost");
}

TEST_P(TlsStreamBoth, IpAddressIsCheckedAgainstTheIpSanAndSendsNoSni) {
    auto out = run_echo(GetParam(), pki().localhost, trusting_client(), "127.0.0.1", 1000);
    ASSERT_TRUE(out.client) << out.client.error().message() << ": " << weft::tls::last_error_detail();
    EXPECT_EQ(out.client->size(), 1000u);
    EXPECT_EQ(out.sni, "");
}

TEST_P(TlsStreamBoth, WrongHostNameIsHostnameMismatch) {
    auto out = run_echo(GetParam(), pki().wrong_host, trusting_client(), "localhost", 10);
    EXPECT_EQ(error_of(out.client), Errc::hostname_mismatch);
    // The client's alert reaches the server: a failed handshake there, not a hang.
    EXPECT_EQ(error_of(out.server), Errc::handshake_failed);
}

TEST_P(TlsStreamBoth, WrongIpAddressIsHostnameMismatch) {
    auto out = run_echo(GetParam(), pki().wrong_host, trusting_client(), "127.0.0.1", 10);
    EXPECT_EQ(error_of(out.client), Errc::hostname_mismatch);
}

TEST_P(TlsStreamBoth, SelfSignedCertificateFailsVerification) {
    auto out = run_echo(GetParam(), pki().self_signed, trusting_client(), "localhost", 10);
    EXPECT_EQ(error_of(out.client), Errc::certificate_verify_failed);
    EXPECT_EQ(error_of(out.server), Errc::handshake_failed);
}

TEST_P(TlsStreamBoth, UnknownCaFailsVerification) {
    // The system store does not know the test CA.
    auto out = run_echo(GetParam(), pki().localhost, ClientContext::create().value(), "localhost", 10);
    EXPECT_EQ(error_of(out.client), Errc::certificate_verify_failed);
}

TEST_P(TlsStreamBoth, VerifyPeerFalseAcceptsASelfSignedCertificate) {
    auto out = run_echo(GetParam(), pki().self_signed, insecure_client(), "localhost", 5000);
    ASSERT_TRUE(out.client) << out.client.error().message() << ": " << weft::tls::last_error_detail();
    EXPECT_TRUE(*out.client == pattern(5000));
}

TEST(TlsStream, ExpiredCertificateFailsVerificationAndSaysWhy) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::pair<std::error_code, std::string>> {
        auto [listener, port] = listen();
        auto server = weft::spawn(accept_tls(listener, server_ctx(pki().expired)));
        auto tls = co_await dial(port, trusting_client(), "localhost");
        std::string detail = weft::tls::last_error_detail();
        (void)co_await server;
        co_return std::pair{error_of(tls), detail};
    };
    auto [ec, detail] = rt.block_on(t());
    EXPECT_EQ(ec, Errc::certificate_verify_failed);
    EXPECT_NE(detail.find("expired"), std::string::npos) << detail;
}

TEST(TlsStream, VerifyingWithoutAServerNameIsInvalidConfig) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::error_code> {
        auto [listener, port] = listen();
        auto tls = co_await dial(port, trusting_client(), "");
        co_return error_of(tls);
    };
    EXPECT_EQ(rt.block_on(t()), Errc::invalid_config);
}

TEST(TlsStream, ReportsTheNegotiatedProtocol) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::string> {
        auto [listener, port] = listen();
        auto server = weft::spawn(accept_tls(listener, server_ctx(pki().localhost)));
        auto tls = co_await dial(port, trusting_client(), "localhost");
        auto accepted = co_await server;
        if (!tls || !accepted || !*accepted) co_return "failed";
        co_return std::string(tls->protocol_version());
    };
    EXPECT_EQ(rt.block_on(t()), "TLSv1.3");
}

// A server that answers in plain HTTP: the client fails the handshake at once.
TEST(TlsStream, PlainTextServerIsAHandshakeFailure) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::error_code> {
        auto [listener, port] = listen();
        auto plain = [](TcpListener listener) -> Task<> {
            auto conn = co_await listener.accept();
            if (!conn) co_return;
            std::byte buf[4096];
            (void)co_await conn->first.read(buf);
            (void)co_await conn->first.write_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            std::string rest;
            (void)co_await conn->first.read_to_string(rest);  // until the client hangs up
        };
        auto server = weft::spawn(plain(std::move(listener)));
        auto tls = co_await dial(port, trusting_client(), "localhost");
        (void)co_await server;  // the failed client closed its socket: the server sees EOF
        co_return error_of(tls);
    };
    EXPECT_EQ(rt.block_on(t()), Errc::handshake_failed);
}

// A client that speaks plain HTTP to a TLS server.
TEST(TlsStream, PlainTextClientIsAHandshakeFailure) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::error_code> {
        auto [listener, port] = listen();
        auto server = weft::spawn(accept_tls(listener, server_ctx(pki().localhost)));
        auto tcp = (co_await TcpStream::connect("127.0.0.1", port)).value();
        (void)co_await tcp.write_all("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        auto accepted = co_await server;
        co_return accepted ? error_of(*accepted) : make_error_code(weft::Errc::cancelled);
    };
    EXPECT_EQ(rt.block_on(t()), Errc::handshake_failed);
}

TEST(TlsStream, ServerClosingMidHandshakeIsAHandshakeFailure) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::pair<std::error_code, std::string>> {
        auto [listener, port] = listen();
        auto hang_up = [](TcpListener listener) -> Task<> {
            auto conn = co_await listener.accept();
            if (!conn) co_return;
            std::byte buf[64];
            (void)co_await conn->first.read(buf);  // part of the ClientHello, then close
        };
        auto server = weft::spawn(hang_up(std::move(listener)));
        auto tls = co_await dial(port, trusting_client(), "localhost");
        std::string detail = weft::tls::last_error_detail();
        (void)co_await server;
        co_return std::pair{error_of(tls), detail};
    };
    auto [ec, detail] = rt.block_on(t());
    // A close with unread data may arrive as a reset instead of an EOF.
    EXPECT_TRUE(ec == Errc::handshake_failed || ec == std::errc::connection_reset) << ec.message();
    if (ec == Errc::handshake_failed) {
        EXPECT_NE(detail.find("closed"), std::string::npos) << detail;
    }
}

TEST(TlsStream, ClientClosingMidHandshakeIsAHandshakeFailureOnTheServer) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::error_code> {
        auto [listener, port] = listen();
        auto server = weft::spawn(accept_tls(listener, server_ctx(pki().localhost)));
        {
            auto tcp = (co_await TcpStream::connect("127.0.0.1", port)).value();
            (void)co_await tcp.write_all("\x16\x03\x01");  // the start of a record header, then close
        }
        auto accepted = co_await server;
        co_return accepted ? error_of(*accepted) : make_error_code(weft::Errc::cancelled);
    };
    EXPECT_EQ(rt.block_on(t()), Errc::handshake_failed);
}

TEST(TlsStream, CloseNotifyReadsAsZeroAgainAndAgain) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::vector<Result<std::size_t>>> {
        auto [listener, port] = listen();
        auto say_bye = [](TcpListener listener) -> Task<Result<void>> {
            auto tls = co_await accept_tls(listener, server_ctx(pki().localhost));
            if (!tls) co_return std::unexpected(tls.error());
            auto w = co_await tls->write_all("bye");
            if (!w) co_return w;
            auto s = co_await tls->shutdown();
            if (!s) co_return s;
            // Writing after close_notify is refused; the TCP stream stays open until we return.
            auto late = co_await tls->write_all("late");
            EXPECT_EQ(error_of(late), Errc::closed);
            std::byte buf[16];
            auto peer_close = co_await tls->read(buf);  // the client's close_notify
            EXPECT_TRUE(peer_close && *peer_close == 0);
            co_return Result<void>{};
        };
        auto server = weft::spawn(say_bye(std::move(listener)));
        auto tls = (co_await dial(port, trusting_client(), "localhost")).value();
        std::vector<Result<std::size_t>> reads;
        std::byte buf[16];
        for (int i = 0; i < 3; ++i) reads.push_back(co_await tls.read(buf));
        (void)co_await tls.shutdown();  // lets the server's read finish
        (void)co_await server;
        co_return reads;
    };
    auto reads = rt.block_on(t());
    ASSERT_EQ(reads.size(), 3u);
    ASSERT_TRUE(reads[0]) << reads[0].error().message();
    EXPECT_EQ(*reads[0], 3u);
    for (int i = 1; i < 3; ++i) {
        ASSERT_TRUE(reads[i]) << reads[i].error().message();
        EXPECT_EQ(*reads[i], 0u);
    }
}

TEST(TlsStream, EofWithoutCloseNotifyIsAProtocolError) {
    auto rt = make_runtime(Flavor::current_thread);
    auto t = []() -> Task<std::tuple<std::string, std::error_code, std::string>> {
        auto [listener, port] = listen();
        auto truncate = [](TcpListener listener) -> Task<> {
            auto tls = co_await accept_tls(listener, server_ctx(pki().localhost));
            if (tls) (void)co_await tls->write_all("partial");
            // Dropped without shutdown(): a bare TCP FIN.
        };
        auto server = weft::spawn(truncate(std::move(listener)));
        auto tls = (co_await dial(port, trusting_client(), "localhost")).value();
        std::string got;
        auto r = co_await tls.read_to_string(got);
        std::string detail = weft::tls::last_error_detail();
        (void)co_await server;
        co_return std::tuple{got, error_of(r), detail};
    };
    auto [got, ec, detail] = rt.block_on(t());
    EXPECT_EQ(got, "partial");
    EXPECT_EQ(ec, Errc::protocol_error);
    EXPECT_NE(detail.find("unexpected EOF"), std::string::npos) << detail;
}

// In-memory ends for io::copy.
struct MemorySource {
    std::vector<std::byte> data;
    std::size_t pos = 0;
    weft::io::ReadyAwaiter<Result<std::size_t>> read(std::span<std::byte> buf) {
        std::size_t n = std::min(buf.size(), data.size() - pos);
        std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), n, buf.begin());
        pos += n;
        return {n};
    }
};
struct MemorySink {
    std::vector<std::byte> data;
    weft::io::ReadyAwaiter<Result<std::size_t>> write(std::span<const std::byte> buf) {
        data.insert(data.end(), buf.begin(), buf.end());
        return {buf.size()};
    }
    weft::io::ReadyAwaiter<Result<void>> shutdown() { return {Result<void>{}}; }
};

TEST_P(TlsStreamBoth, IoCopyRunsOverATlsStreamBothWays) {
    auto rt = make_runtime(GetParam());
    auto t = []() -> Task<bool> {
        auto [listener, port] = listen();
        // The server copies the client's stream into memory, then copies it back.
        auto server = [](TcpListener listener) -> Task<Result<std::uint64_t>> {
            auto tls = co_await accept_tls(listener, server_ctx(pki().localhost));
            if (!tls) co_return std::unexpected(tls.error());
            MemorySink sink;
            auto in = co_await weft::io::copy(*tls, sink);
            if (!in) co_return in;
            MemorySource source{std::move(sink.data)};
            auto out = co_await weft::io::copy(source, *tls);
            if (!out) co_return out;
            (void)co_await tls->shutdown();
            co_return *out;
        };
        auto served = weft::spawn(server(std::move(listener)));
        auto tls = (co_await dial(port, trusting_client(), "localhost")).value();
        MemorySource source{pattern(300 * 1000)};
        auto sent = co_await weft::io::copy(source, tls);
        (void)co_await tls.shutdown();
        MemorySink sink;
        auto received = co_await weft::io::copy(tls, sink);
        auto echoed = co_await served;
        co_return sent&&* sent == 300'000u && received&&* received == 300'000u &&
            echoed&&* echoed&&** echoed == 300'000u && sink.data == pattern(300 * 1000);
    };
    EXPECT_TRUE(rt.block_on(t()));
}

// Cancellation, with paused time: a server that accepts TCP and never says a word.

Task<> silent_server(TcpListener listener) {
    auto conn = co_await listener.accept();
    if (!conn) co_return;
    std::string ignored;
    (void)co_await conn->first.read_to_string(ignored);  // until the client is gone
}

TEST(TlsStreamCancel, TimedOutHandshakeReleasesSocketAndTimers) {
    auto fds_before = weft::test::open_fd_count();
    {
        auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
        auto t = []() -> Task<std::error_code> {
            auto [listener, port] = listen();
            auto server = weft::spawn(silent_server(std::move(listener)));
            auto r = co_await weft::time::timeout(5s, dial(port, trusting_client(), "localhost"));
            (void)co_await server;  // sees EOF once the cancelled handshake closed its socket
            co_return error_of(r);
        };
        EXPECT_TRUE(weft::is_timeout(rt.block_on(t())));
        EXPECT_EQ(rt.metrics().io_registrations, 0u);
        EXPECT_EQ(rt.metrics().active_timers, 0u);
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds_before);
}

// A client that connects and never speaks, until the server hangs up.
Task<> silent_client(std::uint16_t port) {
    auto tcp = co_await TcpStream::connect("127.0.0.1", port);
    if (!tcp) co_return;
    std::string ignored;
    (void)co_await tcp->read_to_string(ignored);
}

TEST(TlsStreamCancel, TimedOutAcceptReleasesSocket) {
    auto fds_before = weft::test::open_fd_count();
    {
        auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
        auto t = []() -> Task<std::error_code> {
            auto [listener, port] = listen();
            auto client = weft::spawn(silent_client(port));
            auto r = co_await weft::time::timeout(5s, accept_tls(listener, server_ctx(pki().localhost)));
            (void)co_await client;
            co_return error_of(r);
        };
        EXPECT_TRUE(weft::is_timeout(rt.block_on(t())));
        EXPECT_EQ(rt.metrics().io_registrations, 0u);
    }
    EXPECT_EQ(weft::test::open_fd_count(), fds_before);
}

TEST(TlsStreamCancel, TimedOutReadLosesNothingAndTheStreamGoesOn) {
    auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
    auto t = []() -> Task<std::pair<std::error_code, std::string>> {
        auto [listener, port] = listen();
        auto late_writer = [](TcpListener listener) -> Task<> {
            auto tls = co_await accept_tls(listener, server_ctx(pki().localhost));
            if (!tls) co_return;
            co_await weft::time::sleep(10s);
            (void)co_await tls->write_all("late but whole");
            (void)co_await tls->shutdown();
        };
        auto server = weft::spawn(late_writer(std::move(listener)));
        auto tls = (co_await dial(port, trusting_client(), "localhost")).value();
        std::byte buf[64];
        auto first = co_await weft::time::timeout(1s, tls.read(buf));
        std::string rest;
        auto r = co_await tls.read_to_string(rest);
        (void)co_await server;
        co_return std::pair{error_of(first), r ? rest : r.error().message()};
    };
    auto [first, rest] = rt.block_on(t());
    EXPECT_TRUE(weft::is_timeout(first));
    EXPECT_EQ(rest, "late but whole");
}

}  // namespace
