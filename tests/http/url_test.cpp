#include <gtest/gtest.h>

#include <string>
#include <vector>
#include <weft/http/url.hpp>

namespace {

using weft::http::Errc;
using weft::http::Url;

struct Good {
    const char* input;
    Url::Scheme scheme;
    const char* host;
    bool ipv6;
    std::uint16_t port;
    const char* path;
    const char* query;
    bool has_query;
    const char* target;
    const char* authority;
    const char* normalized;
};

constexpr auto http = Url::Scheme::http;
constexpr auto https = Url::Scheme::https;

// clang-format off
const std::vector<Good> kGood = {
    {"http://example.com", http, "example.com", false, 80, "/", "", false, "/", "example.com", "http://example.com/"},
    {"http://example.com/", http, "example.com", false, 80, "/", "", false, "/", "example.com", "http://example.com/"},
    {"https://example.com/a/b", https, "example.com", false, 443, "/a/b", "", false, "/a/b", "example.com", "https://example.com/a/b"},
    {"HTTP://EXAMPLE.Com/Path", http, "example.com", false, 80, "/Path", "", false, "/Path", "example.com", "http://example.com/Path"},
    {"HtTpS://x.y", https, "x.y", false, 443, "/", "", false, "/", "x.y", "https://x.y/"},
    {"http://example.com:8080/x", http, "example.com", false, 8080, "/x", "", false, "/x", "example.com:8080", "http://example.com:8080/x"},
    {"http://example.com:80/x", http, "example.com", false, 80, "/x", "", false, "/x", "example.com", "http://example.com/x"},
    {"https://example.com:80/", https, "example.com", false, 80, "/", "", false, "/", "example.com:80", "https://example.com:80/"},
    {"http://example.com:443/", http, "example.com", false, 443, "/", "", false, "/", "example.com:443", "http://example.com:443/"},
    {"http://example.com:/", http, "example.com", false, 80, "/", "", false, "/", "example.com", "http://example.com/"},
    {"http://example.com:00080/", http, "example.com", false, 80, "/", "", false, "/", "example.com", "http://example.com/"},
    {"http://h:65535", http, "h", false, 65535, "/", "", false, "/", "h:65535", "http://h:65535/"},
    {"http://h:1", http, "h", false, 1, "/", "", false, "/", "h:1", "http://h:1/"},
    {"http://example.com/s?q=1&r=2", http, "example.com", false, 80, "/s", "q=1&r=2", true, "/s?q=1&r=2", "example.com", "http://example.com/s?q=1&r=2"},
    {"http://example.com?q", http, "example.com", false, 80, "/", "q", true, "/?q", "example.com", "http://example.com/?q"},
    {"http://example.com/?", http, "example.com", false, 80, "/", "", true, "/?", "example.com", "http://example.com/?"},
    {"http://example.com/a?b?c/d", http, "example.com", false, 80, "/a", "b?c/d", true, "/a?b?c/d", "example.com", "http://example.com/a?b?c/d"},
    {"http://example.com/a#frag", http, "example.com", false, 80, "/a", "", false, "/a", "example.com", "http://example.com/a"},
    {"http://example.com/a?q#frag?x", http, "example.com", false, 80, "/a", "q", true, "/a?q", "example.com", "http://example.com/a?q"},
    {"http://example.com#frag", http, "example.com", false, 80, "/", "", false, "/", "example.com", "http://example.com/"},
    {"http://example.com:81#f", http, "example.com", false, 81, "/", "", false, "/", "example.com:81", "http://example.com:81/"},
    {"http://example.com/%7Euser/a%20b", http, "example.com", false, 80, "/%7Euser/a%20b", "", false, "/%7Euser/a%20b", "example.com", "http://example.com/%7Euser/a%20b"},
    {"http://example.com/a/../b/./c", http, "example.com", false, 80, "/a/../b/./c", "", false, "/a/../b/./c", "example.com", "http://example.com/a/../b/./c"},
    {"http://example.com/caf\xc3\xa9?q=\xc3\xa9", http, "example.com", false, 80, "/caf%C3%A9", "q=%C3%A9", true, "/caf%C3%A9?q=%C3%A9", "example.com", "http://example.com/caf%C3%A9?q=%C3%A9"},
    {"http://example.com./", http, "example.com.", false, 80, "/", "", false, "/", "example.com.", "http://example.com./"},
    {"http://my_host-1.internal/", http, "my_host-1.internal", false, 80, "/", "", false, "/", "my_host-1.internal", "http://my_host-1.internal/"},
    {"http://localhost:3000/api", http, "localhost", false, 3000, "/api", "", false, "/api", "localhost:3000", "http://localhost:3000/api"},
    {"http://127.0.0.1:8080/", http, "127.0.0.1", false, 8080, "/", "", false, "/", "127.0.0.1:8080", "http://127.0.0.1:8080/"},
    {"http://0.0.0.0/", http, "0.0.0.0", false, 80, "/", "", false, "/", "0.0.0.0", "http://0.0.0.0/"},
    {"http://255.255.255.255/", http, "255.255.255.255", false, 80, "/", "", false, "/", "255.255.255.255", "http://255.255.255.255/"},
    {"http://1.example/", http, "1.example", false, 80, "/", "", false, "/", "1.example", "http://1.example/"},
    {"http://[::1]/", http, "::1", true, 80, "/", "", false, "/", "[::1]", "http://[::1]/"},
    {"http://[::1]:8080/x?y", http, "::1", true, 8080, "/x", "y", true, "/x?y", "[::1]:8080", "http://[::1]:8080/x?y"},
    {"https://[2001:DB8::A]", https, "2001:db8::a", true, 443, "/", "", false, "/", "[2001:db8::a]", "https://[2001:db8::a]/"},
    {"http://[::ffff:192.0.2.1]:81", http, "::ffff:192.0.2.1", true, 81, "/", "", false, "/", "[::ffff:192.0.2.1]:81", "http://[::ffff:192.0.2.1]:81/"},
    {"http://[::1]:/", http, "::1", true, 80, "/", "", false, "/", "[::1]", "http://[::1]/"},
    {"http://x/a:b@c", http, "x", false, 80, "/a:b@c", "", false, "/a:b@c", "x", "http://x/a:b@c"},
};

struct Bad {
    const char* input;
    Errc error;
};

const std::vector<Bad> kBad = {
    {"", Errc::invalid_url},
    {"example.com", Errc::invalid_url},
    {"example.com:80", Errc::unsupported_scheme},   // "example.com" is a well-formed scheme
    {"//example.com/", Errc::invalid_url},
    {"/path", Errc::invalid_url},
    {":foo", Errc::invalid_url},
    {"1http://x/", Errc::invalid_url},
    {"ht tp://x/", Errc::invalid_url},
    {"ftp://example.com/", Errc::unsupported_scheme},
    {"file:///etc/passwd", Errc::unsupported_scheme},
    {"ws://example.com/", Errc::unsupported_scheme},
    {"httpx://example.com/", Errc::unsupported_scheme},
    {"mailto:me@example.com", Errc::unsupported_scheme},
    {"http:example.com", Errc::invalid_url},
    {"http:/example.com", Errc::invalid_url},
    {"http://", Errc::invalid_url},
    {"http:///path", Errc::invalid_url},
    {"http://:80/", Errc::invalid_url},
    {"http://?q", Errc::invalid_url},
    {"http://user@example.com/", Errc::invalid_url},
    {"http://user:pass@example.com/", Errc::invalid_url},
    {"http://trusted.example@evil.example/", Errc::invalid_url},
    {"http://@example.com/", Errc::invalid_url},
    {"http://example.com:0/", Errc::invalid_url},
    {"http://example.com:65536/", Errc::invalid_url},
    {"http://example.com:99999999999999999999/", Errc::invalid_url},
    {"http://example.com:-1/", Errc::invalid_url},
    {"http://example.com:+80/", Errc::invalid_url},
    {"http://example.com:8o/", Errc::invalid_url},
    {"http://example.com:80:80/", Errc::invalid_url},
    {"http://example.com:0x50/", Errc::invalid_url},
    {"http://exa mple.com/", Errc::invalid_url},
    {" http://example.com/", Errc::invalid_url},
    {"http://example.com/ ", Errc::invalid_url},
    {"http://example.com/a b", Errc::invalid_url},
    {"http://example.com/a\tb", Errc::invalid_url},
    {"http://example.com/a\r\nHost: evil", Errc::invalid_url},
    {"http://example.com/\x7f", Errc::invalid_url},
    {"http://example.com/#a b", Errc::invalid_url},
    {"http://exa%6dple.com/", Errc::invalid_url},
    {"http://ex!ample.com/", Errc::invalid_url},
    {"http://caf\xc3\xa9.example/", Errc::invalid_url},
    {"http://.example.com/", Errc::invalid_url},
    {"http://example..com/", Errc::invalid_url},
    {"http://./", Errc::invalid_url},
    {"http://example.com../", Errc::invalid_url},
    {"http://a.1/", Errc::invalid_url},
    {"http://127.1/", Errc::invalid_url},
    {"http://1.2.3.256/", Errc::invalid_url},
    {"http://010.0.0.1/", Errc::invalid_url},
    {"http://1.2.3.4.5/", Errc::invalid_url},
    {"http://4294967295/", Errc::invalid_url},
    {"http://0x7f.0.0.1/", Errc::invalid_url},
    {"http://[::1/", Errc::invalid_url},
    {"http://::1/", Errc::invalid_url},
    {"http://[]/", Errc::invalid_url},
    {"http://[::1]x/", Errc::invalid_url},
    {"http://[::1]:0/", Errc::invalid_url},
    {"http://[1:2:3:4:5:6:7:8:9]/", Errc::invalid_url},
    {"http://[::g]/", Errc::invalid_url},
    {"http://[fe80::1%25eth0]/", Errc::invalid_url},
    {"http://[v1.x]/", Errc::invalid_url},
    {"http://[127.0.0.1]/", Errc::invalid_url},
    {"http://a]/", Errc::invalid_url},
};
// clang-format on

TEST(UrlParse, GoodTable) {
    for (const Good& g : kGood) {
        SCOPED_TRACE(g.input);
        auto url = Url::parse(g.input);
        ASSERT_TRUE(url) << url.error().message();
        EXPECT_EQ(url->scheme(), g.scheme);
        EXPECT_EQ(url->scheme_name(), g.scheme == https ? "https" : "http");
        EXPECT_EQ(url->is_https(), g.scheme == https);
        EXPECT_EQ(url->host(), g.host);
        EXPECT_EQ(url->is_ipv6(), g.ipv6);
        EXPECT_EQ(url->port(), g.port);
        EXPECT_EQ(url->path(), g.path);
        EXPECT_EQ(url->query(), g.query);
        EXPECT_EQ(url->has_query(), g.has_query);
        EXPECT_EQ(url->target(), g.target);
        EXPECT_EQ(url->authority(), g.authority);
        EXPECT_EQ(url->to_string(), g.normalized);
        // The normalized form parses to the same URL.
        auto again = Url::parse(url->to_string());
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *url);
    }
}

TEST(UrlParse, BadTable) {
    for (const Bad& b : kBad) {
        SCOPED_TRACE(b.input);
        auto url = Url::parse(b.input);
        ASSERT_FALSE(url) << url->to_string();
        EXPECT_EQ(url.error(), b.error);
    }
}

TEST(UrlParse, EmbeddedNulIsRejected) {
    auto url = Url::parse(std::string_view("http://example.com/a\0b", 22));
    EXPECT_EQ(url.error(), Errc::invalid_url);
}

TEST(UrlParse, HostLengthLimits) {
    std::string label63(63, 'a');
    EXPECT_TRUE(Url::parse("http://" + label63 + ".com/"));
    EXPECT_EQ(Url::parse("http://" + label63 + "a.com/").error(), Errc::invalid_url);
    std::string name253;
    while (name253.size() < 240) name253 += label63.substr(0, 9) + ".";
    name253 += std::string(253 - name253.size(), 'b');
    ASSERT_EQ(name253.size(), 253u);
    EXPECT_TRUE(Url::parse("http://" + name253 + "/"));
    EXPECT_TRUE(Url::parse("http://" + name253 + "./"));  // trailing dot not counted
    EXPECT_EQ(Url::parse("http://" + name253 + "b/").error(), Errc::invalid_url);
}

TEST(UrlParse, EveryPrefixIsHandled) {
    // No prefix of a valid URL crashes; each either parses or fails with a weft.http error.
    std::string full = "https://User.Example.COM:8443/p/a/t/h?query=1&x=%20#frag";
    for (std::size_t n = 0; n <= full.size(); ++n) {
        auto url = Url::parse(std::string_view(full).substr(0, n));
        if (!url) {
            EXPECT_EQ(url.error().category(), weft::http::error_category());
        }
    }
}

TEST(UrlParse, DefaultPorts) {
    EXPECT_EQ(Url::default_port(http), 80);
    EXPECT_EQ(Url::default_port(https), 443);
    EXPECT_TRUE(Url::parse("https://x:443/")->has_default_port());
    EXPECT_FALSE(Url::parse("https://x:8443/")->has_default_port());
}

}  // namespace
