#pragma once

// Serializing an HTTP/1.1 request head (and body) into bytes to write to a connection.
//
// Everything that reaches the wire is validated first, so that no caller-supplied string can
// inject a header or a second request: the method must be a token, the target and Host must
// have no spaces or control characters, header names must be tokens and header values may not
// contain CR, LF, NUL or other control characters (HTAB allowed). The serializer owns the
// framing: Host, Content-Length and Transfer-Encoding may not appear among the extra headers.
// On error nothing is appended to the output.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <weft/error.hpp>
#include <weft/http/error.hpp>
#include <weft/http/field.hpp>
#include <weft/http/url.hpp>

namespace weft::http {

/// A request to serialize, described by views (they must outlive the `serialize_request` call).
///
///     std::string target = url.target(), host = url.authority();
///     weft::http::Field extra[] = {{"User-Agent", "weft-fetch/0.1"}, {"Accept", "*/*"}};
///     weft::http::RequestView req{.method = "POST", .target = target, .host = host,
///                                 .headers = extra, .body = R"({"a":1})"};
///     std::string wire = weft::http::serialize_request(req).value();
struct RequestView {
    std::string_view method = "GET";
    /// Request target as sent on the request line: origin-form ("/path?q") normally.
    std::string_view target = "/";
    /// Host header value (`Url::authority()`); required and non-empty.
    std::string_view host{};
    /// Extra header fields, in order.
    std::span<const Field> headers = {};
    /// The body. When set (even to an empty string) `Content-Length` is sent; when nullopt,
    /// neither Content-Length nor a body.
    std::optional<std::string_view> body{};
};

/// Appends the serialized request to `out`: request line, Host, extra headers,
/// Content-Length if there is a body, empty line, body. `out` is untouched on error.
Result<void> serialize_request(const RequestView& request, std::string& out);

/// As above, returning a new string.
Result<std::string> serialize_request(const RequestView& request);

/// Convenience: target and Host from `url`.
///
///     auto url = weft::http::Url::parse("http://example.com/x").value();
///     auto wire = weft::http::serialize_request("GET", url);
///     // "GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n"
Result<std::string> serialize_request(std::string_view method, const Url& url,
                                      std::span<const Field> headers = {},
                                      std::optional<std::string_view> body = std::nullopt);

}  // namespace weft::http
