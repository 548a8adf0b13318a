// Url::parse on arbitrary bytes. Invariants of an accepted URL: the pieces are well-formed,
// nothing unsafe for a request line or Host header survives, the normalized form re-parses to
// the same URL, and the request serializer accepts its target and authority.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <weft/http/request.hpp>
#include <weft/http/url.hpp>

#include "fuzz_check.hpp"

namespace {

bool wire_safe(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto url = weft::http::Url::parse(text);
    if (!url) {
        FUZZ_CHECK(url.error().category() == weft::http::error_category());
        FUZZ_CHECK(url.error() == weft::http::Errc::invalid_url ||
                   url.error() == weft::http::Errc::unsupported_scheme);
        return 0;
    }
    FUZZ_CHECK(!url->host().empty());
    for (char c : url->host()) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    FUZZ_CHECK(url->port() != 0);
    FUZZ_CHECK(!url->path().empty() && url->path().front() == '/');
    FUZZ_CHECK(url->has_query() || url->query().empty());
    const std::string target = url->target();
    const std::string authority = url->authority();
    FUZZ_CHECK(wire_safe(target));
    FUZZ_CHECK(wire_safe(authority));
    FUZZ_CHECK(target.find('#') == std::string::npos);
    FUZZ_CHECK(authority.find('@') == std::string::npos);
    FUZZ_CHECK(url->is_ipv6() == authority.starts_with("["));

    auto again = weft::http::Url::parse(url->to_string());
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *url);

    auto wire = weft::http::serialize_request("GET", *url);
    FUZZ_CHECK(wire.has_value());
    FUZZ_CHECK(*wire == "GET " + target + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
    return 0;
}
