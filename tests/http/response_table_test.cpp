// A table of tricky responses, each run whole, one byte at a time, split in two at every offset,
// and in random chunkings: the outcome must be the same every time. Every proper prefix must be
// "need more" without end of stream and unexpected_eof with it (or, for until-close bodies, a
// shorter body).

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "http/response_harness.hpp"

namespace {

using weft::http::BodyKind;
using weft::http::Errc;
using weft::http::Limits;
using weft::http::ResponseParser;
using weft::http::test::Outcome;
using weft::http::test::run_bytewise;
using weft::http::test::run_pieces;
using weft::http::test::run_whole;
using weft::http::test::split_at;

struct Case {
    const char* name;
    std::string input;
    Errc error = Errc::ok;  // expected error; ok means a good response
    int status = 200;
    BodyKind kind = BodyKind::content_length;
    std::string body{};
    bool keep_alive = true;
    std::string rest{};
    std::size_t interim = 0;
    std::size_t headers = std::size_t(-1);  // expected header count, unchecked when -1
    ResponseParser::Options options{};
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

std::string repeat_headers(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "X-H" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
    return s;
}

ResponseParser::Options head_request() {
    ResponseParser::Options o;
    o.head_request = true;
    return o;
}
ResponseParser::Options strict_lf() {
    ResponseParser::Options o;
    o.allow_bare_lf = false;
    return o;
}
ResponseParser::Options limits(std::size_t head, std::size_t headers = 100,
                               std::uint64_t body = std::numeric_limits<std::uint64_t>::max()) {
    ResponseParser::Options o;
    o.limits.max_head_size = head;
    o.limits.max_headers = headers;
    o.limits.max_body_size = body;
    return o;
}
ResponseParser::Options chunk_limits(std::size_t line, std::size_t trailer) {
    ResponseParser::Options o;
    o.limits.max_chunk_line = line;
    o.limits.max_trailer_size = trailer;
    return o;
}

const std::string kChunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\n";

// clang-format off
const std::vector<Case> kCases = {
    // ---- good: Content-Length -------------------------------------------------------------
    {.name = "cl_basic", .input = kOk + "Content-Length: 5\r\n\r\nhello", .body = "hello", .headers = 1},
    {.name = "cl_zero", .input = kOk + "Content-Length: 0\r\n\r\n", .body = ""},
    {.name = "cl_pipelined_rest", .input = kOk + "Content-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\n",
     .body = "hi", .rest = "HTTP/1.1 204 No Content\r\n\r\n"},
    {.name = "cl_lowercase_name", .input = kOk + "content-length: 3\r\n\r\nabc", .body = "abc"},
    {.name = "cl_ows", .input = kOk + "Content-Length: \t 3 \t\r\n\r\nabc", .body = "abc"},
    {.name = "cl_no_ows", .input = kOk + "Content-Length:3\r\n\r\nabc", .body = "abc"},
    {.name = "cl_leading_zeros", .input = kOk + "Content-Length: 003\r\n\r\nabc", .body = "abc"},
    {.name = "cl_duplicate_identical", .input = kOk + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", .body = "abc"},
    {.name = "cl_list_identical", .input = kOk + "Content-Length: 3, 3,3\r\n\r\nabc", .body = "abc"},
    {.name = "cl_body_binary", .input = kOk + "Content-Length: 4\r\n\r\n" + std::string("\0\r\n\xff", 4),
     .body = std::string("\0\r\n\xff", 4)},
    {.name = "cl_at_body_limit", .input = kOk + "Content-Length: 4\r\n\r\nabcd", .body = "abcd",
     .options = limits(64 * 1024, 100, 4)},
    // ---- good: chunked --------------------------------------------------------------------
    {.name = "chunked_basic", .input = kChunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
     .kind = BodyKind::chunked, .body = "hello world"},
    {.name = "chunked_extensions_trailers",
     .input = kChunkedHead + "4;name=value;q=\"quoted; str\"\r\nWiki\r\n5 ; foo\r\npedia\r\n"
              "E\r\n in\r\n\r\nchunks.\r\n0;last\r\nExpires: never\r\nX-Checksum:abc\r\n\r\n",
     .kind = BodyKind::chunked, .body = "Wikipedia in\r\n\r\nchunks."},
    {.name = "chunked_hex_case_and_zeros", .input = kChunkedHead + "000A\r\n0123456789\r\n00b\r\nabcdefghijk\r\n000\r\n\r\n",
     .kind = BodyKind::chunked, .body = "0123456789abcdefghijk"},
    {.name = "chunked_te_case_insensitive", .input = kOk + "transfer-encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
     .kind = BodyKind::chunked, .body = "x"},
    {.name = "chunked_te_empty_list_elements", .input = kOk + "Transfer-Encoding: , chunked ,\r\n\r\n0\r\n\r\n",
     .kind = BodyKind::chunked, .body = ""},
    {.name = "chunked_pipelined_rest", .input = kChunkedHead + "2\r\nhi\r\n0\r\n\r\nNEXT",
     .kind = BodyKind::chunked, .body = "hi", .rest = "NEXT"},
    {.name = "chunked_empty_trailer_value", .input = kChunkedHead + "0\r\nX-Empty:\r\n\r\n",
     .kind = BodyKind::chunked, .body = ""},
    {.name = "chunked_connection_close", .input = kOk + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     .kind = BodyKind::chunked, .body = "", .keep_alive = false},
    // ---- good: until close, keep-alive --------------------------------------------------------
    {.name = "until_close", .input = kOk + "\r\nabc\r\ndef", .kind = BodyKind::until_close, .body = "abc\r\ndef",
     .keep_alive = false, .headers = 0},
    {.name = "until_close_empty", .input = kOk + "Server: x\r\n\r\n", .kind = BodyKind::until_close, .body = "",
     .keep_alive = false},
    {.name = "http10_until_close", .input = "HTTP/1.0 200 OK\r\n\r\nabc", .kind = BodyKind::until_close,
     .body = "abc", .keep_alive = false},
    {.name = "http10_cl_no_keepalive", .input = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", .body = "hi",
     .keep_alive = false},
    {.name = "http10_keepalive", .input = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi",
     .body = "hi", .keep_alive = true},
    {.name = "http11_connection_close", .input = kOk + "Connection: close\r\nContent-Length: 2\r\n\r\nhi",
     .body = "hi", .keep_alive = false},
    {.name = "http11_connection_list_close", .input = kOk + "Connection: keep-alive, CLOSE\r\nContent-Length: 0\r\n\r\n",
     .body = "", .keep_alive = false},
    {.name = "http11_connection_other_token", .input = kOk + "Connection: upgrade\r\nContent-Length: 0\r\n\r\n",
     .body = "", .keep_alive = true},
    {.name = "http19_as_11", .input = "HTTP/1.9 200 OK\r\nContent-Length: 0\r\n\r\n", .body = ""},
    // ---- good: no body ------------------------------------------------------------------------
    {.name = "head_with_cl", .input = kOk + "Content-Length: 1000\r\n\r\n", .kind = BodyKind::none,
     .options = head_request()},
    {.name = "head_with_chunked", .input = kChunkedHead, .kind = BodyKind::none, .options = head_request()},
    {.name = "head_with_bad_framing_ignored", .input = kOk + "Content-Length: x\r\nTransfer-Encoding: gzip\r\n\r\n",
     .kind = BodyKind::none, .options = head_request()},
    {.name = "head_pipelined_rest", .input = kOk + "Content-Length: 3\r\n\r\nHTTP/1.1", .kind = BodyKind::none,
     .rest = "HTTP/1.1", .options = head_request()},
    {.name = "status_204", .input = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", .status = 204,
     .kind = BodyKind::none},
    {.name = "status_204_rest", .input = "HTTP/1.1 204 No Content\r\n\r\nhello", .status = 204,
     .kind = BodyKind::none, .rest = "hello"},
    {.name = "status_304", .input = "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
     .status = 304, .kind = BodyKind::none},
    {.name = "status_101_final", .input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nraw",
     .status = 101, .kind = BodyKind::none, .keep_alive = false, .rest = "raw"},
    // ---- good: interim responses --------------------------------------------------------------
    {.name = "continue_then_200", .input = "HTTP/1.1 100 Continue\r\n\r\n" + kOk + "Content-Length: 2\r\n\r\nok",
     .body = "ok", .interim = 1, .headers = 1},
    {.name = "many_interim", .input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                                      "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                                      "HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
     .status = 201, .body = "x", .interim = 3, .headers = 1},
    {.name = "interim_with_head_request", .input = "HTTP/1.1 100 Continue\r\n\r\n" + kOk + "Content-Length: 9\r\n\r\n",
     .kind = BodyKind::none, .interim = 1, .options = head_request()},
    // ---- good: status line and fields ---------------------------------------------------------
    {.name = "empty_reason_with_sp", .input = "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", .body = ""},
    {.name = "empty_reason_without_sp", .input = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", .body = ""},
    {.name = "reason_with_tabs_and_obs_text", .input = "HTTP/1.1 404 Nicht\tGefunden \xe2\x9c\x97\r\nContent-Length: 0\r\n\r\n",
     .status = 404, .body = ""},
    {.name = "status_599", .input = "HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n", .status = 599, .body = ""},
    {.name = "empty_field_value", .input = kOk + "X-Empty:\r\nX-Blank:   \r\nContent-Length: 0\r\n\r\n", .body = "",
     .headers = 3},
    {.name = "value_with_inner_spaces_and_obs_text", .input = kOk + "X-V: a  b\t c \xc3\xa9\r\nContent-Length: 0\r\n\r\n",
     .body = "", .headers = 2},
    {.name = "many_headers_at_limit", .input = kOk + repeat_headers(99) + "Content-Length: 1\r\n\r\nx", .body = "x",
     .headers = 100},
    {.name = "head_at_size_limit", .input = kOk + "Content-Length: 1\r\n\r\nx", .body = "x",
     .options = limits(kOk.size() + 21)},
    {.name = "bare_lf_accepted", .input = "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", .body = "hi"},
    {.name = "bare_lf_mixed", .input = "HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nhi", .body = "hi"},

    // ---- bad: framing -------------------------------------------------------------------------
    {.name = "cl_and_chunked", .input = kOk + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     .error = Errc::chunked_with_content_length},
    {.name = "chunked_and_cl", .input = kOk + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
     .error = Errc::chunked_with_content_length},
    {.name = "cl_conflicting_fields", .input = kOk + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
     .error = Errc::conflicting_content_length},
    {.name = "cl_conflicting_list", .input = kOk + "Content-Length: 5, 6\r\n\r\nhello!", .error = Errc::conflicting_content_length},
    {.name = "cl_plus_sign", .input = kOk + "Content-Length: +5\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_negative", .input = kOk + "Content-Length: -5\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_hex", .input = kOk + "Content-Length: 0x5\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_inner_space", .input = kOk + "Content-Length: 1 2\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_trailing_garbage", .input = kOk + "Content-Length: 5a\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_empty", .input = kOk + "Content-Length:\r\n\r\n", .error = Errc::invalid_content_length},
    {.name = "cl_empty_list_element", .input = kOk + "Content-Length: 5,\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_decimal_point", .input = kOk + "Content-Length: 5.0\r\n\r\nhello", .error = Errc::invalid_content_length},
    {.name = "cl_overflow_20_digits", .input = kOk + "Content-Length: 99999999999999999999\r\n\r\n",
     .error = Errc::invalid_content_length},
    {.name = "cl_overflow_2_pow_63", .input = kOk + "Content-Length: 9223372036854775808\r\n\r\n",
     .error = Errc::invalid_content_length},
    {.name = "cl_over_body_limit", .input = kOk + "Content-Length: 5\r\n\r\nhello", .error = Errc::body_too_large,
     .options = limits(64 * 1024, 100, 4)},
    {.name = "te_gzip", .input = kOk + "Transfer-Encoding: gzip\r\n\r\nxx", .error = Errc::unsupported_transfer_coding},
    {.name = "te_gzip_chunked", .input = kOk + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     .error = Errc::unsupported_transfer_coding},
    {.name = "te_chunked_gzip", .input = kOk + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
     .error = Errc::unsupported_transfer_coding},
    {.name = "te_chunked_twice", .input = kOk + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
     .error = Errc::invalid_transfer_encoding},
    {.name = "te_chunked_with_param", .input = kOk + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n",
     .error = Errc::invalid_transfer_encoding},
    {.name = "te_empty", .input = kOk + "Transfer-Encoding:\r\n\r\n", .error = Errc::invalid_transfer_encoding},
    {.name = "te_in_http10", .input = "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     .error = Errc::invalid_transfer_encoding},
    // ---- bad: fields --------------------------------------------------------------------------
    {.name = "header_without_colon", .input = kOk + "Content-Length 5\r\n\r\nhello", .error = Errc::malformed_header},
    {.name = "space_before_colon", .input = kOk + "Content-Length : 5\r\n\r\nhello", .error = Errc::malformed_header},
    {.name = "tab_before_colon", .input = kOk + "Content-Length\t: 5\r\n\r\nhello", .error = Errc::malformed_header},
    {.name = "obs_fold", .input = kOk + "X-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n", .error = Errc::malformed_header},
    {.name = "obs_fold_tab", .input = kOk + "X-Long: a\r\n\tb\r\n\r\n", .error = Errc::malformed_header},
    {.name = "whitespace_before_first_field", .input = kOk + " Content-Length: 0\r\n\r\n", .error = Errc::malformed_header},
    {.name = "empty_field_name", .input = kOk + ": x\r\n\r\n", .error = Errc::malformed_header},
    {.name = "non_token_name", .input = kOk + "X(y): z\r\n\r\n", .error = Errc::malformed_header},
    {.name = "nul_in_value", .input = kOk + std::string("X: a\0b\r\n\r\n", 10), .error = Errc::malformed_header},
    {.name = "del_in_value", .input = kOk + "X: a\x7f" "b\r\n\r\n", .error = Errc::malformed_header},
    {.name = "bare_cr_in_value", .input = kOk + "X: a\rb\r\n\r\n", .error = Errc::malformed_header},
    {.name = "bare_cr_line_end", .input = kOk + "X: a\r\r\n\r\n", .error = Errc::malformed_header},
    {.name = "bare_lf_refused_status", .input = "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
     .error = Errc::malformed_status_line, .options = strict_lf()},
    {.name = "bare_lf_refused_field", .input = kOk + "Content-Length: 0\n\r\n", .error = Errc::malformed_header,
     .options = strict_lf()},
    {.name = "bare_lf_refused_end", .input = kOk + "Content-Length: 0\r\n\n", .error = Errc::malformed_header,
     .options = strict_lf()},
    {.name = "too_many_headers", .input = kOk + repeat_headers(100) + "Content-Length: 1\r\n\r\nx",
     .error = Errc::too_many_headers},
    {.name = "too_many_headers_small_limit", .input = kOk + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", .error = Errc::too_many_headers,
     .options = limits(64 * 1024, 2)},
    {.name = "head_over_size_limit", .input = kOk + "Content-Length: 1\r\n\r\nx", .error = Errc::header_too_large,
     .options = limits(kOk.size() + 20)},
    {.name = "head_over_default_limit", .input = kOk + "X-Big: " + std::string(70000, 'a') + "\r\n\r\n",
     .error = Errc::header_too_large},
    {.name = "status_line_without_newline_over_limit", .input = "HTTP/1.1 200 " + std::string(200, 'x'),
     .error = Errc::header_too_large, .options = limits(100)},
    {.name = "interim_with_bad_header", .input = "HTTP/1.1 100 Continue\r\nBad Header\r\n\r\n" + kOk + "\r\n",
     .error = Errc::malformed_header},
    // ---- bad: status line ---------------------------------------------------------------------
    {.name = "garbage_status", .input = "FOO BAR\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "not_http_binary", .input = std::string("\x16\x03\x01\x02\x00", 5), .error = Errc::malformed_status_line},
    {.name = "lowercase_http", .input = "http/1.1 200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "icy", .input = "ICY 200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "empty_first_line", .input = "\r\nHTTP/1.1 200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "http2", .input = "HTTP/2.0 200 OK\r\n\r\n", .error = Errc::unsupported_version},
    {.name = "http09", .input = "HTTP/0.9 200 OK\r\n\r\n", .error = Errc::unsupported_version},
    {.name = "http_no_minor", .input = "HTTP/1 200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "http_two_digit_minor", .input = "HTTP/1.10 200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_99", .input = "HTTP/1.1 99 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_099", .input = "HTTP/1.1 099 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_1000", .input = "HTTP/1.1 1000 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_600", .input = "HTTP/1.1 600 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_letters", .input = "HTTP/1.1 2x0 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_double_space", .input = "HTTP/1.1  200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_no_space_before_reason", .input = "HTTP/1.1 200OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_tab_separator", .input = "HTTP/1.1\t200 OK\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "reason_with_control", .input = "HTTP/1.1 200 O\x01K\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "status_line_bare_cr", .input = "HTTP/1.1 200 OK\rX\r\n\r\n", .error = Errc::malformed_status_line},
    {.name = "garbage_after_interim", .input = "HTTP/1.1 100 Continue\r\n\r\nGARBAGE\r\n\r\n",
     .error = Errc::malformed_status_line},
    // ---- bad: chunked body --------------------------------------------------------------------
    {.name = "chunk_size_not_hex", .input = kChunkedHead + "zz\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_negative", .input = kChunkedHead + "-5\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_0x", .input = kChunkedHead + "0x5\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_leading_space", .input = kChunkedHead + " 5\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_trailing_space", .input = kChunkedHead + "5 \r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_empty", .input = kChunkedHead + "\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_ext_without_size", .input = kChunkedHead + ";ext\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_overflow", .input = kChunkedHead + "10000000000000000\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_overflow_zeros_ok_then_big", .input = kChunkedHead + "0000000000000000000001ffffffffffffffff\r\n",
     .error = Errc::invalid_chunk},
    {.name = "chunk_size_max_then_eof", .input = kChunkedHead + "ffffffffffffffff\r\nabc", .error = Errc::unexpected_eof},
    {.name = "chunk_data_missing_crlf", .input = kChunkedHead + "5\r\nhelloX\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_data_too_long", .input = kChunkedHead + "3\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_data_bare_lf", .input = kChunkedHead + "5\r\nhello\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_bare_lf", .input = kChunkedHead + "5\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_size_cr_cr", .input = kChunkedHead + "5\r\rhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_ext_control", .input = kChunkedHead + "5;a=\x01\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_ext_bare_lf", .input = kChunkedHead + "5;a\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_ws_then_garbage", .input = kChunkedHead + "5 x\r\nhello\r\n0\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "chunk_line_too_long", .input = kChunkedHead + "5;" + std::string(100, 'e') + "\r\nhello\r\n0\r\n\r\n",
     .error = Errc::chunk_header_too_large, .options = chunk_limits(64, 1024)},
    {.name = "chunk_zeros_too_long", .input = kChunkedHead + std::string(70, '0') + "5\r\nhello\r\n0\r\n\r\n",
     .error = Errc::chunk_header_too_large, .options = chunk_limits(64, 1024)},
    {.name = "trailer_obs_fold", .input = kChunkedHead + "0\r\nX: a\r\n b\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "trailer_no_colon", .input = kChunkedHead + "0\r\nXYZ\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "trailer_space_before_colon", .input = kChunkedHead + "0\r\nX : a\r\n\r\n", .error = Errc::invalid_chunk},
    {.name = "trailer_bare_lf", .input = kChunkedHead + "0\r\nX: a\n\r\n", .error = Errc::invalid_chunk},
    {.name = "final_bare_lf", .input = kChunkedHead + "0\r\n\n", .error = Errc::invalid_chunk},
    {.name = "trailer_too_large", .input = kChunkedHead + "0\r\nX: " + std::string(100, 'v') + "\r\n\r\n",
     .error = Errc::header_too_large, .options = chunk_limits(64, 64)},
    {.name = "chunked_over_body_limit", .input = kChunkedHead + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
     .error = Errc::body_too_large, .options = limits(64 * 1024, 100, 4)},
    {.name = "until_close_over_body_limit", .input = kOk + "\r\nabcde", .error = Errc::body_too_large,
     .options = limits(64 * 1024, 100, 4)},
    // ---- bad: truncated -----------------------------------------------------------------------
    {.name = "empty_input", .input = "", .error = Errc::unexpected_eof},
    {.name = "truncated_head", .input = kOk + "Content-Length: 5\r\n", .error = Errc::unexpected_eof},
    {.name = "truncated_cl_body", .input = kOk + "Content-Length: 10\r\n\r\nhello", .error = Errc::unexpected_eof},
    {.name = "truncated_chunked_no_last_chunk", .input = kChunkedHead + "5\r\nhello\r\n", .error = Errc::unexpected_eof},
    {.name = "truncated_chunked_no_final_crlf", .input = kChunkedHead + "0\r\n", .error = Errc::unexpected_eof},
    {.name = "truncated_after_interim", .input = "HTTP/1.1 100 Continue\r\n\r\n", .error = Errc::unexpected_eof},
};
// clang-format on

class HttpResponseTable : public ::testing::TestWithParam<Case> {};

void check_expected(const Case& c, const Outcome& out) {
    if (c.error != Errc::ok) {
        EXPECT_EQ(out.ec, make_error_code(c.error)) << out;
        return;
    }
    ASSERT_FALSE(out.ec) << out;
    EXPECT_TRUE(out.complete) << out;
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(out.kind, c.kind);
    EXPECT_EQ(out.body, c.body);
    EXPECT_EQ(out.keep_alive, c.keep_alive);
    EXPECT_EQ(out.rest, c.rest);
    EXPECT_EQ(out.interim, c.interim);
    if (c.kind == BodyKind::content_length) {
        EXPECT_EQ(out.content_length, c.body.size());
    } else {
        EXPECT_EQ(out.content_length, 0u);
    }
    if (c.headers != std::size_t(-1)) {
        EXPECT_EQ(out.headers.size(), c.headers);
    }
}

// Offsets to try in the quadratic tests: all of them, except for the few huge inputs.
std::size_t stride(const Case& c) { return c.input.size() > 8192 ? 509 : 1; }

TEST_P(HttpResponseTable, WholeInput) {
    const Case& c = GetParam();
    check_expected(c, run_whole(c.input, c.options));
}

TEST_P(HttpResponseTable, OneByteAtATime) {
    const Case& c = GetParam();
    Outcome whole = run_whole(c.input, c.options);
    Outcome bytes = run_bytewise(c.input, c.options);
    check_expected(c, bytes);
    if (c.error == Errc::ok) {
        EXPECT_EQ(bytes, whole);
    }
    EXPECT_EQ(bytes.ec, whole.ec);
}

TEST_P(HttpResponseTable, EveryTwoWaySplit) {
    const Case& c = GetParam();
    Outcome whole = run_whole(c.input, c.options);
    for (std::size_t k = 0; k <= c.input.size(); k += stride(c)) {
        Outcome split = run_pieces(split_at(c.input, {k}), c.options);
        if (c.error == Errc::ok) {
            ASSERT_EQ(split, whole) << "split at " << k;
        } else {
            ASSERT_EQ(split.ec, whole.ec) << "split at " << k;
        }
    }
}

TEST_P(HttpResponseTable, RandomChunkings) {
    const Case& c = GetParam();
    Outcome whole = run_whole(c.input, c.options);
    for (unsigned seed = 1; seed <= 40; ++seed) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<std::size_t> len(1, seed % 4 == 0 ? 64 : 7);
        std::vector<std::size_t> cuts;
        for (std::size_t at = len(rng); at < c.input.size(); at += len(rng)) cuts.push_back(at);
        Outcome split = run_pieces(split_at(c.input, cuts), c.options);
        if (c.error == Errc::ok) {
            ASSERT_EQ(split, whole) << "seed " << seed;
        } else {
            ASSERT_EQ(split.ec, whole.ec) << "seed " << seed;
        }
    }
}

// Every proper prefix: without end of stream the parser wants more (no error, not complete);
// with end of stream it is unexpected_eof, except where the response is already complete
// (pipelined bytes after it) or the body runs until close.
TEST_P(HttpResponseTable, TruncatedAtEveryPoint) {
    const Case& c = GetParam();
    const auto eof = make_error_code(Errc::unexpected_eof);
    for (std::size_t p = 0; p < c.input.size(); p += stride(c)) {
        std::string_view prefix = std::string_view(c.input).substr(0, p);
        Outcome open = run_whole(prefix, c.options, /*eof=*/false);
        Outcome closed = run_whole(prefix, c.options, /*eof=*/true);
        if (c.error != Errc::ok) {
            // A prefix of a bad response is the same error, or not yet detectable.
            if (open.ec) {
                ASSERT_EQ(open.ec, make_error_code(c.error)) << "prefix " << p;
            }
            if (closed.ec) {
                ASSERT_TRUE(closed.ec == make_error_code(c.error) || closed.ec == eof)
                    << "prefix " << p << closed;
            } else {
                ASSERT_EQ(closed.kind, BodyKind::until_close) << "prefix " << p;
            }
            continue;
        }
        const std::size_t complete_at = c.input.size() - c.rest.size();
        ASSERT_FALSE(open.ec) << "prefix " << p << " " << open;
        if (p >= complete_at) {
            ASSERT_TRUE(open.complete) << "prefix " << p;
            ASSERT_FALSE(closed.ec) << "prefix " << p;
            ASSERT_EQ(closed.body, c.body);
        } else if (c.kind == BodyKind::until_close && closed.head_done) {
            ASSERT_FALSE(closed.ec) << "prefix " << p;
            ASSERT_EQ(closed.body, c.body.substr(0, closed.body.size()));
            ASSERT_FALSE(open.complete);
        } else {
            ASSERT_FALSE(open.complete) << "prefix " << p;
            ASSERT_EQ(closed.ec, eof) << "prefix " << p << " " << closed;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Http, HttpResponseTable, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                             return std::string(info.param.name);
                         });

}  // namespace
