#include "text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace weft_fetch::text {

std::string fixed(double value, int decimals) {
    if (!std::isfinite(value)) return "-";
    // The largest double has 309 integer digits in fixed notation.
    std::array<char, 400> buf{};
    int precision = decimals < 0 ? 0 : decimals > 17 ? 17 : decimals;
    auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, precision);
    if (ec != std::errc{}) return "-";
    std::string out(buf.data(), end);
    if (out.starts_with('-') && out.find_first_not_of("-0.") == std::string::npos)
        out.erase(0, 1);  // "-0.00"
    return out;
}

std::string pad_left(std::string_view s, std::size_t width) {
    std::string out;
    if (s.size() < width) out.assign(width - s.size(), ' ');
    out += s;
    return out;
}

std::string pad_right(std::string_view s, std::size_t width) {
    std::string out(s);
    if (out.size() < width) out.append(width - out.size(), ' ');
    return out;
}

std::string bytes(double n) {
    if (!std::isfinite(n) || n < 0) return "-";
    if (n < 1024) return fixed(std::floor(n), 0) + " B";
    constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::size_t unit = 0;
    n /= 1024;
    while (n >= 1024 && unit + 1 < kUnits.size()) {
        n /= 1024;
        ++unit;
    }
    return fixed(n, 2) + " " + kUnits[unit];
}

std::string eta(double seconds) {
    if (std::isnan(seconds) || seconds < 0) return "-";
    if (seconds > 99.0 * 3600) return ">99h";
    auto s = static_cast<std::uint64_t>(std::ceil(seconds));
    std::array<char, 32> buf{};
    if (s < 60) {
        std::snprintf(buf.data(), buf.size(), "%us", static_cast<unsigned>(s));
    } else if (s < 3600) {
        std::snprintf(buf.data(), buf.size(), "%um%02us", static_cast<unsigned>(s / 60),
                      static_cast<unsigned>(s % 60));
    } else {
        std::snprintf(buf.data(), buf.size(), "%uh%02um", static_cast<unsigned>(s / 3600),
                      static_cast<unsigned>(s % 3600 / 60));
    }
    return buf.data();
}

std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace weft_fetch::text
