#pragma once

// Incremental HTTP/1.1 response head parser (RFC 9112 §4-§6).
//
// Feed it the bytes read from a connection, in pieces of any size; it consumes the head
// (status line, header fields, empty line) and tells how many bytes it used, so that whatever
// follows in the same read is the start of the body. Interim 1xx responses (100 Continue,
// 103 Early Hints, ...) are skipped entirely. When the final head is complete it decides how the
// body is framed (`BodyKind`) and whether the connection may be reused (`keep_alive`).
//
// Strictness choices (each one an error, never a guess, because a client that guesses body
// framing differently from a proxy in front of it is how response smuggling works):
// - status line: `HTTP/1.<digit> SP 3DIGIT [SP reason]`, status 100..599; other major versions
//   are `unsupported_version`; the reason phrase may be empty or missing. HTTP/1.2..1.9 are
//   treated as 1.1 (RFC 9110 §2.5).
// - line endings: CRLF; a bare LF is ACCEPTED as a line terminator in the head by default
//   (RFC 9112 §2.2 allows it and real servers send it; it cannot change the framing), and can be
//   refused with `Options::allow_bare_lf = false`. A bare CR anywhere is an error. (The chunked
//   body decoder, by contrast, requires CRLF.)
// - fields: `token ":" OWS value OWS`. Whitespace before the colon, a line starting with
//   whitespace (obs-fold, RFC 9112 §5.2) and control characters in values are
//   `malformed_header`. Names are matched case-insensitively.
// - framing (RFC 9112 §6.3), in this order:
//   1. response to HEAD, 1xx (only 101 reaches here), 204, 304: no body, whatever the headers;
//   2. Transfer-Encoding and Content-Length both present: `chunked_with_content_length`;
//   3. Transfer-Encoding: must be exactly `chunked` (`unsupported_transfer_coding` for gzip and
//      others, `invalid_transfer_encoding` for a malformed list, chunked twice, or any
//      Transfer-Encoding in an HTTP/1.0 response) -> `BodyKind::chunked`;
//   4. Content-Length: every value (fields and comma-separated elements) must be the same
//      decimal number below 2^63 -> `BodyKind::content_length` (`body_too_large` above
//      `Limits::max_body_size`);
//   5. otherwise the body runs until the server closes the connection (`until_close`).
// - keep-alive: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection:
//   keep-alive`; never for an until-close body or a 101.
// - 101 Switching Protocols is returned as a final head (weft never asks for an upgrade, so the
//   caller should treat it as an error), with no body and keep_alive false.
//
// Cost: the head is copied once into a buffer the parser owns (grown geometrically, kept across
// `reset()`), each line is scanned once when its LF arrives, and each field costs one small
// record; feeding one byte at a time does not allocate per byte.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weft/error.hpp>
#include <weft/http/error.hpp>
#include <weft/http/field.hpp>

namespace weft::http {

/// How the body of a response is delimited.
///
///     if (parser.head().body_kind() == weft::http::BodyKind::until_close) { /* read to EOF */ }
enum class BodyKind : std::uint8_t {
    none,            ///< no body (HEAD, 1xx, 204, 304)
    content_length,  ///< exactly `content_length()` bytes
    chunked,         ///< chunked transfer coding; decode with `ChunkedDecoder` / `BodyDecoder`
    until_close,     ///< everything until the server closes the connection
};

/// A parsed response head. Owns its bytes; the views it hands out live as long as it does.
///
///     const weft::http::ResponseHead& head = parser.head();
///     if (head.status() == 200) {
///         auto type = head.find("content-type");           // std::optional<std::string_view>
///         for (weft::http::Field f : head.headers()) std::println("{}: {}", f.name, f.value);
///     }
class ResponseHead {
    struct Span {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };
    struct FieldSpan {
        Span name, value;
    };

public:
    /// The header fields in the order received, as `Field`s.
    class Headers {
    public:
        class iterator {
        public:
            using iterator_category = std::forward_iterator_tag;
            using value_type = Field;
            using difference_type = std::ptrdiff_t;
            using pointer = void;
            using reference = Field;

            iterator() = default;
            Field operator*() const noexcept { return head_->field_at(it_); }
            iterator& operator++() noexcept {
                ++it_;
                return *this;
            }
            iterator operator++(int) noexcept {
                auto copy = *this;
                ++it_;
                return copy;
            }
            friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.it_ == b.it_; }

        private:
            friend class Headers;
            iterator(const ResponseHead* head, std::vector<FieldSpan>::const_iterator it) noexcept
                : head_(head), it_(it) {}
            const ResponseHead* head_ = nullptr;
            std::vector<FieldSpan>::const_iterator it_{};
        };

        iterator begin() const noexcept { return {head_, head_->fields_.begin()}; }
        iterator end() const noexcept { return {head_, head_->fields_.end()}; }
        std::size_t size() const noexcept { return head_->fields_.size(); }
        bool empty() const noexcept { return head_->fields_.empty(); }
        Field operator[](std::size_t i) const noexcept { return head_->field_at(head_->fields_.begin() + i); }

    private:
        friend class ResponseHead;
        explicit Headers(const ResponseHead* head) noexcept : head_(head) {}
        const ResponseHead* head_;
    };

    /// Status code, 100..599.
    int status() const noexcept { return status_; }
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (2..9 for later 1.x, treated as 1.1).
    int version_minor() const noexcept { return version_minor_; }
    /// Reason phrase, possibly empty. Informational only (RFC 9112 §4: clients should ignore it).
    std::string_view reason() const noexcept { return view(reason_); }
    Headers headers() const noexcept { return Headers(this); }
    /// Value of the first field named `name` (case-insensitive), or nullopt.
    std::optional<std::string_view> find(std::string_view name) const noexcept;
    /// How many fields are named `name` (case-insensitive).
    std::size_t count(std::string_view name) const noexcept;

    BodyKind body_kind() const noexcept { return body_kind_; }
    /// The body length when `body_kind()` is `content_length`, else 0.
    std::uint64_t content_length() const noexcept { return content_length_; }
    /// Whether the connection may carry another request after this response's body.
    bool keep_alive() const noexcept { return keep_alive_; }
    /// How many interim (1xx) responses preceded this one and were skipped.
    std::size_t interim_responses() const noexcept { return interim_; }

private:
    friend class ResponseParser;

    std::string_view view(Span s) const noexcept { return std::string_view(raw_).substr(s.offset, s.length); }
    Field field_at(std::vector<FieldSpan>::const_iterator it) const noexcept {
        return {view(it->name), view(it->value)};
    }
    void clear() noexcept;

    std::string raw_;
    std::vector<FieldSpan> fields_;
    Span reason_;
    int status_ = 0;
    int version_minor_ = 1;
    BodyKind body_kind_ = BodyKind::none;
    bool keep_alive_ = false;
    std::uint64_t content_length_ = 0;
    std::size_t interim_ = 0;
};

/// Incremental response head parser; see the rules at the top of this header.
///
///     weft::http::ResponseParser parser;                   // or ({.head_request = true})
///     std::string_view buf = ...bytes read from the socket...;
///     auto used = parser.feed(buf);
///     if (!used) return std::unexpected(used.error());     // malformed: close the connection
///     if (parser.done()) {
///         buf.remove_prefix(*used);                        // the rest is body (or next response)
///         auto body = weft::http::BodyDecoder::for_response(parser.head());
///     }
///     // at end of stream before done(): parser.finish() is Errc::unexpected_eof
class ResponseParser {
public:
    /// Per-response settings.
    ///
    ///     weft::http::ResponseParser::Options o;
    ///     o.head_request = true;           // the request was HEAD
    ///     o.limits.max_head_size = 16384;
    ///     weft::http::ResponseParser parser(o);
    struct Options {
        /// Size and count limits (shared with the body decoders).
        Limits limits{};
        /// The request was HEAD: the response has no body whatever its headers say.
        bool head_request = false;
        /// Accept a bare LF as a line terminator in the head (RFC 9112 §2.2 MAY).
        bool allow_bare_lf = true;
    };

    ResponseParser() : ResponseParser(Options{}) {}
    explicit ResponseParser(Options options);

    /// Consumes bytes of the head from `data` and returns how many it used: all of `data` while
    /// the head is incomplete, the head's remaining bytes when it completes (`done()` is then
    /// true and `data[used..]` is body), 0 once done. Errors are sticky: after one, every call
    /// returns it again.
    Result<std::size_t> feed(std::string_view data);

    /// True once the final (non-1xx) head has been parsed.
    bool done() const noexcept { return state_ == State::done; }
    /// True once any byte of the response has been fed (an EOF before that is a server closing
    /// an idle keep-alive connection, which a client may retry).
    bool started() const noexcept { return started_; }
    /// To call at end of stream: success if `done()`, the sticky error if any, else
    /// `Errc::unexpected_eof`.
    Result<void> finish() const;

    /// The parsed head; complete only when `done()`.
    const ResponseHead& head() const noexcept { return head_; }
    /// Moves the head out (call after `done()`); the parser must then be `reset()` before reuse.
    ResponseHead take_head() noexcept { return std::move(head_); }

    /// Prepares for the next response on the same connection, keeping allocated buffers.
    void reset() noexcept;
    /// As `reset()`, with new options (e.g. the next request is a HEAD).
    void reset(Options options) noexcept;

    const Options& options() const noexcept { return options_; }

private:
    enum class State : std::uint8_t { status_line, fields, done, failed };

    std::error_code on_line();
    std::error_code parse_status_line(std::string_view line);
    std::error_code parse_field(std::size_t offset, std::string_view line);
    std::error_code end_of_head();
    std::error_code fail(Errc e) noexcept;

    Options options_;
    ResponseHead head_;
    std::size_t line_start_ = 0;
    State state_ = State::status_line;
    bool started_ = false;
    Errc error_ = Errc::ok;
};

}  // namespace weft::http
