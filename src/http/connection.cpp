#include "http/connection.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace weft::http::detail {

std::string Origin::key() const {
    std::string k = scheme == Url::Scheme::https ? "https://" : "http://";
    k += host;
    k += ':';
    k += std::to_string(port);
    return k;
}

Task<Result<std::size_t>> Connection::read(std::span<std::byte> buf) {
    return std::visit([buf](auto& s) { return s.read(buf); }, stream_);
}

Task<Result<void>> Connection::write_all(std::string_view bytes) {
    return std::visit([bytes](auto& s) { return s.write_all(bytes); }, stream_);
}

const net::TcpStream& Connection::tcp() const noexcept {
    if (auto* plain = std::get_if<net::TcpStream>(&stream_)) return *plain;
    return std::get<tls::TlsStream>(stream_).tcp();
}

bool Connection::looks_closed() const noexcept {
    char byte;
    ssize_t n = ::recv(tcp().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    if (n == 0) return true;  // the server closed it
    // Unsolicited bytes: on plain HTTP the framing is gone; under TLS they may be a record the
    // server sends on its own (a TLS 1.3 session ticket), read with the next response.
    return std::holds_alternative<net::TcpStream>(stream_);
}

}  // namespace weft::http::detail
