#include "json_lines.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "json_check.hpp"

namespace {

using weft::http::ErrorKind;
using weft_fetch::RequestRecord;
using weft_fetch::to_json_line;
using weft_fetch_test::FlatJson;
using weft_fetch_test::JsonValue;

std::string json_string(std::string_view s) {
    std::string out;
    weft_fetch::append_json_string(out, s);
    return out;
}

// The decoded value of a JSON string literal produced by append_json_string.
std::string round_trip(std::string_view s) {
    auto obj = FlatJson::parse("{\"k\":" + json_string(s) + "}");
    EXPECT_TRUE(obj.has_value()) << json_string(s);
    if (!obj) return {};
    return obj->at("k").text;
}

TEST(FetchJsonLines, SuccessfulRequestHasFixedFieldsInOrder) {
    RequestRecord rec{.url = "http://127.0.0.1:8080/a?b=1", .status = 200, .bytes = 512, .millis = 1.25};
    std::string line = to_json_line(rec);
    EXPECT_EQ(line,
              R"({"url":"http://127.0.0.1:8080/a?b=1","status":200,"bytes":512,"ms":1.250,"error":null,)"
              R"("message":null,"attempts":1})"
              "\n");
    ASSERT_EQ(line.find('\n'), line.size() - 1);  // exactly one line

    std::vector<std::string> order;
    auto obj = FlatJson::parse(line, &order);
    ASSERT_TRUE(obj);
    EXPECT_EQ(order,
              (std::vector<std::string>{"url", "status", "bytes", "ms", "error", "message", "attempts"}));
    EXPECT_EQ(obj->at("status").type, JsonValue::Type::number);
    EXPECT_EQ(obj->at("error").type, JsonValue::Type::null);
}

TEST(FetchJsonLines, FailedRequestWithoutResponse) {
    RequestRecord rec{.url = "http://10.255.255.1/",
                      .millis = 5000.0004,
                      .error = ErrorKind::connect_timeout,
                      .error_message = "connect timed out after 5 s",
                      .attempts = 3};
    auto obj = FlatJson::parse(to_json_line(rec));
    ASSERT_TRUE(obj);
    EXPECT_EQ(obj->at("status").type, JsonValue::Type::null);
    EXPECT_EQ(obj->at("bytes").text, "0");
    EXPECT_EQ(obj->at("ms").text, "5000.000");
    EXPECT_EQ(obj->at("error").type, JsonValue::Type::string);
    EXPECT_EQ(obj->at("error").text, "connect_timeout");
    EXPECT_EQ(obj->at("message").text, "connect timed out after 5 s");
    EXPECT_EQ(obj->at("attempts").text, "3");
}

TEST(FetchJsonLines, EveryErrorKindIsItsName) {
    for (int k = 1; k <= static_cast<int>(ErrorKind::invalid_request); ++k) {
        auto kind = static_cast<ErrorKind>(k);
        auto obj = FlatJson::parse(to_json_line({.url = "u", .error = kind}));
        ASSERT_TRUE(obj) << k;
        EXPECT_EQ(obj->at("error").text, weft::http::to_string(kind));
        EXPECT_EQ(obj->at("message").type, JsonValue::Type::null);
    }
}

TEST(FetchJsonLines, MillisecondsHaveThreeDecimalsAndNonFiniteIsNull) {
    auto ms = [](double v) {
        auto obj = FlatJson::parse(to_json_line({.url = "u", .status = 204, .millis = v}));
        EXPECT_TRUE(obj);
        return obj ? obj->at("ms").text : std::string{};
    };
    EXPECT_EQ(ms(0), "0.000");
    EXPECT_EQ(ms(0.0004), "0.000");
    EXPECT_EQ(ms(0.0016), "0.002");
    EXPECT_EQ(ms(123456.789), "123456.789");
    EXPECT_EQ(ms(-0.0), "0.000");
    EXPECT_EQ(ms(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(ms(std::numeric_limits<double>::infinity()), "null");
}

TEST(FetchJsonLines, EscapesQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(json_string(R"(a"b\c)"), R"("a\"b\\c")");
    EXPECT_EQ(json_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(json_string(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
    EXPECT_EQ(json_string("/ </script>"), R"("/ </script>")");  // nothing else is escaped
    EXPECT_EQ(json_string(""), R"("")");

    std::string all_ascii;
    for (int c = 0; c < 0x80; ++c) all_ascii += static_cast<char>(c);
    EXPECT_EQ(round_trip(all_ascii), all_ascii);
}

TEST(FetchJsonLines, ValidUtf8PassesThroughUnchanged) {
    for (std::string s : {"caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80", "\xEF\xBF\xBF",
                          "\xF4\x8F\xBF\xBF", "\xE2\x80\xA8"}) {
        EXPECT_EQ(json_string(s), "\"" + s + "\"");
        EXPECT_EQ(round_trip(s), s);
    }
}

TEST(FetchJsonLines, InvalidUtf8BecomesReplacementCharacters) {
    const std::string fffd = "\xEF\xBF\xBD";
    struct Case {
        std::string input, decoded;
    };
    const std::vector<Case> cases = {
        {"\x80", fffd},  // stray continuation byte
        {"a\xFF"
         "b",
         "a" + fffd + "b"},                               // never valid
        {"\xC0\xAF", fffd + fffd},                        // overlong '/'
        {"\xC3", fffd},                                   // truncated at the end
        {"\xC3(", fffd + "("},                            // truncated by an ASCII byte
        {"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong 3-byte
        {"\xED\xA0\x80", fffd + fffd + fffd},             // UTF-16 surrogate
        {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
        {"\xF5\x80", fffd + fffd},                        // lead byte that cannot start anything
        {"\xE2\x82", fffd + fffd},                        // truncated 3-byte sequence
        {"ok\xE2\x82\xAC\xE2", "ok\xE2\x82\xAC" + fffd},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(round_trip(c.input), c.decoded) << json_string(c.input);
    }
}

TEST(FetchJsonLines, HostileUrlAndMessageStillMakeOneValidLine) {
    std::string url = "http://h/\"},{\"x\":1\n\r\x01\xFF\\";
    std::string message = std::string("line1\nline2\x00tail", 16) + "\xC3";
    std::string line =
        to_json_line({.url = url, .status = 500, .error = ErrorKind::protocol, .error_message = message});
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    auto obj = FlatJson::parse(line);
    ASSERT_TRUE(obj) << line;
    EXPECT_EQ(obj->size(), 7u);
    EXPECT_EQ(obj->at("url").text, "http://h/\"},{\"x\":1\n\r\x01\xEF\xBF\xBD\\");
    EXPECT_EQ(obj->at("message").text, std::string("line1\nline2\x00tail", 16) + "\xEF\xBF\xBD");
    EXPECT_EQ(obj->at("status").text, "500");
}

TEST(FetchJsonLines, RandomBytesAlwaysMakeValidJson) {
    std::mt19937_64 rng(42);  // fixed seed: deterministic
    for (int i = 0; i < 20'000; ++i) {
        std::string bytes(rng() % 24, '\0');
        for (auto& b : bytes) {
            // Bias towards the interesting bytes: controls, quotes, backslash, UTF-8 leads.
            static constexpr unsigned char kSpecial[] = {0x00, 0x1F, '"',  '\\', 0x7F, 0x80, 0xBF,
                                                         0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF};
            b = static_cast<char>(rng() % 2 ? kSpecial[rng() % sizeof(kSpecial)] : rng() % 256);
        }
        std::string line = to_json_line({.url = bytes, .error = ErrorKind::io, .error_message = bytes});
        auto obj = FlatJson::parse(line);
        ASSERT_TRUE(obj) << line;
        // Nothing is dropped: each invalid byte becomes a 3-byte U+FFFD, valid text comes back as it was
        // (checked exactly in the tests above).
        const std::string& url = obj->at("url").text;
        if (!bytes.empty()) {  // an empty message is null
            EXPECT_EQ(url, obj->at("message").text);
        }
        EXPECT_GE(url.size(), bytes.size());
    }
}

// The checker itself must reject what it is there to catch.
TEST(FetchJsonLines, CheckerRejectsInvalidJson) {
    EXPECT_TRUE(FlatJson::parse(R"({"a":1,"b":"x","c":null})"));
    EXPECT_FALSE(FlatJson::parse(R"({"a":"x)"));
    EXPECT_FALSE(FlatJson::parse("{\"a\":\"\n\"}"));    // raw control character
    EXPECT_FALSE(FlatJson::parse("{\"a\":\"\xFF\"}"));  // invalid UTF-8
    EXPECT_FALSE(FlatJson::parse(R"({"a":01})"));
    EXPECT_FALSE(FlatJson::parse(R"({"a":1,"a":2})"));
    EXPECT_FALSE(FlatJson::parse(R"({"a":1} x)"));
}

}  // namespace
