#pragma once

// One client connection, plain TCP or TLS, with the read buffer it keeps across requests.

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>
#include <weft/error.hpp>
#include <weft/http/url.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/task.hpp>
#include <weft/time/clock.hpp>
#include <weft/tls/tls_stream.hpp>

namespace weft::http::detail {

/// Where a connection goes, and the pool key: "http://host:port".
struct Origin {
    Url::Scheme scheme = Url::Scheme::http;
    std::string host;
    std::uint16_t port = 80;

    static Origin of(const Url& url) { return {url.scheme(), url.host(), url.port()}; }
    std::string key() const;
};

class Connection {
public:
    static constexpr std::size_t read_buffer_size = 16 * 1024;

    explicit Connection(net::TcpStream tcp) : stream_(std::move(tcp)), buffer_(read_buffer_size) {}
    explicit Connection(tls::TlsStream tls) : stream_(std::move(tls)), buffer_(read_buffer_size) {}

    Task<Result<std::size_t>> read(std::span<std::byte> buf);
    Task<Result<void>> write_all(std::string_view bytes);
    std::span<std::byte> buffer() noexcept { return buffer_; }

    /// True when an idle connection can no longer carry a request: the server closed it or
    /// sent something unsolicited (checked without blocking).
    bool looks_closed() const noexcept;

    time::Instant idle_since{};

private:
    const net::TcpStream& tcp() const noexcept;

    std::variant<net::TcpStream, tls::TlsStream> stream_;
    std::vector<std::byte> buffer_;
};

}  // namespace weft::http::detail
