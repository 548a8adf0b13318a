#pragma once

// Character classes of RFC 9110 / RFC 9112, as constexpr lookups. Internal to weft::http.

#include <array>
#include <cstdint>
#include <string_view>

namespace weft::http::detail {

/// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
/// / DIGIT / ALPHA (RFC 9110 §5.6.2).
inline constexpr std::array<bool, 256> kTchar = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] = true;
    return t;
}();

inline constexpr bool is_tchar(char c) noexcept { return kTchar[static_cast<unsigned char>(c)]; }

/// A character allowed inside a field value: VCHAR / obs-text / SP / HTAB (RFC 9110 §5.5).
inline constexpr bool is_field_char(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    return u == ' ' || u == '\t' || (u >= 0x21 && u != 0x7f);
}

inline constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

inline constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Value of a hex digit, or -1.
inline constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

/// `s` without leading and trailing SP / HTAB.
inline constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// Calls `f(element)` for each non-empty, OWS-trimmed element of a comma-separated list
/// (RFC 9110 §5.6.1: empty elements are ignored). Stops early when `f` returns false.
template <class F>
constexpr bool for_each_list_element(std::string_view list, F&& f) {
    while (true) {
        auto comma = list.find(',');
        auto elem = trim_ows(list.substr(0, comma));
        if (!elem.empty() && !f(elem)) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace weft::http::detail
