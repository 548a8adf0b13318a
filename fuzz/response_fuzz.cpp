// A whole response (head, then body framed as the head says) through ResponseParser and
// BodyDecoder. The first input byte picks the options (HEAD request, bare LF refused, small
// limits) and where the rest is split; the outcome must not depend on how the bytes are split,
// and every accepted head and body must satisfy the framing rules.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>
#include <weft/http/body.hpp>
#include <weft/http/response_parser.hpp>

#include "fuzz_check.hpp"
#include "http/chars.hpp"
#include "http/response_harness.hpp"

namespace {

using weft::http::BodyKind;
using weft::http::ResponseParser;
using weft::http::test::Outcome;

void check_invariants(const Outcome& o, std::string_view input, const ResponseParser::Options& opt) {
    if (o.ec) FUZZ_CHECK(o.ec.category() == weft::http::error_category());
    if (!o.head_done) {
        FUZZ_CHECK(o.ec);  // fed to the end with EOF: either a head or an error
        return;
    }
    FUZZ_CHECK(o.status >= 100 && o.status <= 599);
    FUZZ_CHECK(o.status >= 200 || o.status == 101);
    FUZZ_CHECK(o.headers.size() <= opt.limits.max_headers);
    FUZZ_CHECK(o.reason.find_first_of("\r\n") == std::string::npos);
    bool has_te = false, has_cl = false;
    for (const auto& [name, value] : o.headers) {
        FUZZ_CHECK(weft::http::detail::is_token(name));
        for (char c : value) FUZZ_CHECK(weft::http::detail::is_field_char(c));
        if (!value.empty()) {
            FUZZ_CHECK(!weft::http::detail::is_ows(value.front()));
            FUZZ_CHECK(!weft::http::detail::is_ows(value.back()));
        }
        has_te = has_te || weft::http::iequals(name, "transfer-encoding");
        has_cl = has_cl || weft::http::iequals(name, "content-length");
    }
    if (opt.head_request || o.status == 101 || o.status == 204 || o.status == 304) {
        FUZZ_CHECK(o.kind == BodyKind::none);
    }
    if (o.status == 101) FUZZ_CHECK(!o.keep_alive);
    switch (o.kind) {
        case BodyKind::none:
            FUZZ_CHECK(o.body.empty());
            FUZZ_CHECK(o.content_length == 0);
            break;
        case BodyKind::content_length:
            FUZZ_CHECK(has_cl && !has_te);
            FUZZ_CHECK(o.content_length <= opt.limits.max_body_size);
            FUZZ_CHECK(o.content_length <=
                       static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
            FUZZ_CHECK(o.body.size() <= o.content_length);
            if (o.complete) FUZZ_CHECK(o.body.size() == o.content_length);
            break;
        case BodyKind::chunked:
            FUZZ_CHECK(has_te && !has_cl);
            FUZZ_CHECK(o.content_length == 0);
            break;
        case BodyKind::until_close:
            FUZZ_CHECK(!has_te && !has_cl);
            FUZZ_CHECK(!o.keep_alive);
            FUZZ_CHECK(o.rest.empty());
            break;
    }
    FUZZ_CHECK(o.body.size() <= opt.limits.max_body_size);
    // Nothing is invented: body and rest are no larger than the input, rest is its suffix.
    FUZZ_CHECK(o.body.size() + o.rest.size() <= input.size());
    if (o.complete) FUZZ_CHECK(input.ends_with(o.rest));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t control = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    ResponseParser::Options opt;
    opt.head_request = control & 1;
    opt.allow_bare_lf = !(control & 2);
    if (control & 4) {
        opt.limits.max_head_size = 256;
        opt.limits.max_headers = 8;
        opt.limits.max_body_size = 512;
        opt.limits.max_chunk_line = 24;
        opt.limits.max_trailer_size = 64;
    }
    const std::size_t split = input.size() * (control >> 3) / 31;

    const Outcome whole = weft::http::test::run_pieces({input}, opt);
    check_invariants(whole, input, opt);

    const Outcome two = weft::http::test::run_pieces({input.substr(0, split), input.substr(split)}, opt);
    const Outcome three = weft::http::test::run_pieces(
        {input.substr(0, split / 2), input.substr(split / 2, split - split / 2), input.substr(split)}, opt);
    FUZZ_CHECK(two.ec == whole.ec);
    FUZZ_CHECK(three.ec == whole.ec);
    if (!whole.ec) {
        FUZZ_CHECK(two == whole);
        FUZZ_CHECK(three == whole);
    }
    if (input.size() <= 2048) {
        const Outcome bytes = weft::http::test::run_bytewise(input, opt);
        FUZZ_CHECK(bytes.ec == whole.ec);
        if (!whole.ec) FUZZ_CHECK(bytes == whole);
    }

    // Keep-alive: what follows a complete response parses the same with the parser reset (for
    // a HEAD request or not) as with a new one.
    if (whole.complete && !whole.rest.empty()) {
        ResponseParser reused(opt);
        const Outcome first = weft::http::test::run_with(reused, {input}, /*eof=*/false);
        FUZZ_CHECK(first.complete && first.rest == whole.rest);
        ResponseParser::Options next = opt;
        next.head_request = control & 0x80;
        reused.reset(next);
        const Outcome again = weft::http::test::run_with(reused, {whole.rest});
        const Outcome fresh = weft::http::test::run_pieces({whole.rest}, next);
        FUZZ_CHECK(again == fresh);
    }

    // Without end of stream: the same error, or still waiting where EOF made it unexpected_eof.
    const Outcome open = weft::http::test::run_pieces({input}, opt, /*eof=*/false);
    const auto eof = make_error_code(weft::http::Errc::unexpected_eof);
    if (open.ec) {
        FUZZ_CHECK(open.ec == whole.ec);
    } else {
        FUZZ_CHECK(!whole.ec || whole.ec == eof);
        if (open.complete) FUZZ_CHECK(open == whole);
    }
    return 0;
}
