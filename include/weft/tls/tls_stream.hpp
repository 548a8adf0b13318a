#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <weft/error.hpp>
#include <weft/io/async_io.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/task.hpp>
#include <weft/tls/context.hpp>
#include <weft/tls/error.hpp>

namespace weft::tls {

namespace detail {
struct Session;
struct SessionDelete {
    void operator()(Session* s) const noexcept;
};
}  // namespace detail

/// A TLS connection over a `net::TcpStream` (TLS 1.2 or 1.3, OpenSSL underneath).
///
///     auto ctx = weft::tls::ClientContext::create().value();
///     auto tcp = (co_await weft::net::TcpStream::connect("example.com", 443)).value();
///     auto tls = co_await weft::tls::TlsStream::connect(std::move(tcp), ctx, "example.com");
///     if (!tls) co_return std::unexpected(tls.error());
///     co_await tls->write_all("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
///     std::string response;
///     co_await tls->read_to_string(response);
///
/// Models `io::AsyncRead` and `io::AsyncWrite`, so `io::copy` and the `io` helpers work on it.
/// OpenSSL runs on memory buffers; ciphertext moves through the TcpStream's own reads and writes.
/// Each `write` sends one record at once, so for request/response traffic turn Nagle off
/// (`tcp.set_nodelay(true)`) before the handshake.
///
/// End of stream: `read` yields 0 once the peer sent close_notify. A TCP EOF without it is
/// `Errc::protocol_error` ("unexpected EOF": the data may have been truncated), left for the
/// caller to judge (an HTTP body whose length is known is complete anyway).
///
/// Thread safety: one task at a time may use a stream: no concurrent read and write (unlike
/// TcpStream). The stream may move between threads with its task.
/// Cancel safety: a destroyed `read` reads nothing (ciphertext that arrived stays buffered for
/// the next read); a destroyed `write`/`write_all` may have committed part of its buffer, which
/// the next operation sends first. A destroyed `connect`/`accept` closes the socket. After any
/// error the connection is broken: drop it.
class TlsStream {
public:
    /// Handshake as a client. Sends `server_name` as SNI (not for IP literals) and, unless the
    /// context's `verify_peer` is false, verifies the chain against the context's trust store
    /// and checks that the certificate is for `server_name` (a DNS name or an IP address).
    /// Errors: `certificate_verify_failed`, `hostname_mismatch`, `handshake_failed`,
    /// `invalid_config` (empty `server_name` with verification on), or the socket's OS error.
    static Task<Result<TlsStream>> connect(net::TcpStream tcp, const ClientContext& ctx,
                                           std::string server_name);
    /// Handshake as a server with the context's certificate. Errors: `handshake_failed` or OS.
    static Task<Result<TlsStream>> accept(net::TcpStream tcp, const ServerContext& ctx);

    TlsStream(TlsStream&& other) noexcept;
    TlsStream& operator=(TlsStream&& other) noexcept;
    /// Frees the TLS state and closes the socket without a close_notify (call `shutdown` first
    /// for an orderly close).
    ~TlsStream();

    /// Reads at most `buf.size()` bytes of plaintext; 0 means the peer sent close_notify.
    Task<Result<std::size_t>> read(std::span<std::byte> buf);
    /// Encrypts and sends at most one record (16 KiB) of `buf`; yields how many bytes it took.
    Task<Result<std::size_t>> write(std::span<const std::byte> buf);
    Task<Result<void>> write_all(std::span<const std::byte> buf) { return io::write_all(*this, buf); }
    Task<Result<void>> write_all(std::string_view text) { return io::write_all(*this, io::as_bytes(text)); }
    Task<Result<std::size_t>> read_to_end(std::vector<std::byte>& out) { return io::read_to_end(*this, out); }
    Task<Result<std::size_t>> read_to_string(std::string& out) { return io::read_to_string(*this, out); }
    /// Sends close_notify (the peer's `read` yields 0); reading still works afterwards, writing
    /// fails with `Errc::closed`. Does not wait for the peer's close_notify.
    Task<Result<void>> shutdown();

    /// The underlying socket (for addresses and options; reading or writing it corrupts TLS).
    net::TcpStream& tcp() noexcept { return tcp_; }
    const net::TcpStream& tcp() const noexcept { return tcp_; }
    /// The negotiated protocol, "TLSv1.3" or "TLSv1.2".
    std::string_view protocol_version() const noexcept;
    /// The SNI name: on a server the one the client sent, on a client the one it sent; empty
    /// when none (a client connecting to an IP address sends none).
    std::string server_name() const;

private:
    TlsStream(net::TcpStream tcp, std::unique_ptr<detail::Session, detail::SessionDelete> s) noexcept;
    static Task<Result<TlsStream>> do_connect(net::TcpStream tcp, ClientContext ctx, std::string server_name);
    static Task<Result<TlsStream>> do_accept(net::TcpStream tcp, ServerContext ctx);
    Task<Result<void>> handshake(bool verifying);
    Task<Result<void>> flush();
    Task<Result<bool>> fill();

    net::TcpStream tcp_;
    std::unique_ptr<detail::Session, detail::SessionDelete> session_;
};

static_assert(io::AsyncRead<TlsStream> && io::AsyncWrite<TlsStream>);

}  // namespace weft::tls
