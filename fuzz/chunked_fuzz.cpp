// ChunkedDecoder on arbitrary bytes. The first byte picks small limits and a split position;
// the result (error, decoded body, bytes used) must not depend on the split. A decoded body,
// re-encoded with other chunk sizes, must decode to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>
#include <weft/http/body.hpp>

#include "fuzz_check.hpp"

namespace {

using weft::http::ChunkedDecoder;
using weft::http::Limits;

struct Result {
    std::error_code ec;
    std::string body;
    std::size_t used = 0;
    bool done = false;
    friend bool operator==(const Result&, const Result&) = default;
};

Result decode(const std::vector<std::string_view>& pieces, const Limits& limits) {
    Result r;
    ChunkedDecoder d(limits);
    for (std::string_view piece : pieces) {
        while (!piece.empty() && !d.done()) {
            auto step = d.decode(piece);
            if (!step) {
                r.ec = step.error();
                FUZZ_CHECK(d.finish().error() == r.ec);  // sticky
                return r;
            }
            FUZZ_CHECK(step->consumed > 0 && step->consumed <= piece.size());
            if (!step->data.empty()) {
                // data lies within the consumed part of this piece
                FUZZ_CHECK(step->data.data() >= piece.data());
                FUZZ_CHECK(step->data.data() + step->data.size() <= piece.data() + step->consumed);
            }
            r.body.append(step->data);
            r.used += step->consumed;
            piece.remove_prefix(step->consumed);
        }
        if (d.done()) break;
    }
    r.done = d.done();
    FUZZ_CHECK(d.body_size() == r.body.size());
    FUZZ_CHECK(r.body.size() <= limits.max_body_size);
    if (r.done) {
        FUZZ_CHECK(d.finish());
        FUZZ_CHECK(d.decode("x").value().consumed == 0);
    } else {
        FUZZ_CHECK(d.finish().error() == weft::http::Errc::unexpected_eof);
    }
    return r;
}

std::string encode(std::string_view body, std::size_t chunk) {
    std::string out;
    while (!body.empty()) {
        std::size_t n = std::min(chunk, body.size());
        char size[32];
        std::snprintf(size, sizeof size, "%zx", n);
        out.append(size).append(";x=y\r\n").append(body.substr(0, n)).append("\r\n");
        body.remove_prefix(n);
    }
    out.append("0\r\nTrailer: t\r\n\r\n");
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t control = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    Limits limits;
    if (control & 1) {
        limits.max_body_size = 300;
        limits.max_chunk_line = 16;
        limits.max_trailer_size = 48;
    }
    const std::size_t split = input.size() * (control >> 3) / 31;

    const Result whole = decode({input}, limits);
    FUZZ_CHECK(whole.used <= input.size());
    if (whole.ec) FUZZ_CHECK(whole.ec.category() == weft::http::error_category());
    const Result two = decode({input.substr(0, split), input.substr(split)}, limits);
    FUZZ_CHECK(two.ec == whole.ec);
    if (!whole.ec) FUZZ_CHECK(two == whole);
    if (input.size() <= 4096) {
        std::vector<std::string_view> bytes;
        for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
        const Result one = decode(bytes, limits);
        FUZZ_CHECK(one.ec == whole.ec);
        if (!whole.ec) FUZZ_CHECK(one == whole);
    }

    if (whole.done) {
        std::string again = encode(whole.body, 1 + (control >> 1) % 7);
        Limits relaxed;  // the re-encoding's extensions and trailer may exceed the small limits
        const Result round = decode({again}, relaxed);
        FUZZ_CHECK(!round.ec && round.done);
        FUZZ_CHECK(round.body == whole.body);
        FUZZ_CHECK(round.used == again.size());
    }
    return 0;
}
