#pragma once

// A strict, minimal HTTP/1.1 request-head parser for weft's demo server (RFC 9112 §2-§3, §6).
// Private to src/: the server parses what it needs (method, target, version, framing,
// connection handling) and refuses everything ambiguous, the same stance as the response parser.
//
//     weft::http::detail::RequestHead head;
//     std::size_t scanned = 0;                 // carried between calls on the same bytes
//     auto r = parse_request_head(buffer, scanned, 16 * 1024, head);
//     if (r.status == RequestStatus::complete) buffer.remove_prefix(r.head_size);
//
// Rules: request-line `token SP target SP HTTP/1.x CRLF`, target in origin form (or absolute
// form, reduced to its path); every line ends in CRLF (a bare LF or CR is malformed); fields are
// `token ":" OWS value OWS` with no obs-fold; empty lines before the request line are skipped
// (RFC 9112 §2.2). HTTP/1.1 needs exactly one Host. Framing: Content-Length (all values equal)
// or Transfer-Encoding exactly `chunked`, never both; another coding is `not_implemented`.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace weft::http::detail {

/// What a request head says, as views into the bytes it was parsed from.
struct RequestHead {
    std::string_view method;
    std::string_view target;  ///< origin form: starts with '/'
    int version_minor = 1;
    bool keep_alive = true;
    bool chunked = false;
    bool expect_continue = false;
    std::uint64_t content_length = 0;

    bool is_head() const noexcept { return method == "HEAD"; }
};

/// The outcome of `parse_request_head`; the error kinds map to the status the server answers.
enum class RequestStatus : std::uint8_t {
    complete,            ///< `head_size` bytes hold a full, valid head
    incomplete,          ///< need more bytes
    bad_request,         ///< 400: malformed
    too_large,           ///< 431: head over the limit, or too many fields
    not_implemented,     ///< 501: a transfer coding other than chunked
    version_unsupported  ///< 505: HTTP/2.0 and other non-1.x versions
};

struct RequestParse {
    RequestStatus status = RequestStatus::incomplete;
    std::size_t head_size = 0;  ///< with `complete`: bytes of the head, leading empty lines included
};

/// Most fields one request head may carry.
inline constexpr std::size_t kMaxRequestFields = 100;

/// Parses the request head at the start of `buf`. `scanned` remembers how far the search for
/// the end of the head got, so feeding a growing buffer rescans nothing; reset it to 0 for a
/// new request.
RequestParse parse_request_head(std::string_view buf, std::size_t& scanned, std::size_t max_head,
                                RequestHead& out) noexcept;

}  // namespace weft::http::detail
