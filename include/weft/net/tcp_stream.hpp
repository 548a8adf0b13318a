#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <weft/error.hpp>
#include <weft/io/async_io.hpp>
#include <weft/io/detail/registration.hpp>
#include <weft/net/socket_addr.hpp>
#include <weft/task.hpp>

namespace weft::net {

/// A TCP connection, registered with the runtime's I/O driver.
///
///     auto s = co_await weft::net::TcpStream::connect("example.com", 80);
///     if (!s) co_return std::unexpected(s.error());
///     co_await s->write_all("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
///     s->shutdown();                       // our half: the server sees end of request
///     std::string response;
///     co_await s->read_to_string(response);
///
/// Models `weft::io::AsyncRead` and `weft::io::AsyncWrite`. Closing is RAII: the destructor
/// deregisters the socket and closes it.
///
/// Thread safety: use a stream on the runtime it was created on; one reader and one writer
/// task may use it at the same time.
/// Cancel safety: a destroyed pending `read` reads nothing; a destroyed `write`/`write_all`
/// may have sent part of its buffer; a destroyed `connect` closes its socket.
class TcpStream {
public:
    /// Resolves `host` (off the runtime thread, unless it is an IP literal) and connects to the
    /// first address that accepts, trying each in turn; the error is the last one seen.
    static Task<Result<TcpStream>> connect(std::string host, std::uint16_t port);
    static Task<Result<TcpStream>> connect(SocketAddr addr);
    /// Adopts a connected socket (made non-blocking here).
    static Result<TcpStream> from_fd(int fd);

    TcpStream(TcpStream&& other) noexcept;
    TcpStream& operator=(TcpStream&& other) noexcept;
    ~TcpStream();

    /// Reads at most `buf.size()` bytes; 0 means the peer closed its sending side.
    Task<Result<std::size_t>> read(std::span<std::byte> buf);
    /// Writes at most `buf.size()` bytes; yields how many were written.
    Task<Result<std::size_t>> write(std::span<const std::byte> buf);
    Task<Result<void>> write_all(std::span<const std::byte> buf);
    Task<Result<void>> write_all(std::string_view text) { return write_all(io::as_bytes(text)); }
    Task<Result<std::size_t>> read_to_end(std::vector<std::byte>& out) { return io::read_to_end(*this, out); }
    Task<Result<std::size_t>> read_to_string(std::string& out) { return io::read_to_string(*this, out); }

    /// Shuts down the sending side (the peer reads end of stream); reading still works.
    io::ReadyAwaiter<Result<void>> shutdown() noexcept { return {shutdown_write()}; }
    Result<void> shutdown_write() noexcept;

    Result<void> set_nodelay(bool on) noexcept;
    Result<SocketAddr> peer_addr() const noexcept;
    Result<SocketAddr> local_addr() const noexcept;
    int native_handle() const noexcept { return fd_; }

private:
    friend class TcpListener;
    TcpStream(int fd, io::detail::Registration reg) noexcept : fd_(fd), reg_(std::move(reg)) {}
    void close() noexcept;

    int fd_ = -1;
    io::detail::Registration reg_;
    bool read_drained_ = false;  // the last read was short: the socket had nothing more then
};

static_assert(io::AsyncRead<TcpStream> && io::AsyncWrite<TcpStream>);

}  // namespace weft::net
