#pragma once

// Header fields and the limits that weft's HTTP parsers enforce.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace weft::http {

/// One header field line, `name: value`. Views into storage owned by someone else (a
/// `ResponseHead`, or the caller's strings when serializing a request).
///
///     weft::http::Field f{"Accept", "*/*"};
struct Field {
    std::string_view name;
    std::string_view value;
};

/// ASCII case-insensitive equality, as field names and tokens are compared.
///
///     weft::http::iequals("Content-Length", "content-length")   // true
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// Resource limits for parsing one response. Exceeding one is an error, never a truncation.
///
///     weft::http::Limits limits;
///     limits.max_body_size = 10 << 20;   // refuse bodies over 10 MiB
///     weft::http::ResponseParser parser({.limits = limits});
struct Limits {
    /// Bytes of one response head: status line, header lines and the empty line, line endings
    /// included. Applies to each interim (1xx) head separately.
    std::size_t max_head_size = 64 * 1024;
    /// Header field lines in one head.
    std::size_t max_headers = 100;
    /// Decoded body bytes. A Content-Length above it fails at the head (`body_too_large`).
    std::uint64_t max_body_size = std::numeric_limits<std::uint64_t>::max();
    /// Bytes of one chunk-size line, extensions included, CRLF excluded.
    std::size_t max_chunk_line = 4096;
    /// Bytes of the chunked trailer section, line endings included.
    std::size_t max_trailer_size = 16 * 1024;
};

}  // namespace weft::http
