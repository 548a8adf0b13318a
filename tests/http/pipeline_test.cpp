// The pieces used together, as the HTTP client will: serialize a request, then read responses
// off one keep-alive connection with a reused parser.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>
#include <weft/http/http.hpp>

namespace {

using namespace weft::http;

struct Response {
    int status = 0;
    std::string body;
    bool keep_alive = false;
};

// Reads responses from `wire` delivered in reads of `read_size` bytes, as a connection loop would.
weft::Result<std::vector<Response>> read_responses(std::string_view wire, std::size_t read_size,
                                                   std::vector<bool> head_requests) {
    std::vector<Response> out;
    ResponseParser parser;
    std::optional<BodyDecoder> body;
    Response current;
    std::size_t index = 0;
    parser.reset({.head_request = head_requests.at(0)});
    auto finish_response = [&] {
        out.push_back(std::move(current));
        current = {};
        body.reset();
        if (++index < head_requests.size()) parser.reset({.head_request = head_requests[index]});
    };
    for (std::size_t at = 0; at < wire.size(); at += read_size) {
        std::string_view chunk = wire.substr(at, read_size);
        while (!chunk.empty() && index < head_requests.size()) {
            if (!parser.done()) {
                auto used = parser.feed(chunk);
                if (!used) return std::unexpected(used.error());
                chunk.remove_prefix(*used);
                if (!parser.done()) break;
                current.status = parser.head().status();
                current.keep_alive = parser.head().keep_alive();
                body = BodyDecoder::for_response(parser.head());
            }
            while (!chunk.empty() && !body->done()) {
                auto step = body->decode(chunk);
                if (!step) return std::unexpected(step.error());
                current.body += step->data;
                chunk.remove_prefix(step->consumed);
            }
            if (body->done()) finish_response();
        }
        // A head whose body needs no bytes (HEAD, 204, CL 0) completes without more input.
        while (index < head_requests.size() && parser.done() && body && body->done()) finish_response();
    }
    if (index < head_requests.size()) {
        if (!parser.done()) {
            if (auto r = parser.finish(); !r) return std::unexpected(r.error());
        }
        if (auto r = body->finish(); !r) return std::unexpected(r.error());
        finish_response();
    }
    return out;
}

TEST(HttpPipeline, RequestThenThreeResponsesOnOneConnection) {
    auto url = Url::parse("http://example.com:8080/items?page=2").value();
    Field headers[] = {{"Accept", "application/json"}};
    EXPECT_EQ(serialize_request("GET", url, headers).value(),
              "GET /items?page=2 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: application/json\r\n\r\n");

    const std::string wire =
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1,2\r\n2\r\n,3\r\n1\r\n]\r\n0\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"  // answer to a HEAD: no body
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found";
    for (std::size_t read_size : {1u, 2u, 7u, 64u, 4096u}) {
        SCOPED_TRACE(read_size);
        auto responses = read_responses(wire, read_size, {false, true, false});
        ASSERT_TRUE(responses) << responses.error().message();
        ASSERT_EQ(responses->size(), 3u);
        EXPECT_EQ((*responses)[0].status, 200);
        EXPECT_EQ((*responses)[0].body, "[1,2,3]");
        EXPECT_TRUE((*responses)[0].keep_alive);
        EXPECT_EQ((*responses)[1].status, 200);
        EXPECT_EQ((*responses)[1].body, "");
        EXPECT_EQ((*responses)[2].status, 404);
        EXPECT_EQ((*responses)[2].body, "not found");
        EXPECT_FALSE((*responses)[2].keep_alive);
    }
}

TEST(HttpPipeline, ServerClosingMidBodyIsUnexpectedEof) {
    auto r = read_responses("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 3, {false});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::unexpected_eof);
}

}  // namespace
