#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>
#include <weft/http/body.hpp>
#include <weft/http/response_parser.hpp>

namespace {

using weft::http::BodyDecoder;
using weft::http::BodyKind;
using weft::http::ChunkedDecoder;
using weft::http::Errc;
using weft::http::Field;
using weft::http::Limits;
using weft::http::ResponseParser;

TEST(HttpResponseParser, ReportsBytesUsedSoTheRestIsBody) {
    ResponseParser p;
    std::string_view in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    auto used = p.feed(in);
    ASSERT_TRUE(used);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(in.substr(*used), "hello");
    EXPECT_EQ(p.feed("more").value(), 0u);  // once done, nothing more is taken
}

TEST(HttpResponseParser, IncompleteHeadUsesEverythingAndWantsMore) {
    ResponseParser p;
    EXPECT_FALSE(p.started());
    EXPECT_EQ(p.feed("HTTP/1.1 2").value(), 10u);
    EXPECT_TRUE(p.started());
    EXPECT_FALSE(p.done());
    EXPECT_EQ(p.feed("00 OK\r\n").value(), 7u);
    EXPECT_FALSE(p.done());
    EXPECT_EQ(p.finish().error(), Errc::unexpected_eof);
    EXPECT_EQ(p.feed("\r\n").value(), 2u);
    EXPECT_TRUE(p.done());
    EXPECT_TRUE(p.finish());
}

TEST(HttpResponseParser, EofBeforeAnyByteIsNotStarted) {
    ResponseParser p;
    EXPECT_EQ(p.feed("").value(), 0u);
    EXPECT_FALSE(p.started());  // an idle keep-alive connection closed by the server
    EXPECT_EQ(p.finish().error(), Errc::unexpected_eof);
}

TEST(HttpResponseParser, ErrorsAreSticky) {
    ResponseParser p;
    EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nBad Header\r\n").error(), Errc::malformed_header);
    EXPECT_EQ(p.feed("\r\n").error(), Errc::malformed_header);
    EXPECT_EQ(p.finish().error(), Errc::malformed_header);
    EXPECT_FALSE(p.done());
}

TEST(HttpResponseParser, RejectsNonHttpPeerAtFirstBytes) {
    ResponseParser p;
    EXPECT_EQ(p.feed("HT").value(), 2u);
    EXPECT_EQ(p.feed("X").error(), Errc::malformed_status_line);  // no need to wait for a newline
}

TEST(HttpResponseParser, HeadAccessors) {
    ResponseParser p;
    ASSERT_TRUE(
        p.feed("HTTP/1.0 404 Not Found\r\n"
               "Content-Type: text/html\r\n"
               "Set-Cookie: a=1\r\n"
               "set-cookie: b=2\r\n"
               "Connection: keep-alive\r\n"
               "Content-Length: 12\r\n\r\n"));
    ASSERT_TRUE(p.done());
    const auto& h = p.head();
    EXPECT_EQ(h.status(), 404);
    EXPECT_EQ(h.version_minor(), 0);
    EXPECT_EQ(h.reason(), "Not Found");
    EXPECT_EQ(h.find("CONTENT-TYPE"), "text/html");
    EXPECT_EQ(h.find("set-cookie"), "a=1");
    EXPECT_EQ(h.find("x-missing"), std::nullopt);
    EXPECT_EQ(h.count("Set-Cookie"), 2u);
    EXPECT_EQ(h.body_kind(), BodyKind::content_length);
    EXPECT_EQ(h.content_length(), 12u);
    EXPECT_TRUE(h.keep_alive());
    ASSERT_EQ(h.headers().size(), 5u);
    EXPECT_EQ(h.headers()[2].name, "set-cookie");
    EXPECT_EQ(h.headers()[2].value, "b=2");
    std::vector<std::string> names;
    for (Field f : h.headers()) names.emplace_back(f.name);
    EXPECT_EQ(names, (std::vector<std::string>{"Content-Type", "Set-Cookie", "set-cookie", "Connection",
                                               "Content-Length"}));
}

TEST(HttpResponseParser, TakenHeadOutlivesParserAndViewsSurviveMove) {
    weft::http::ResponseHead head;
    {
        ResponseParser p;
        ASSERT_TRUE(p.feed("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"));
        head = p.take_head();
    }
    weft::http::ResponseHead moved = std::move(head);
    EXPECT_EQ(moved.find("a"), "1");
    EXPECT_EQ(moved.reason(), "OK");
}

TEST(HttpResponseParser, ResetReusesForTheNextResponse) {
    ResponseParser p;
    std::string_view in =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\nX: y\r\n\r\n";
    auto used = p.feed(in).value();
    in.remove_prefix(used);
    auto body = BodyDecoder::for_response(p.head());
    auto step = body.decode(in).value();
    EXPECT_EQ(step.data, "hi");
    EXPECT_TRUE(body.done());
    in.remove_prefix(step.consumed);

    p.reset();
    EXPECT_FALSE(p.done());
    EXPECT_FALSE(p.started());
    EXPECT_EQ(p.feed(in).value(), in.size());
    ASSERT_TRUE(p.done());
    EXPECT_EQ(p.head().status(), 204);
    EXPECT_EQ(p.head().find("x"), "y");
    EXPECT_EQ(p.head().interim_responses(), 0u);

    p.reset({.head_request = true});
    EXPECT_TRUE(p.options().head_request);
    ASSERT_TRUE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"));
    EXPECT_EQ(p.head().body_kind(), BodyKind::none);
}

TEST(HttpResponseParser, ResetClearsStickyError) {
    ResponseParser p;
    EXPECT_FALSE(p.feed("nope\r\n"));
    p.reset();
    EXPECT_TRUE(p.feed("HTTP/1.1 200 OK\r\n\r\n"));
    EXPECT_TRUE(p.done());
}

TEST(HttpResponseParser, LargestContentLength) {
    ResponseParser p;
    ASSERT_TRUE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n"));
    EXPECT_EQ(p.head().content_length(), 9223372036854775807u);
}

TEST(HttpResponseParser, InterimHeadersAreNotKept) {
    ResponseParser p;
    ASSERT_TRUE(p.feed("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nB: 2\r\n\r\n"));
    ASSERT_TRUE(p.done());
    EXPECT_EQ(p.head().find("link"), std::nullopt);
    EXPECT_EQ(p.head().find("b"), "2");
    EXPECT_EQ(p.head().interim_responses(), 1u);
}

TEST(HttpResponseParser, HeadLimitAppliesToEachInterimHeadSeparately) {
    ResponseParser::Options o;
    o.limits.max_head_size = 40;
    ResponseParser p(o);
    std::string interim = "HTTP/1.1 100 Continue\r\nX: 0123456\r\n\r\n";  // 38 bytes
    ASSERT_LE(interim.size(), 40u);
    std::string in = interim + interim + interim + "HTTP/1.1 200 OK\r\n\r\n";
    ASSERT_TRUE(p.feed(in));
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.head().interim_responses(), 3u);
}

TEST(HttpResponseParser, ManyHeadersAreParsedInOnePass) {
    std::string in = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 100; ++i) in += "X-" + std::to_string(i) + ": " + std::string(200, 'v') + "\r\n";
    in += "\r\n";
    ResponseParser p;
    ASSERT_TRUE(p.feed(in));
    ASSERT_TRUE(p.done());
    EXPECT_EQ(p.head().headers().size(), 100u);
    EXPECT_EQ(p.head().find("x-99")->size(), 200u);
}

// ---- ChunkedDecoder directly ---------------------------------------------------------------

std::string decode_all(ChunkedDecoder& d, std::string_view in, std::size_t* used = nullptr) {
    std::string out;
    std::size_t total = 0;
    while (!in.empty() && !d.done()) {
        auto step = d.decode(in);
        if (!step) return std::string(1, '<').append(step.error().message()).append(1, '>');
        out += step->data;
        in.remove_prefix(step->consumed);
        total += step->consumed;
    }
    if (used) *used = total;
    return out;
}

TEST(HttpChunkedDecoder, DecodesAndStopsAtTheEnd) {
    ChunkedDecoder d;
    std::size_t used = 0;
    std::string_view in = "3\r\nabc\r\n0\r\n\r\nEXTRA";
    EXPECT_EQ(decode_all(d, in, &used), "abc");
    EXPECT_TRUE(d.done());
    EXPECT_EQ(in.substr(used), "EXTRA");
    EXPECT_EQ(d.body_size(), 3u);
    EXPECT_TRUE(d.finish());
    EXPECT_EQ(d.decode("more").value().consumed, 0u);
}

TEST(HttpChunkedDecoder, DataIsAViewIntoTheInput) {
    ChunkedDecoder d;
    std::string in = "5\r\nhello\r\n";
    auto step = d.decode(in).value();
    EXPECT_EQ(step.data, "hello");
    EXPECT_EQ(step.data.data(), in.data() + 3);  // zero-copy
    EXPECT_EQ(step.consumed, 8u);
}

TEST(HttpChunkedDecoder, LargeChunkArrivesInPieces) {
    ChunkedDecoder d;
    std::string payload(100000, 'z');
    std::string in = "186a0\r\n" + payload + "\r\n0\r\n\r\n";
    std::string out;
    for (std::size_t at = 0; at < in.size();) {
        std::string_view piece = std::string_view(in).substr(at, 4093);
        while (!piece.empty() && !d.done()) {
            auto step = d.decode(piece).value();
            out += step.data;
            piece.remove_prefix(step.consumed);
            at += step.consumed;
        }
        if (d.done()) break;
    }
    EXPECT_TRUE(d.done());
    EXPECT_EQ(out, payload);
}

TEST(HttpChunkedDecoder, EofInTheMiddleIsUnexpected) {
    ChunkedDecoder d;
    EXPECT_EQ(decode_all(d, "5\r\nhel"), "hel");
    EXPECT_EQ(d.finish().error(), Errc::unexpected_eof);
}

TEST(HttpChunkedDecoder, ChunkLineLimitCountsExtensionsNotCrlf) {
    Limits l;
    l.max_chunk_line = 4;
    ChunkedDecoder ok(l);
    EXPECT_EQ(decode_all(ok, "1;ab\r\nx\r\n0\r\n\r\n"), "x");
    EXPECT_TRUE(ok.done());
    ChunkedDecoder bad(l);
    EXPECT_EQ(decode_all(bad, "1;abc\r\nx\r\n0\r\n\r\n"), "<chunk-size line too long>");
}

TEST(HttpChunkedDecoder, BodyLimitIsCheckedAtTheChunkSize) {
    Limits l;
    l.max_body_size = 10;
    ChunkedDecoder d(l);
    EXPECT_EQ(decode_all(d, "a\r\n0123456789\r\n"), "0123456789");
    auto step = d.decode("1\r\n");
    EXPECT_EQ(step.error(), Errc::body_too_large);  // before any of its data arrives
    EXPECT_EQ(d.finish().error(), Errc::body_too_large);
}

TEST(HttpChunkedDecoder, ResetStartsOver) {
    ChunkedDecoder d;
    EXPECT_FALSE(d.decode("x"));
    d.reset();
    EXPECT_EQ(decode_all(d, "1\r\nq\r\n0\r\n\r\n"), "q");
    EXPECT_TRUE(d.done());
}

// ---- BodyDecoder ---------------------------------------------------------------------------

TEST(HttpBodyDecoder, NoneIsDoneAtOnce) {
    BodyDecoder d;
    EXPECT_EQ(d.kind(), BodyKind::none);
    EXPECT_TRUE(d.done());
    EXPECT_EQ(d.decode("abc").value().consumed, 0u);
    EXPECT_TRUE(d.finish());
}

TEST(HttpBodyDecoder, ContentLengthTakesExactlyItsBytes) {
    auto d = BodyDecoder::content_length(5);
    auto s1 = d.decode("he").value();
    EXPECT_EQ(s1.data, "he");
    EXPECT_FALSE(d.done());
    auto s2 = d.decode("lloNEXT").value();
    EXPECT_EQ(s2.data, "llo");
    EXPECT_EQ(s2.consumed, 3u);
    EXPECT_TRUE(d.done());
    EXPECT_EQ(d.body_size(), 5u);
    EXPECT_TRUE(d.finish());
}

TEST(HttpBodyDecoder, ContentLengthShortIsUnexpectedEof) {
    auto d = BodyDecoder::content_length(5);
    ASSERT_TRUE(d.decode("hel"));
    EXPECT_EQ(d.finish().error(), Errc::unexpected_eof);
    EXPECT_EQ(d.decode("lo").error(), Errc::unexpected_eof);  // sticky
}

TEST(HttpBodyDecoder, ContentLengthZeroIsDone) {
    auto d = BodyDecoder::content_length(0);
    EXPECT_TRUE(d.done());
    EXPECT_TRUE(d.finish());
}

TEST(HttpBodyDecoder, ContentLengthAboveLimitFails) {
    Limits l;
    l.max_body_size = 4;
    auto d = BodyDecoder::content_length(5, l);
    EXPECT_EQ(d.decode("hello").error(), Errc::body_too_large);
    EXPECT_EQ(d.finish().error(), Errc::body_too_large);
}

TEST(HttpBodyDecoder, UntilCloseEndsAtFinish) {
    Limits l;
    l.max_body_size = 6;
    auto d = BodyDecoder::until_close(l);
    EXPECT_EQ(d.decode("abc").value().data, "abc");
    EXPECT_EQ(d.decode("def").value().data, "def");
    EXPECT_FALSE(d.done());
    EXPECT_TRUE(d.finish());
    EXPECT_TRUE(d.done());
    EXPECT_EQ(d.body_size(), 6u);

    auto over = BodyDecoder::until_close(l);
    ASSERT_TRUE(over.decode("abcdef"));
    EXPECT_EQ(over.decode("g").error(), Errc::body_too_large);
}

TEST(HttpBodyDecoder, ChunkedThroughBodyDecoder) {
    auto d = BodyDecoder::chunked();
    std::string_view in = "2\r\nab\r\n0\r\n\r\n";
    std::string out;
    while (!in.empty() && !d.done()) {
        auto step = d.decode(in).value();
        out += step.data;
        in.remove_prefix(step.consumed);
    }
    EXPECT_EQ(out, "ab");
    EXPECT_TRUE(d.done());
    EXPECT_EQ(d.body_size(), 2u);
    auto bad = BodyDecoder::chunked();
    EXPECT_EQ(bad.decode("g\r\n").error(), Errc::invalid_chunk);
    EXPECT_EQ(bad.finish().error(), Errc::invalid_chunk);
}

}  // namespace
