#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <weft/net/tcp_listener.hpp>

#include "io/registration.hpp"

namespace weft::net {

using io::detail::Interest;

Result<TcpListener> TcpListener::bind(std::string_view addr, int backlog) {
    auto parsed = SocketAddr::parse(addr);
    if (!parsed) return std::unexpected(std::make_error_code(std::errc::invalid_argument));
    return bind(*parsed, backlog);
}

Result<TcpListener> TcpListener::bind(const SocketAddr& addr, int backlog) {
    int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return os_error(errno);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, addr.data(), addr.size()) < 0 || ::listen(fd, backlog) < 0) {
        int e = errno;
        ::close(fd);
        return os_error(e);
    }
    auto reg = io::detail::Registration::create(fd, "weft::net::TcpListener::bind");
    if (!reg) {
        ::close(fd);
        return std::unexpected(reg.error());
    }
    return TcpListener(fd, std::move(*reg));
}

TcpListener::TcpListener(TcpListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), reg_(std::move(other.reg_)) {}

TcpListener& TcpListener::operator=(TcpListener&& other) noexcept {
    if (this != &other) {
        reg_.reset();
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        reg_ = std::move(other.reg_);
    }
    return *this;
}

TcpListener::~TcpListener() {
    reg_.reset();
    if (fd_ >= 0) ::close(fd_);
}

Task<Result<std::pair<TcpStream, SocketAddr>>> TcpListener::accept() {
    for (;;) {
        std::uint32_t tick = io::detail::readiness_tick(reg_);
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            auto reg = io::detail::Registration::create(fd, "weft::net::TcpListener::accept");
            if (!reg) {
                ::close(fd);
                co_return std::unexpected(reg.error());
            }
            co_return std::pair{TcpStream(fd, std::move(*reg)),
                                SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)};
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return os_error(errno);
        io::detail::clear_readiness(reg_, Interest::read, tick);
        co_await io::detail::ReadinessAwaiter(reg_, Interest::read);
    }
}

Result<SocketAddr> TcpListener::local_addr() const noexcept {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return os_error(errno);
    return SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace weft::net
