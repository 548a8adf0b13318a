#pragma once

// Incremental decoders for response bodies: chunked (RFC 9112 §7.1), Content-Length, and
// read-until-close, behind one `BodyDecoder` chosen from a `ResponseHead`.
//
// All of them are zero-copy and allocation-free: `decode(input)` consumes a prefix of `input`
// and returns the body bytes it found there as a view into `input` (at most one contiguous run
// per call), so the caller loops until the input is used up or the body is done. Bytes after the
// end of the body are not consumed: they belong to the next response on the connection.
//
// The chunked decoder is strict: chunk-size is 1*HEXDIG (no sign, no "0x", no leading
// whitespace), optionally followed by extensions (`;name=value`, ignored, bytes limited to
// field-value characters) and then CRLF — a bare LF is an error here, unlike in the head, since
// lenient chunk parsing is a classic smuggling vector. Chunk data must be followed by CRLF.
// Trailer fields are checked for the `name: value` shape and skipped.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <weft/error.hpp>
#include <weft/http/error.hpp>
#include <weft/http/field.hpp>
#include <weft/http/response_parser.hpp>

namespace weft::http {

/// What one `decode` call did: `consumed` bytes of the input were used, and `data` (a view into
/// the input, within the consumed part) is body content. `data` may be empty.
struct DecodeStep {
    std::size_t consumed = 0;
    std::string_view data;
};

/// Incremental decoder for the chunked transfer coding.
///
///     weft::http::ChunkedDecoder dec;
///     std::string body;
///     std::string_view in = "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n";
///     while (!in.empty() && !dec.done()) {
///         auto step = dec.decode(in);
///         if (!step) return std::unexpected(step.error());
///         body += step->data;
///         in.remove_prefix(step->consumed);
///     }
///     // dec.done() && body == "hello"; at end of stream without done(): dec.finish() fails
class ChunkedDecoder {
public:
    ChunkedDecoder() noexcept : ChunkedDecoder(Limits{}) {}
    explicit ChunkedDecoder(const Limits& limits) noexcept;

    /// Consumes framing and at most one run of chunk data from `input`. Returns consumed > 0
    /// whenever `input` is non-empty and the decoder is not done. Errors are sticky.
    Result<DecodeStep> decode(std::string_view input);
    /// True once the last chunk and the trailer section have been consumed.
    bool done() const noexcept { return state_ == State::done; }
    /// To call at end of stream: success if done, the sticky error if any, else unexpected_eof.
    Result<void> finish() const;
    /// Body bytes decoded so far.
    std::uint64_t body_size() const noexcept { return body_size_; }
    void reset() noexcept;

private:
    enum class State : std::uint8_t {
        size,
        size_ws,
        ext,
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer_start,
        trailer_name,
        trailer_value,
        trailer_lf,
        final_lf,
        done,
        failed,
    };
    Result<DecodeStep> fail(Errc e) noexcept;

    std::uint64_t max_body_;
    std::size_t max_line_;
    std::size_t max_trailer_;
    std::uint64_t chunk_ = 0;  // size of the current chunk, then bytes left of it
    std::uint64_t body_size_ = 0;
    std::size_t line_len_ = 0;     // bytes of the current chunk-size line
    std::size_t trailer_len_ = 0;  // bytes of the trailer section
    bool digits_ = false;
    State state_ = State::size;
    Errc error_ = Errc::ok;
};

/// The body of one response, framed as its head says.
///
///     auto body = weft::http::BodyDecoder::for_response(parser.head(), limits);
///     while (!body.done()) {
///         std::string_view in = ...next bytes from the socket (first: what feed() left)...;
///         if (in.empty()) { if (auto r = body.finish(); !r) ...; break; }   // end of stream
///         while (!in.empty() && !body.done()) {
///             auto step = body.decode(in);          // error: close the connection
///             sink(step->data);
///             in.remove_prefix(step->consumed);
///         }
///     }
class BodyDecoder {
public:
    /// No body: done at once.
    BodyDecoder() noexcept : BodyDecoder(BodyKind::none, 0, Limits{}) {}
    /// The decoder `head` calls for (its `body_kind()` and `content_length()`).
    static BodyDecoder for_response(const ResponseHead& head, const Limits& limits = {}) noexcept {
        return BodyDecoder(head.body_kind(), head.content_length(), limits);
    }
    /// Exactly `length` bytes (`decode` fails with body_too_large if above the limit).
    static BodyDecoder content_length(std::uint64_t length, const Limits& limits = {}) noexcept {
        return BodyDecoder(BodyKind::content_length, length, limits);
    }
    static BodyDecoder chunked(const Limits& limits = {}) noexcept {
        return BodyDecoder(BodyKind::chunked, 0, limits);
    }
    static BodyDecoder until_close(const Limits& limits = {}) noexcept {
        return BodyDecoder(BodyKind::until_close, 0, limits);
    }

    /// As `ChunkedDecoder::decode`, for any framing. For until-close every byte is body.
    Result<DecodeStep> decode(std::string_view input);
    /// True when the body is complete (never before `finish()` for until-close).
    bool done() const noexcept { return done_; }
    /// End of stream: success where the framing allows it (until-close, or already done),
    /// unexpected_eof where bytes are missing, or the sticky error.
    Result<void> finish();
    BodyKind kind() const noexcept { return kind_; }
    std::uint64_t body_size() const noexcept;

private:
    BodyDecoder(BodyKind kind, std::uint64_t length, const Limits& limits) noexcept;

    BodyKind kind_;
    bool done_ = false;
    Errc error_ = Errc::ok;
    std::uint64_t remaining_ = 0;  // content_length: bytes still expected
    std::uint64_t received_ = 0;   // content_length, until_close
    std::uint64_t max_body_;
    ChunkedDecoder chunked_;
};

}  // namespace weft::http
