#pragma once

// Test support: runs a whole response (head + body) through ResponseParser and BodyDecoder,
// fed in given pieces, and records everything observable, so that different splittings of the
// same bytes can be compared for equality.

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>
#include <weft/http/body.hpp>
#include <weft/http/response_parser.hpp>

namespace weft::http::test {

struct Outcome {
    std::error_code ec;  // the first error, if any
    bool head_done = false;
    bool complete = false;  // head and body done
    int status = 0;
    std::string reason;
    BodyKind kind = BodyKind::none;
    std::uint64_t content_length = 0;
    bool keep_alive = false;
    std::size_t interim = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string rest;  // bytes after the end of the body

    friend bool operator==(const Outcome&, const Outcome&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    os << "{ec=" << (o.ec ? o.ec.message() : "ok") << " head_done=" << o.head_done
       << " complete=" << o.complete << " status=" << o.status << " reason='" << o.reason
       << "' kind=" << static_cast<int>(o.kind) << " cl=" << o.content_length << " keep=" << o.keep_alive
       << " interim=" << o.interim << " headers=" << o.headers.size() << " body='" << o.body << "' rest='"
       << o.rest << "'}";
    return os;
}

/// Feeds `pieces` to `parser` (fresh or just reset) in order; when `eof`, signals end of
/// stream after the last one.
inline Outcome run_with(ResponseParser& parser, const std::vector<std::string_view>& pieces,
                        bool eof = true) {
    Outcome out;
    const ResponseParser::Options options = parser.options();
    std::optional<BodyDecoder> body;
    auto record_head = [&] {
        const ResponseHead& h = parser.head();
        out.head_done = true;
        out.status = h.status();
        out.reason = std::string(h.reason());
        out.kind = h.body_kind();
        out.content_length = h.content_length();
        out.keep_alive = h.keep_alive();
        out.interim = h.interim_responses();
        for (Field f : h.headers()) {
            out.headers.emplace_back(f.name, f.value);
            // find() and count() agree with iteration
            if (h.count(f.name) == 0 || !h.find(f.name))
                out.ec = std::make_error_code(std::errc::protocol_error);
        }
        body = BodyDecoder::for_response(h, options.limits);
    };
    for (std::string_view piece : pieces) {
        if (!parser.done()) {
            auto used = parser.feed(piece);
            if (!used) {
                out.ec = used.error();
                return out;
            }
            if (*used > piece.size()) {
                out.ec = std::make_error_code(std::errc::result_out_of_range);  // harness-detected bug
                return out;
            }
            piece.remove_prefix(*used);
            if (!parser.done()) {
                if (!piece.empty()) out.ec = std::make_error_code(std::errc::protocol_error);
                if (out.ec) return out;
                continue;
            }
            record_head();
        }
        while (!piece.empty() && !body->done()) {
            auto step = body->decode(piece);
            if (!step) {
                out.ec = step.error();
                return out;
            }
            if (step->consumed == 0 || step->consumed > piece.size()) {
                out.ec = std::make_error_code(std::errc::protocol_error);  // decoder made no progress
                return out;
            }
            out.body.append(step->data);
            piece.remove_prefix(step->consumed);
        }
        out.rest.append(piece);
    }
    if (eof) {
        if (!parser.done()) {
            auto r = parser.finish();
            out.ec = r ? std::make_error_code(std::errc::protocol_error) : r.error();
            return out;
        }
        if (auto r = body->finish(); !r) {
            out.ec = r.error();
            return out;
        }
    }
    out.complete = parser.done() && body->done();
    return out;
}

/// Feeds `pieces` in order to a new parser with `options`.
inline Outcome run_pieces(const std::vector<std::string_view>& pieces, ResponseParser::Options options,
                          bool eof = true) {
    ResponseParser parser(options);
    return run_with(parser, pieces, eof);
}

/// Splits `input` at the sorted offsets `cuts`.
inline std::vector<std::string_view> split_at(std::string_view input, const std::vector<std::size_t>& cuts) {
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    for (std::size_t c : cuts) {
        pieces.push_back(input.substr(start, c - start));
        start = c;
    }
    pieces.push_back(input.substr(start));
    return pieces;
}

inline Outcome run_whole(std::string_view input, ResponseParser::Options options, bool eof = true) {
    return run_pieces({input}, options, eof);
}

inline Outcome run_bytewise(std::string_view input, ResponseParser::Options options, bool eof = true) {
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0; i < input.size(); ++i) pieces.push_back(input.substr(i, 1));
    return run_pieces(pieces, options, eof);
}

}  // namespace weft::http::test
