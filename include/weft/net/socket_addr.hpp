#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::net {

/// An IPv4 or IPv6 socket address.
///
///     auto a = weft::net::SocketAddr::parse("127.0.0.1:8080");   // or "[::1]:8080"
///     auto b = weft::net::SocketAddr::from_ip("::1", 443);
class SocketAddr {
public:
    SocketAddr() noexcept = default;
    /// Parses "ip:port" with a numeric IP ("[v6]:port" for IPv6); no name resolution.
    static std::optional<SocketAddr> parse(std::string_view text);
    /// A numeric IP literal plus a port; nullopt if `ip` is not one.
    static std::optional<SocketAddr> from_ip(std::string_view ip, std::uint16_t port);
    static SocketAddr from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;

    std::uint16_t port() const noexcept;
    bool is_ipv6() const noexcept { return storage_.ss_family == AF_INET6; }
    /// "1.2.3.4:80" or "[::1]:80".
    std::string to_string() const;
    std::string ip_string() const;

    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return len_; }
    int family() const noexcept { return storage_.ss_family; }

    friend bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept;

private:
    sockaddr_storage storage_{};
    socklen_t len_ = 0;
};

}  // namespace weft::net
