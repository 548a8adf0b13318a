#pragma once

// A strict little JSON reader for the weft-fetch tests: checks that a JSON Lines record is
// valid JSON (RFC 8259, strings must be valid UTF-8) and gives back its top-level fields.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft_fetch_test {

/// One top-level value of a flat JSON object: a decoded string, a number's text, or a literal.
struct JsonValue {
    enum class Type { string, number, null, boolean } type;
    std::string text;  ///< decoded string, number as written, "null", "true" or "false"
};

/// Parses a flat JSON object (values are scalars); nullopt if the text is not valid JSON of
/// that shape. `order` receives the keys in the order they appear.
class FlatJson {
public:
    static std::optional<std::map<std::string, JsonValue>> parse(std::string_view text,
                                                                 std::vector<std::string>* order = nullptr) {
        FlatJson p(text);
        std::map<std::string, JsonValue> out;
        p.ws();
        if (!p.eat('{')) return std::nullopt;
        p.ws();
        if (!p.eat('}')) {
            for (;;) {
                p.ws();
                auto key = p.string();
                if (!key) return std::nullopt;
                p.ws();
                if (!p.eat(':')) return std::nullopt;
                p.ws();
                auto value = p.scalar();
                if (!value || out.contains(*key)) return std::nullopt;
                if (order) order->push_back(*key);
                out.emplace(*key, std::move(*value));
                p.ws();
                if (p.eat('}')) break;
                if (!p.eat(',')) return std::nullopt;
            }
        }
        p.ws();
        if (p.pos_ != p.s_.size()) return std::nullopt;
        return out;
    }

private:
    explicit FlatJson(std::string_view s) : s_(s) {}

    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    std::optional<std::uint32_t> hex4() {
        if (pos_ + 4 > s_.size()) return std::nullopt;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                return std::nullopt;
        }
        return v;
    }
    // Validates one raw UTF-8 sequence (same rules as RFC 3629) and copies it.
    bool raw_utf8(std::string& out) {
        auto b = [&](std::size_t i) { return static_cast<unsigned char>(s_[pos_ + i]); };
        unsigned char b0 = b(0);
        std::size_t n = b0 < 0x80                    ? 1
                        : (b0 >= 0xC2 && b0 <= 0xDF) ? 2
                        : (b0 >= 0xE0 && b0 <= 0xEF) ? 3
                        : (b0 >= 0xF0 && b0 <= 0xF4) ? 4
                                                     : 0;
        if (n == 0 || pos_ + n > s_.size()) return false;
        for (std::size_t i = 1; i < n; ++i)
            if ((b(i) & 0xC0) != 0x80) return false;
        if ((b0 == 0xE0 && b(1) < 0xA0) || (b0 == 0xED && b(1) >= 0xA0) || (b0 == 0xF0 && b(1) < 0x90) ||
            (b0 == 0xF4 && b(1) >= 0x90))
            return false;
        out.append(s_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    std::optional<std::string> string() {
        if (!eat('"')) return std::nullopt;
        std::string out;
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
            if (c != '\\') {
                if (!raw_utf8(out)) return std::nullopt;
                continue;
            }
            ++pos_;
            if (pos_ >= s_.size()) return std::nullopt;
            char e = s_[pos_++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    auto cp = hex4();
                    if (!cp || (*cp >= 0xD800 && *cp <= 0xDFFF)) return std::nullopt;  // no surrogates here
                    put_utf8(out, *cp);
                    break;
                }
                default:
                    return std::nullopt;
            }
        }
        return std::nullopt;
    }
    std::optional<JsonValue> scalar() {
        if (pos_ < s_.size() && s_[pos_] == '"') {
            auto s = string();
            if (!s) return std::nullopt;
            return JsonValue{JsonValue::Type::string, std::move(*s)};
        }
        for (std::string_view lit : {"null", "true", "false"}) {
            if (s_.substr(pos_).starts_with(lit)) {
                pos_ += lit.size();
                return JsonValue{lit == "null" ? JsonValue::Type::null : JsonValue::Type::boolean,
                                 std::string(lit)};
            }
        }
        // number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        std::size_t start = pos_;
        eat('-');
        auto digits = [&] {
            std::size_t from = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            return pos_ - from;
        };
        if (pos_ < s_.size() && s_[pos_] == '0') {
            ++pos_;
        } else if (digits() == 0) {
            return std::nullopt;
        }
        if (eat('.') && digits() == 0) return std::nullopt;
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (digits() == 0) return std::nullopt;
        }
        return JsonValue{JsonValue::Type::number, std::string(s_.substr(start, pos_ - start))};
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace weft_fetch_test
