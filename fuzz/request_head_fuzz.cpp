// The demo server's request-head parser (src/http/request_parser.cpp) on arbitrary bytes. The
// first byte picks a head-size limit and a split position; the verdict (status, head size and
// what the head says) must be the same whether the bytes arrive at once or in two pieces, as the
// server feeds a growing buffer and keeps `scanned` between calls.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/request_parser.hpp"

namespace {

using weft::http::detail::parse_request_head;
using weft::http::detail::RequestHead;
using weft::http::detail::RequestParse;
using weft::http::detail::RequestStatus;

bool same(const RequestHead& a, const RequestHead& b) {
    return a.method == b.method && a.target == b.target && a.version_minor == b.version_minor &&
           a.keep_alive == b.keep_alive && a.chunked == b.chunked && a.expect_continue == b.expect_continue &&
           a.content_length == b.content_length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t max_head = 64 + (data[0] & 0x3f) * 64;  // 64 .. 4096
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t split = input.empty() ? 0 : (data[0] * 131u) % (input.size() + 1);

    std::size_t scanned = 0;
    RequestHead whole;
    RequestParse at_once = parse_request_head(input, scanned, max_head, whole);
    if (at_once.status == RequestStatus::complete) {
        FUZZ_CHECK(at_once.head_size > 0 && at_once.head_size <= input.size());
        // Origin-form, or the asterisk-form that only OPTIONS may use.
        FUZZ_CHECK(!whole.target.empty() &&
                   (whole.target.front() == '/' || (whole.target == "*" && whole.method == "OPTIONS")));
        FUZZ_CHECK(!(whole.chunked && whole.content_length != 0));
    }

    // Fed as a growing buffer: the prefix first, then everything, `scanned` carried over.
    scanned = 0;
    RequestHead piecewise;
    RequestParse first = parse_request_head(input.substr(0, split), scanned, max_head, piecewise);
    RequestParse second = first;
    if (first.status == RequestStatus::incomplete) {
        piecewise = RequestHead{};
        second = parse_request_head(input, scanned, max_head, piecewise);
    }
    FUZZ_CHECK(second.status == at_once.status);
    if (at_once.status == RequestStatus::complete) {
        FUZZ_CHECK(second.head_size == at_once.head_size);
        FUZZ_CHECK(same(whole, piecewise));
    }
    return 0;
}
