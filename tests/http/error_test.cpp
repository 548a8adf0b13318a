#include <gtest/gtest.h>

#include <set>
#include <string>
#include <weft/http/error.hpp>

namespace {

using weft::http::Errc;

TEST(HttpError, CategoryAndMessages) {
    std::error_code ec = Errc::invalid_chunk;  // implicit, via is_error_code_enum
    EXPECT_STREQ(ec.category().name(), "weft.http");
    EXPECT_EQ(ec, Errc::invalid_chunk);
    EXPECT_NE(ec, weft::Errc::closed);  // not confused with weft's own codes of the same value
    EXPECT_EQ(ec.message(), "malformed chunked body");

    std::set<std::string> messages;
    for (int v = 1; v <= static_cast<int>(Errc::invalid_request_header); ++v) {
        std::string m = make_error_code(static_cast<Errc>(v)).message();
        EXPECT_NE(m, "unknown weft.http error") << v;
        messages.insert(m);
    }
    EXPECT_EQ(messages.size(), static_cast<std::size_t>(Errc::invalid_request_header));  // all distinct
    EXPECT_EQ(make_error_code(static_cast<Errc>(999)).message(), "unknown weft.http error");
}

TEST(HttpError, FailMakesAnUnexpected) {
    weft::Result<int> r = weft::http::fail(Errc::body_too_large);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::body_too_large);
}

}  // namespace
