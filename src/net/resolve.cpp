#include "net/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

namespace weft::net::detail {

Result<std::vector<SocketAddr>> resolve(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    std::string service = std::to_string(port);
    if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) != 0 || !list)
        return std::unexpected(make_error_code(Errc::resolve_failed));
    std::vector<SocketAddr> out;
    for (addrinfo* ai = list; ai; ai = ai->ai_next)
        out.push_back(SocketAddr::from_sockaddr(ai->ai_addr, ai->ai_addrlen));
    ::freeaddrinfo(list);
    return out;
}

}  // namespace weft::net::detail
