#pragma once

#include <string_view>
#include <utility>
#include <weft/error.hpp>
#include <weft/io/detail/registration.hpp>
#include <weft/net/socket_addr.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/task.hpp>

namespace weft::net {

/// A listening TCP socket.
///
///     auto listener = weft::net::TcpListener::bind("127.0.0.1:0").value();
///     for (;;) {
///         auto [conn, peer] = (co_await listener.accept()).value();
///         weft::spawn_local(serve(std::move(conn)));
///     }
///
/// Cancel safety: a destroyed pending `accept` accepts nothing (a connection that arrives
/// meanwhile waits in the backlog for the next `accept`).
class TcpListener {
public:
    /// Binds (with SO_REUSEADDR) and listens. `addr` is numeric: "127.0.0.1:0", "[::1]:8080".
    static Result<TcpListener> bind(std::string_view addr, int backlog = 1024);
    static Result<TcpListener> bind(const SocketAddr& addr, int backlog = 1024);

    TcpListener(TcpListener&& other) noexcept;
    TcpListener& operator=(TcpListener&& other) noexcept;
    ~TcpListener();

    Task<Result<std::pair<TcpStream, SocketAddr>>> accept();
    Result<SocketAddr> local_addr() const noexcept;
    int native_handle() const noexcept { return fd_; }

private:
    TcpListener(int fd, io::detail::Registration reg) noexcept : fd_(fd), reg_(std::move(reg)) {}
    int fd_ = -1;
    io::detail::Registration reg_;
};

}  // namespace weft::net
