#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <weft/http/url.hpp>

#include "http/chars.hpp"

namespace weft::http {
namespace {

using detail::is_digit;
using detail::to_lower;

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool valid_scheme_syntax(std::string_view s) noexcept {
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if (s.empty() || !is_alpha(s[0])) return false;
    for (char c : s)
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    return true;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = to_lower(c);
    return out;
}

// Four decimal parts 0..255 without leading zeros.
bool valid_dotted_quad(std::string_view s) noexcept {
    int parts = 0;
    while (true) {
        auto dot = s.find('.');
        auto part = s.substr(0, dot);
        if (part.empty() || part.size() > 3) return false;
        if (part.size() > 1 && part[0] == '0') return false;
        int v = 0;
        for (char c : part) {
            if (!is_digit(c)) return false;
            v = v * 10 + (c - '0');
        }
        if (v > 255) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return parts == 4;
}

// A registered name of LDH labels (plus '_'), or a dotted-quad IPv4 address.
bool valid_host_name(std::string_view host) noexcept {
    std::string_view h = host;
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);  // one trailing dot: fully qualified
    if (h.empty() || h.size() > 253) return false;
    std::string_view last_label;
    std::string_view rest = h;
    while (true) {
        auto dot = rest.find('.');
        auto label = rest.substr(0, dot);
        if (label.empty() || label.size() > 63) return false;
        for (char c : label)
            if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return false;
        last_label = label;
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    // No top-level domain is all digits: a name ending in a numeric label is meant as an IPv4
    // address and must then be a plain dotted quad (no "127.1", "010.0.0.1", "1.2.3.256"), which
    // a resolver would otherwise read in inet_aton's octal/short forms.
    for (char c : last_label)
        if (!is_digit(c)) return true;
    return valid_dotted_quad(h);
}

bool valid_ipv6(const std::string& literal) noexcept {
    if (literal.empty() || literal.size() > 45) return false;  // INET6_ADDRSTRLEN - 1
    for (char c : literal)
        if (!(is_digit(c) || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) return false;
    in6_addr addr;
    return inet_pton(AF_INET6, literal.c_str(), &addr) == 1;
}

// Appends `part` to `out`, percent-encoding bytes >= 0x80.
void append_encoded(std::string& out, std::string_view part) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char c : part) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        } else {
            out += c;
        }
    }
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return fail(Errc::invalid_url);
    }

    // scheme ":" "//"
    auto colon = text.find(':');
    if (colon == std::string_view::npos || !valid_scheme_syntax(text.substr(0, colon)))
        return fail(Errc::invalid_url);
    Url url;
    std::string scheme = lowercase(text.substr(0, colon));
    if (scheme == "http") {
        url.scheme_ = Scheme::http;
    } else if (scheme == "https") {
        url.scheme_ = Scheme::https;
    } else {
        return fail(Errc::unsupported_scheme);
    }
    text.remove_prefix(colon + 1);
    if (!text.starts_with("//")) return fail(Errc::invalid_url);
    text.remove_prefix(2);

    // authority, then path-abempty [ "?" query ] [ "#" fragment ]
    auto authority_end = text.find_first_of("/?#");
    std::string_view authority = text.substr(0, authority_end);
    std::string_view rest =
        authority_end == std::string_view::npos ? std::string_view{} : text.substr(authority_end);
    rest = rest.substr(0, rest.find('#'));

    if (authority.find('@') != std::string_view::npos) return fail(Errc::invalid_url);

    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return fail(Errc::invalid_url);
        url.host_ = lowercase(authority.substr(1, close - 1));
        if (!valid_ipv6(url.host_)) return fail(Errc::invalid_url);
        url.ipv6_ = true;
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail(Errc::invalid_url);
            has_port = true;
            port_text = after.substr(1);
        }
    } else {
        auto pc = authority.find(':');
        url.host_ = lowercase(authority.substr(0, pc));
        if (!valid_host_name(url.host_)) return fail(Errc::invalid_url);
        if (pc != std::string_view::npos) {
            has_port = true;
            port_text = authority.substr(pc + 1);
        }
    }

    url.port_ = default_port(url.scheme_);
    if (has_port && !port_text.empty()) {
        std::uint32_t port = 0;
        for (char c : port_text) {
            if (!is_digit(c)) return fail(Errc::invalid_url);
            port = port * 10 + static_cast<std::uint32_t>(c - '0');
            if (port > 65535) return fail(Errc::invalid_url);
        }
        if (port == 0) return fail(Errc::invalid_url);
        url.port_ = static_cast<std::uint16_t>(port);
    }

    auto q = rest.find('?');
    std::string_view path = rest.substr(0, q);
    if (path.empty()) {
        url.path_.push_back('/');  // not `= "/"`: GCC 12 warns falsely there (-Wrestrict, PR 105329)
    } else {
        append_encoded(url.path_, path);
    }
    if (q != std::string_view::npos) {
        url.has_query_ = true;
        append_encoded(url.query_, rest.substr(q + 1));
    }
    return url;
}

std::string Url::target() const {
    std::string out;
    out.reserve(path_.size() + (has_query_ ? 1 + query_.size() : 0));
    out += path_;
    if (has_query_) {
        out += '?';
        out += query_;
    }
    return out;
}

std::string Url::authority() const {
    std::string out;
    out.reserve(host_.size() + 8);
    if (ipv6_) out += '[';
    out += host_;
    if (ipv6_) out += ']';
    if (!has_default_port()) {
        out += ':';
        out += std::to_string(port_);
    }
    return out;
}

std::string Url::to_string() const {
    std::string out(scheme_name());
    out += "://";
    out += authority();
    out += target();
    return out;
}

}  // namespace weft::http
