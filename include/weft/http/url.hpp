#pragma once

// Absolute http:// and https:// URLs, parsed into what an HTTP/1.1 client needs: where to
// connect (host, port, TLS or not), the request target, and the Host header.
//
// Rules (a strict subset of RFC 3986, with the choices a client has to make written down):
// - scheme: `http` or `https`, case-insensitive; any other well-formed scheme is
//   `Errc::unsupported_scheme`. The scheme must be followed by `//` (an authority).
// - no byte in the input may be a control character, a space or DEL (0x00-0x20, 0x7F): such
//   a URL is `Errc::invalid_url` rather than being trimmed or re-encoded.
// - userinfo (`user:pass@host`) is REJECTED (`invalid_url`): weft sends no credentials from
//   URLs, and `http://trusted.example@evil.example/` is a classic phishing shape.
// - host: a registered name of ASCII letters, digits, `-`, `.` and `_` (lowercased; no empty
//   labels, labels up to 63 bytes, 253 bytes in all, one trailing dot allowed), or a
//   dotted-quad IPv4 address (four decimal parts 0..255 without leading zeros, so no octal or
//   hex surprises), or an IPv6 literal in brackets (`[::1]`; zone ids are not supported).
//   Non-ASCII host names (IDNA) are `invalid_url`: pass them in punycode.
// - port: decimal 1..65535; absent or empty (`http://h:/`) means the scheme's default (80, 443).
// - path: as given (no dot-segment removal); `/` when empty. Bytes >= 0x80 in the path and
//   query are percent-encoded; everything else printable is passed through unchanged.
// - query: the text after the first `?`, without it. The fragment (`#...`) is dropped.

#include <cstdint>
#include <string>
#include <string_view>
#include <weft/error.hpp>
#include <weft/http/error.hpp>

namespace weft::http {

/// A parsed absolute http(s) URL.
///
///     auto url = weft::http::Url::parse("https://Example.COM:8443/a/b?x=1#frag");
///     url->host();        // "example.com"
///     url->port();        // 8443
///     url->target();      // "/a/b?x=1"            (for the request line)
///     url->authority();   // "example.com:8443"    (for the Host header)
///
///     weft::http::Url::parse("http://[::1]/").value().authority();   // "[::1]"
class Url {
public:
    enum class Scheme : std::uint8_t { http, https };

    /// Parses an absolute URL; see the rules at the top of this header.
    static Result<Url> parse(std::string_view text);

    /// The scheme's default port: 80 for http, 443 for https.
    static constexpr std::uint16_t default_port(Scheme s) noexcept { return s == Scheme::https ? 443 : 80; }

    Scheme scheme() const noexcept { return scheme_; }
    /// "http" or "https".
    std::string_view scheme_name() const noexcept { return scheme_ == Scheme::https ? "https" : "http"; }
    bool is_https() const noexcept { return scheme_ == Scheme::https; }

    /// Lowercased host name or IP literal, without brackets for IPv6 ("::1").
    const std::string& host() const noexcept { return host_; }
    /// True when the host was an IPv6 literal (`[...]` in the URL).
    bool is_ipv6() const noexcept { return ipv6_; }
    /// The port to connect to (explicit or default).
    std::uint16_t port() const noexcept { return port_; }
    bool has_default_port() const noexcept { return port_ == default_port(scheme_); }

    /// Path, starting with '/'.
    const std::string& path() const noexcept { return path_; }
    /// Query without the '?'; empty both when absent and when empty (see `has_query`).
    const std::string& query() const noexcept { return query_; }
    /// True when the URL had a '?' (even with an empty query).
    bool has_query() const noexcept { return has_query_; }

    /// The origin-form request target: path, then '?' and the query if there was one.
    std::string target() const;
    /// The Host header value: host (bracketed for IPv6), then ":port" unless it is the default.
    std::string authority() const;
    /// The normalized URL: scheme://authority target (no fragment).
    std::string to_string() const;

    friend bool operator==(const Url&, const Url&) = default;

private:
    Url() = default;

    Scheme scheme_ = Scheme::http;
    bool ipv6_ = false;
    bool has_query_ = false;
    std::uint16_t port_ = 80;
    std::string host_;
    std::string path_;
    std::string query_;
};

}  // namespace weft::http
