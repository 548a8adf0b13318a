#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <weft/http/request.hpp>
#include <weft/http/response_parser.hpp>

namespace {

using weft::http::Errc;
using weft::http::Field;
using weft::http::RequestView;
using weft::http::serialize_request;
using weft::http::Url;

TEST(HttpRequest, MinimalGet) {
    auto wire = serialize_request(RequestView{.host = "example.com"});
    ASSERT_TRUE(wire);
    EXPECT_EQ(*wire, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(HttpRequest, HeadersInOrderAndBodyWithContentLength) {
    Field headers[] = {{"User-Agent", "weft-fetch/0.1"}, {"Accept", "*/*"}, {"X-Tab", "a\tb"}};
    auto wire = serialize_request(RequestView{.method = "POST",
                                              .target = "/submit?x=1",
                                              .host = "example.com:8080",
                                              .headers = headers,
                                              .body = "{\"a\":1}"});
    ASSERT_TRUE(wire);
    EXPECT_EQ(*wire,
              "POST /submit?x=1 HTTP/1.1\r\n"
              "Host: example.com:8080\r\n"
              "User-Agent: weft-fetch/0.1\r\n"
              "Accept: */*\r\n"
              "X-Tab: a\tb\r\n"
              "Content-Length: 7\r\n"
              "\r\n"
              "{\"a\":1}");
}

TEST(HttpRequest, EmptyBodyStillSendsContentLength) {
    auto wire = serialize_request(RequestView{.method = "PUT", .host = "h", .body = ""});
    ASSERT_TRUE(wire);
    EXPECT_EQ(*wire, "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpRequest, BinaryBodyIsCopiedVerbatim) {
    std::string body("\0\r\n\xff", 4);
    auto wire = serialize_request(RequestView{.method = "POST", .host = "h", .body = body});
    ASSERT_TRUE(wire);
    EXPECT_TRUE(wire->ends_with("Content-Length: 4\r\n\r\n" + body));
}

TEST(HttpRequest, FromUrl) {
    auto url = Url::parse("http://[::1]:8080/a/b?c=d#frag").value();
    Field headers[] = {{"Accept", "*/*"}};
    auto wire = serialize_request("HEAD", url, headers);
    ASSERT_TRUE(wire);
    EXPECT_EQ(*wire, "HEAD /a/b?c=d HTTP/1.1\r\nHost: [::1]:8080\r\nAccept: */*\r\n\r\n");

    auto https = Url::parse("https://Example.com:443").value();
    EXPECT_EQ(serialize_request("GET", https).value(), "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(HttpRequest, AppendsToExistingOutput) {
    std::string out = "previous";
    ASSERT_TRUE(serialize_request(RequestView{.host = "h"}, out));
    EXPECT_EQ(out, "previousGET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

struct BadRequest {
    const char* what;
    RequestView request;
    Errc error;
};

TEST(HttpRequest, RefusesInjection) {
    static const Field crlf_value[] = {{"X-A", "ok\r\nX-Injected: 1"}};
    static const Field lf_value[] = {{"X-A", "ok\nX-Injected: 1"}};
    static const Field cr_value[] = {{"X-A", "ok\rX"}};
    static const Field nul_value[] = {{"X-A", std::string_view("a\0b", 3)}};
    static const Field del_value[] = {{"X-A", "a\x7f"}};
    static const Field space_name[] = {{"X A", "v"}};
    static const Field colon_name[] = {{"X:A", "v"}};
    static const Field crlf_name[] = {{"X\r\nA", "v"}};
    static const Field empty_name[] = {{"", "v"}};
    static const Field host_field[] = {{"host", "evil"}};
    static const Field cl_field[] = {{"Content-Length", "5"}};
    static const Field te_field[] = {{"Transfer-Encoding", "chunked"}};
    const std::vector<BadRequest> bad = {
        {"method with space", {.method = "GET /x", .host = "h"}, Errc::invalid_method},
        {"method with CRLF", {.method = "GET\r\n", .host = "h"}, Errc::invalid_method},
        {"empty method", {.method = "", .host = "h"}, Errc::invalid_method},
        {"target with space", {.target = "/a b", .host = "h"}, Errc::invalid_target},
        {"target with CRLF", {.target = "/\r\nX: y", .host = "h"}, Errc::invalid_target},
        {"empty target", {.target = "", .host = "h"}, Errc::invalid_target},
        {"host with CRLF", {.host = "h\r\nX: y"}, Errc::invalid_request_header},
        {"host with space", {.host = "h x"}, Errc::invalid_request_header},
        {"empty host", {.host = ""}, Errc::invalid_request_header},
        {"CRLF in value", {.host = "h", .headers = crlf_value}, Errc::invalid_request_header},
        {"LF in value", {.host = "h", .headers = lf_value}, Errc::invalid_request_header},
        {"CR in value", {.host = "h", .headers = cr_value}, Errc::invalid_request_header},
        {"NUL in value", {.host = "h", .headers = nul_value}, Errc::invalid_request_header},
        {"DEL in value", {.host = "h", .headers = del_value}, Errc::invalid_request_header},
        {"space in name", {.host = "h", .headers = space_name}, Errc::invalid_request_header},
        {"colon in name", {.host = "h", .headers = colon_name}, Errc::invalid_request_header},
        {"CRLF in name", {.host = "h", .headers = crlf_name}, Errc::invalid_request_header},
        {"empty name", {.host = "h", .headers = empty_name}, Errc::invalid_request_header},
        {"Host among headers", {.host = "h", .headers = host_field}, Errc::invalid_request_header},
        {"Content-Length among headers", {.host = "h", .headers = cl_field}, Errc::invalid_request_header},
        {"Transfer-Encoding among headers", {.host = "h", .headers = te_field}, Errc::invalid_request_header},
    };
    for (const BadRequest& b : bad) {
        SCOPED_TRACE(b.what);
        std::string out = "untouched";
        auto r = serialize_request(b.request, out);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), b.error);
        EXPECT_EQ(out, "untouched");
    }
}

TEST(HttpRequest, ObsTextValuesAreAllowed) {
    Field headers[] = {{"X-Name", "caf\xc3\xa9"}};
    EXPECT_TRUE(serialize_request(RequestView{.host = "h", .headers = headers}));
}

}  // namespace
