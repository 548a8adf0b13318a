#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <weft/net/socket_addr.hpp>

namespace weft::net {

std::optional<SocketAddr> SocketAddr::from_ip(std::string_view ip, std::uint16_t port) {
    std::string text(ip);
    SocketAddr a;
    sockaddr_in v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        std::memcpy(&a.storage_, &v4, sizeof v4);
        a.len_ = sizeof v4;
        return a;
    }
    sockaddr_in6 v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        std::memcpy(&a.storage_, &v6, sizeof v6);
        a.len_ = sizeof v6;
        return a;
    }
    return std::nullopt;
}

std::optional<SocketAddr> SocketAddr::parse(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6 needs []
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535)
        return std::nullopt;
    return from_ip(host, static_cast<std::uint16_t>(value));
}

SocketAddr SocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
    SocketAddr a;
    len = std::min<socklen_t>(len, sizeof a.storage_);
    std::memcpy(&a.storage_, sa, len);
    a.len_ = len;
    return a;
}

std::uint16_t SocketAddr::port() const noexcept {
    if (storage_.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (storage_.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string SocketAddr::ip_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (storage_.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    else if (storage_.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
    return buf;
}

std::string SocketAddr::to_string() const {
    std::string out;
    if (is_ipv6()) out.push_back('[');
    out.append(ip_string());
    if (is_ipv6()) out.push_back(']');
    out.push_back(':');
    out.append(std::to_string(port()));
    return out;
}

bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept {
    return a.len_ == b.len_ && std::memcmp(&a.storage_, &b.storage_, a.len_) == 0;
}

}  // namespace weft::net
