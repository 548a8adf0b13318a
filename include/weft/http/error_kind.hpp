#pragma once

// What kind of failure ended an HTTP request, for callers and tools that report failures by
// kind (weft-fetch's summary, retry policies). `classify` maps any error weft's HTTP client
// returns onto one kind.

#include <cstdint>
#include <string_view>
#include <system_error>

namespace weft::http {

/// Coarse classification of a failed request.
///
///     auto r = co_await client.get("http://127.0.0.1:1/");
///     if (!r) std::println("{}", weft::http::to_string(weft::http::classify(r.error())));
///     // "connect_refused"
enum class ErrorKind : std::uint8_t {
    none,             ///< no error
    dns,              ///< the host name did not resolve
    connect_refused,  ///< nothing listens there (ECONNREFUSED), or the host is unreachable
    connect_timeout,  ///< the connection was not established within the connect timeout
    tls,              ///< TLS handshake or certificate verification failed
    timeout,          ///< the request did not complete within its total timeout
    reset,            ///< the peer reset the connection (ECONNRESET, EPIPE)
    protocol,         ///< a malformed or truncated response (framing, status line, headers)
    too_large,        ///< the response head or body exceeded a limit
    io,               ///< any other I/O error
    cancelled,        ///< the request was cancelled (e.g. Ctrl-C)
    invalid_request,  ///< the request could not be made: a malformed URL, method or header
};

/// The kind's name as weft-fetch prints it: "ok", "dns", "connect_refused", ...
constexpr std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::none:
            return "ok";
        case ErrorKind::dns:
            return "dns";
        case ErrorKind::connect_refused:
            return "connect_refused";
        case ErrorKind::connect_timeout:
            return "connect_timeout";
        case ErrorKind::tls:
            return "tls";
        case ErrorKind::timeout:
            return "timeout";
        case ErrorKind::reset:
            return "reset";
        case ErrorKind::protocol:
            return "protocol";
        case ErrorKind::too_large:
            return "too_large";
        case ErrorKind::io:
            return "io";
        case ErrorKind::cancelled:
            return "cancelled";
        case ErrorKind::invalid_request:
            return "invalid_request";
    }
    return "io";
}

/// The kind of `ec`, an error returned by weft's HTTP client (or by the TCP/TLS layers below
/// it). A default-constructed (zero) code is `ErrorKind::none`.
ErrorKind classify(const std::error_code& ec) noexcept;

/// Whether a request that failed with `kind` may succeed if tried again (the failure is
/// transient: timeouts, resets, refused connections, I/O errors), as opposed to one that will
/// fail the same way (dns, tls, protocol, too_large, cancelled, invalid_request).
constexpr bool is_retryable(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::connect_refused:
        case ErrorKind::connect_timeout:
        case ErrorKind::timeout:
        case ErrorKind::reset:
        case ErrorKind::io:
            return true;
        default:
            return false;
    }
}

}  // namespace weft::http
