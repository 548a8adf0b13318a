#pragma once

// Errors of weft's HTTP/1.1 layer (category "weft.http").
//
// Every parser and serializer in weft::http reports failure as a `weft::Result<T>` whose error is
// a `weft::http::Errc` code. Any such error from a response parser or body decoder means the
// connection's framing can no longer be trusted: close the connection, do not reuse it.
//
//     weft::Result<weft::http::Url> url = weft::http::Url::parse("ftp://example.com/");
//     if (!url && url.error() == weft::http::Errc::unsupported_scheme) { ... }
//     std::println("{}", url.error().message());   // "unsupported URL scheme (only http and https)"

#include <system_error>
#include <weft/error.hpp>

namespace weft::http {

/// What went wrong while parsing a URL or an HTTP message, or serializing a request.
enum class Errc {
    ok = 0,
    // URLs
    invalid_url = 1,     ///< not an absolute http(s) URL weft accepts (see `Url::parse`)
    unsupported_scheme,  ///< a well-formed scheme other than http or https
    // response head
    malformed_status_line,  ///< status line is not `HTTP/1.x NNN reason`
    unsupported_version,    ///< an HTTP version other than 1.x (e.g. `HTTP/2.0`)
    malformed_header,       ///< a header line is not `name: value`, or uses obs-fold
    header_too_large,       ///< head (or chunked trailer section) exceeds its size limit
    too_many_headers,       ///< more header fields than the limit
    // framing
    invalid_content_length,       ///< Content-Length is not a non-negative decimal that fits 63 bits
    conflicting_content_length,   ///< several Content-Length values that differ
    chunked_with_content_length,  ///< both Transfer-Encoding and Content-Length: ambiguous framing
    invalid_transfer_encoding,    ///< malformed Transfer-Encoding, chunked not last or twice, or in HTTP/1.0
    unsupported_transfer_coding,  ///< a transfer coding other than chunked (gzip, ...)
    // body
    invalid_chunk,           ///< malformed chunk-size line, chunk data not followed by CRLF, bad trailer
    chunk_header_too_large,  ///< chunk-size line (with extensions) longer than the limit
    body_too_large,          ///< the body exceeds `Limits::max_body_size`
    unexpected_eof,          ///< the connection closed before the message was complete
    // request serialization
    invalid_method,          ///< method is not an HTTP token
    invalid_target,          ///< request target is empty or has spaces or control characters
    invalid_request_header,  ///< header name not a token, CR/LF/NUL in a value, or a framing header
    // client
    connect_timeout,     ///< no connection (resolve, connect, TLS handshake) within the connect timeout
    unexpected_upgrade,  ///< a 101 Switching Protocols response to a request that asked for none
};

/// The "weft.http" error category.
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), weft::http::error_category()};
}

/// `std::unexpected` holding `e`, for returning from functions that produce a `weft::Result`.
inline std::unexpected<std::error_code> fail(Errc e) noexcept { return std::unexpected(make_error_code(e)); }

}  // namespace weft::http

template <>
struct std::is_error_code_enum<weft::http::Errc> : std::true_type {};
