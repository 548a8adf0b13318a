#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <climits>
#include <weft/tls/tls_stream.hpp>

#include "tls/context_state.hpp"

// How the TLS state machine meets the socket: OpenSSL reads ciphertext from the memory BIO
// `in` and writes it to the memory BIO `out`; it never touches the fd. Whenever it reports
// WANT_READ, everything it wrote is flushed to the TcpStream first (the peer may be waiting
// for it), then one TcpStream read feeds `in`. Both directions share one 16 KiB buffer:
// a fill only happens once the flush has emptied it.

namespace weft::tls {

namespace detail {

constexpr std::size_t kBufferSize = 16 * 1024;  // one full TLS record of plaintext

struct Session {
    SSL* ssl = nullptr;
    BIO* in = nullptr;   // network -> OpenSSL (owned by ssl)
    BIO* out = nullptr;  // OpenSSL -> network (owned by ssl)
    // Ciphertext taken from `out` and not yet sent is buffer[sent, filled); a fill uses the
    // whole buffer when nothing is left to send.
    std::array<std::byte, kBufferSize> buffer;
    std::size_t sent = 0;
    std::size_t filled = 0;
    bool peer_eof = false;    // the TCP stream reached end of stream
    bool sent_close = false;  // close_notify queued by shutdown()

    ~Session() { SSL_free(ssl); }
};

void SessionDelete::operator()(Session* s) const noexcept { delete s; }

namespace {

using SessionPtr = std::unique_ptr<Session, SessionDelete>;

Result<SessionPtr> new_session(SSL_CTX* ctx) {
    ERR_clear_error();
    SessionPtr s(new Session);
    s->ssl = SSL_new(ctx);
    if (!s->ssl) return fail(Errc::invalid_config, take_openssl_errors("SSL_new failed"));
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    if (!in || !out) {
        BIO_free(in);
        BIO_free(out);
        return fail(Errc::invalid_config, take_openssl_errors("BIO_new failed"));
    }
    // An empty BIO means "no data yet, retry" (WANT_READ), never end of stream: weft tracks
    // the socket's EOF itself, so that it can tell a truncation from a close_notify.
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(s->ssl, in, out);
    s->in = in;
    s->out = out;
    return s;
}

// "127.0.0.1", "::1" or "[::1]" -> the address text; anything else -> empty.
std::string ip_literal(std::string_view name) {
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    std::string text(name);
    unsigned char addr[16];
    if (inet_pton(AF_INET, text.c_str(), addr) == 1 || inet_pton(AF_INET6, text.c_str(), addr) == 1)
        return text;
    return {};
}

std::unexpected<std::error_code> unexpected_eof() {
    return fail(Errc::protocol_error, "unexpected EOF (the peer closed the connection without close_notify)");
}

}  // namespace
}  // namespace detail

using detail::fail;
using detail::take_openssl_errors;

TlsStream::TlsStream(net::TcpStream tcp, std::unique_ptr<detail::Session, detail::SessionDelete> s) noexcept
    : tcp_(std::move(tcp)), session_(std::move(s)) {}
TlsStream::TlsStream(TlsStream&& other) noexcept = default;
TlsStream& TlsStream::operator=(TlsStream&& other) noexcept = default;
TlsStream::~TlsStream() = default;

// Not coroutines: the contexts are copied before the caller's references can dangle.
Task<Result<TlsStream>> TlsStream::connect(net::TcpStream tcp, const ClientContext& ctx,
                                           std::string server_name) {
    return do_connect(std::move(tcp), ctx, std::move(server_name));
}

Task<Result<TlsStream>> TlsStream::accept(net::TcpStream tcp, const ServerContext& ctx) {
    return do_accept(std::move(tcp), ctx);
}

Task<Result<TlsStream>> TlsStream::do_connect(net::TcpStream tcp, ClientContext ctx,
                                              std::string server_name) {
    if (ctx.verify_peer_ && server_name.empty())
        co_return fail(Errc::invalid_config, "a server name is required to verify the peer");
    auto session = detail::new_session(ctx.state_->ctx.get());
    if (!session) co_return std::unexpected(session.error());
    SSL* ssl = (*session)->ssl;
    SSL_set_connect_state(ssl);
    std::string ip = detail::ip_literal(server_name);
    // RFC 6066: SNI carries host names only, never addresses.
    if (ip.empty() && !server_name.empty() && SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1)
        co_return fail(Errc::invalid_config,
                       "invalid server name: " + take_openssl_errors(server_name.c_str()));
    if (ctx.verify_peer_) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = ip.empty() ? X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size())
                            : X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str());
        if (ok != 1) co_return fail(Errc::invalid_config, "invalid server name: " + server_name);
    }
    TlsStream stream(std::move(tcp), std::move(*session));
    Result<void> done = co_await stream.handshake(ctx.verify_peer_);
    if (!done) co_return std::unexpected(done.error());
    co_return std::move(stream);
}

Task<Result<TlsStream>> TlsStream::do_accept(net::TcpStream tcp, ServerContext ctx) {
    auto session = detail::new_session(ctx.state_->ctx.get());
    if (!session) co_return std::unexpected(session.error());
    SSL_set_accept_state((*session)->ssl);
    TlsStream stream(std::move(tcp), std::move(*session));
    Result<void> done = co_await stream.handshake(false);
    if (!done) co_return std::unexpected(done.error());
    co_return std::move(stream);
}

// `verifying`: a client that checks the server, whose failures are explained by the verify result.
Task<Result<void>> TlsStream::handshake(bool verifying) {
    detail::Session& s = *session_;
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(s.ssl);
        if (r == 1) co_return co_await flush();  // our last flight (a client's Finished)
        int err = SSL_get_error(s.ssl, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            Result<void> flushed = co_await flush();
            if (!flushed) co_return flushed;
            if (err == SSL_ERROR_WANT_WRITE) continue;
            Result<bool> got = co_await fill();
            if (!got) co_return std::unexpected(got.error());
            if (!*got)
                co_return fail(Errc::handshake_failed, "the peer closed the connection during the handshake");
            continue;
        }
        std::string why = take_openssl_errors("handshake failed");
        long verify = verifying ? SSL_get_verify_result(s.ssl) : X509_V_OK;
        (void)co_await flush();  // best effort: the alert tells the peer why
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
            co_return fail(Errc::hostname_mismatch, std::string("certificate verify failed: ") +
                                                        X509_verify_cert_error_string(verify));
        if (verify != X509_V_OK)
            co_return fail(Errc::certificate_verify_failed, std::string("certificate verify failed: ") +
                                                                X509_verify_cert_error_string(verify));
        co_return fail(Errc::handshake_failed, why);
    }
}

Task<Result<void>> TlsStream::flush() {
    detail::Session& s = *session_;
    for (;;) {
        if (s.sent == s.filled) {
            s.sent = s.filled = 0;
            if (BIO_ctrl_pending(s.out) == 0) co_return Result<void>{};
            int n = BIO_read(s.out, s.buffer.data(), static_cast<int>(s.buffer.size()));
            if (n <= 0) co_return Result<void>{};
            s.filled = static_cast<std::size_t>(n);
        }
        // One write at a time, never write_all: a destroyed flush then leaves `sent` exact.
        auto rest = std::span<const std::byte>(s.buffer).subspan(s.sent, s.filled - s.sent);
        Result<std::size_t> n = co_await tcp_.write(rest);
        if (!n) co_return std::unexpected(n.error());
        s.sent += *n;
    }
}

Task<Result<bool>> TlsStream::fill() {
    detail::Session& s = *session_;
    assert(s.sent == s.filled && "fill() before the pending ciphertext was flushed");
    if (s.peer_eof) co_return false;
    Result<std::size_t> n = co_await tcp_.read(s.buffer);
    if (!n) co_return std::unexpected(n.error());
    if (*n == 0) {
        s.peer_eof = true;
        co_return false;
    }
    // A memory BIO grows to take everything: the write cannot be short.
    BIO_write(s.in, s.buffer.data(), static_cast<int>(*n));
    co_return true;
}

Task<Result<std::size_t>> TlsStream::read(std::span<std::byte> buf) {
    if (!session_) co_return std::unexpected(std::make_error_code(std::errc::not_connected));
    if (buf.empty()) co_return std::size_t{0};
    detail::Session& s = *session_;
    for (;;) {
        ERR_clear_error();
        std::size_t got = 0;
        int r = SSL_read_ex(s.ssl, buf.data(), buf.size(), &got);
        if (r == 1) co_return got;
        int err = SSL_get_error(s.ssl, r);
        if (err == SSL_ERROR_ZERO_RETURN) co_return std::size_t{0};  // close_notify
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
            co_return fail(Errc::protocol_error, take_openssl_errors("TLS read failed"));
        Result<void> flushed = co_await flush();  // e.g. a KeyUpdate reply
        if (!flushed) co_return std::unexpected(flushed.error());
        if (err == SSL_ERROR_WANT_WRITE) continue;
        Result<bool> more = co_await fill();
        if (!more) co_return std::unexpected(more.error());
        if (!*more) co_return detail::unexpected_eof();
    }
}

Task<Result<std::size_t>> TlsStream::write(std::span<const std::byte> buf) {
    if (!session_) co_return std::unexpected(std::make_error_code(std::errc::not_connected));
    detail::Session& s = *session_;
    if (s.sent_close) co_return fail(Errc::closed, "write after shutdown()");
    if (buf.empty()) co_return std::size_t{0};
    // Send what earlier (cancelled) writes left behind, so `out` holds at most one record.
    Result<void> flushed = co_await flush();
    if (!flushed) co_return std::unexpected(flushed.error());
    buf = buf.first(std::min(buf.size(), detail::kBufferSize));
    for (;;) {
        ERR_clear_error();
        std::size_t written = 0;
        int r = SSL_write_ex(s.ssl, buf.data(), buf.size(), &written);
        if (r == 1) {
            flushed = co_await flush();
            if (!flushed) co_return std::unexpected(flushed.error());
            co_return written;
        }
        int err = SSL_get_error(s.ssl, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
            co_return fail(Errc::protocol_error, take_openssl_errors("TLS write failed"));
        flushed = co_await flush();
        if (!flushed) co_return std::unexpected(flushed.error());
        if (err == SSL_ERROR_WANT_WRITE) continue;
        Result<bool> more = co_await fill();  // TLS 1.2 renegotiation: OpenSSL must read first
        if (!more) co_return std::unexpected(more.error());
        if (!*more) co_return detail::unexpected_eof();
    }
}

Task<Result<void>> TlsStream::shutdown() {
    if (!session_) co_return std::unexpected(std::make_error_code(std::errc::not_connected));
    detail::Session& s = *session_;
    if (!s.sent_close) {
        ERR_clear_error();
        // 0: close_notify queued, the peer's not seen yet; 1: both done. Either is success.
        if (SSL_shutdown(s.ssl) < 0)
            co_return fail(Errc::protocol_error, take_openssl_errors("TLS shutdown failed"));
        s.sent_close = true;
    }
    co_return co_await flush();
}

std::string_view TlsStream::protocol_version() const noexcept {
    return session_ ? SSL_get_version(session_->ssl) : "";
}

std::string TlsStream::server_name() const {
    const char* name = session_ ? SSL_get_servername(session_->ssl, TLSEXT_NAMETYPE_host_name) : nullptr;
    return name ? name : "";
}

}  // namespace weft::tls
