#pragma once

// The outcome of one request, as weft-fetch reports it (the JSON line, the summary).

#include <cstdint>
#include <string>
#include <weft/http/error_kind.hpp>

namespace weft_fetch {

/// What happened to one request: the response's status and body size, how long it took, or
/// why it failed. Any HTTP status counts as a response (404 is not a failure here: the summary
/// splits responses by status class); a failure is a request that ended with an error kind.
///
///     weft_fetch::RequestRecord r{.url = "http://127.0.0.1:8080/", .status = 200, .bytes = 512,
///                                 .millis = 1.25};
///     r.ok();   // true
///     r.error = weft::http::ErrorKind::timeout;
///     r.ok();   // false
struct RequestRecord {
    std::string url{};
    int status = 0;           ///< HTTP status of the final response; 0 = no response
    std::uint64_t bytes = 0;  ///< body bytes received
    double millis = 0;        ///< wall time of the request, all attempts included
    weft::http::ErrorKind error = weft::http::ErrorKind::none;
    std::string error_message{};  ///< human-readable detail for `error` (empty when none)
    unsigned attempts = 1;        ///< 1 + retries made

    /// True when the request got a response and no error (whatever the status).
    bool ok() const noexcept { return error == weft::http::ErrorKind::none; }
};

}  // namespace weft_fetch
