#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <weft/error.hpp>
#include <weft/net/socket_addr.hpp>

namespace weft::net::detail {

/// Blocking name resolution (getaddrinfo), for the blocking pool. Addresses in the resolver's
/// preferred order; `Errc::resolve_failed` when there are none.
Result<std::vector<SocketAddr>> resolve(const std::string& host, std::uint16_t port);

}  // namespace weft::net::detail
