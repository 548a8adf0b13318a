#include "json_lines.hpp"

#include <cmath>

#include "text.hpp"

namespace weft_fetch {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
    unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!continuation(1) || !continuation(2)) return 0;
        if (b0 == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
        if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // UTF-16 surrogate
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
        if (b0 == 0xF0 && byte(1) < 0x90) return 0;   // overlong
        if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;  // 0x80..0xC1 (stray continuation, overlong lead) and 0xF5..0xFF
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_sequence_length(s.substr(i));
            if (n == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD for each byte that starts no valid sequence
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

std::string to_json_line(const RequestRecord& rec) {
    std::string out;
    out.reserve(96 + rec.url.size() + rec.error_message.size());
    out += "{\"url\":";
    append_json_string(out, rec.url);
    out += ",\"status\":";
    out += rec.status == 0 ? "null" : std::to_string(rec.status);
    out += ",\"bytes\":";
    out += std::to_string(rec.bytes);
    out += ",\"ms\":";
    out += std::isfinite(rec.millis) ? text::fixed(rec.millis, 3) : "null";
    out += ",\"error\":";
    if (rec.ok()) {
        out += "null";
    } else {
        append_json_string(out, weft::http::to_string(rec.error));
    }
    out += ",\"message\":";
    if (rec.error_message.empty()) {
        out += "null";
    } else {
        append_json_string(out, rec.error_message);
    }
    out += ",\"attempts\":";
    out += std::to_string(rec.attempts);
    out += "}\n";
    return out;
}

}  // namespace weft_fetch
