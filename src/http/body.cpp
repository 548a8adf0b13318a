#include <algorithm>
#include <limits>
#include <weft/http/body.hpp>

#include "http/chars.hpp"

namespace weft::http {

using detail::hex_value;
using detail::is_field_char;
using detail::is_ows;
using detail::is_tchar;

ChunkedDecoder::ChunkedDecoder(const Limits& limits) noexcept
    : max_body_(limits.max_body_size),
      max_line_(limits.max_chunk_line),
      max_trailer_(limits.max_trailer_size) {}

void ChunkedDecoder::reset() noexcept {
    chunk_ = 0;
    body_size_ = 0;
    line_len_ = 0;
    trailer_len_ = 0;
    digits_ = false;
    state_ = State::size;
    error_ = Errc::ok;
}

Result<DecodeStep> ChunkedDecoder::fail(Errc e) noexcept {
    error_ = e;
    state_ = State::failed;
    return http::fail(e);
}

Result<void> ChunkedDecoder::finish() const {
    if (state_ == State::done) return {};
    if (state_ == State::failed) return http::fail(error_);
    return http::fail(Errc::unexpected_eof);
}

Result<DecodeStep> ChunkedDecoder::decode(std::string_view in) {
    if (state_ == State::failed) return http::fail(error_);
    std::size_t i = 0;
    const std::size_t n = in.size();
    while (i < n && state_ != State::done) {
        const char c = in[i];
        switch (state_) {
            case State::size:
            case State::size_ws:
            case State::ext:
                // chunk-size [ chunk-ext ] CRLF, with chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
                if (c == '\r') {
                    if (!digits_ || state_ == State::size_ws) return fail(Errc::invalid_chunk);
                    state_ = State::size_lf;
                    ++i;
                    break;
                }
                if (++line_len_ > max_line_) return fail(Errc::chunk_header_too_large);
                if (state_ == State::size) {
                    int v = hex_value(c);
                    if (v >= 0) {
                        if (chunk_ > (std::numeric_limits<std::uint64_t>::max() >> 4))
                            return fail(Errc::invalid_chunk);  // chunk-size overflow
                        chunk_ = (chunk_ << 4) | static_cast<std::uint64_t>(v);
                        digits_ = true;
                    } else if (!digits_) {
                        return fail(Errc::invalid_chunk);
                    } else if (c == ';') {
                        state_ = State::ext;
                    } else if (is_ows(c)) {
                        state_ = State::size_ws;
                    } else {
                        return fail(Errc::invalid_chunk);
                    }
                } else if (state_ == State::size_ws) {
                    if (c == ';') {
                        state_ = State::ext;
                    } else if (!is_ows(c)) {
                        return fail(Errc::invalid_chunk);
                    }
                } else if (!is_field_char(c)) {  // ext: ignored, but no control characters
                    return fail(Errc::invalid_chunk);
                }
                ++i;
                break;
            case State::size_lf:
                if (c != '\n') return fail(Errc::invalid_chunk);
                ++i;
                line_len_ = 0;
                digits_ = false;
                if (chunk_ == 0) {
                    state_ = State::trailer_start;
                } else {
                    if (chunk_ > max_body_ - body_size_) return fail(Errc::body_too_large);
                    state_ = State::data;
                }
                break;
            case State::data: {
                auto take = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, n - i));
                DecodeStep step{i + take, in.substr(i, take)};
                chunk_ -= take;
                body_size_ += take;
                if (chunk_ == 0) state_ = State::data_cr;
                return step;
            }
            case State::data_cr:
                if (c != '\r') return fail(Errc::invalid_chunk);
                state_ = State::data_lf;
                ++i;
                break;
            case State::data_lf:
                if (c != '\n') return fail(Errc::invalid_chunk);
                state_ = State::size;
                ++i;
                break;
            case State::trailer_start:
            case State::trailer_name:
            case State::trailer_value:
            case State::trailer_lf:
            case State::final_lf:
                // trailer-section = *( field-line CRLF ); then the final CRLF.
                if (++trailer_len_ > max_trailer_) return fail(Errc::header_too_large);
                switch (state_) {
                    case State::trailer_start:
                        if (c == '\r') {
                            state_ = State::final_lf;
                        } else if (is_tchar(c)) {
                            state_ = State::trailer_name;
                        } else {
                            return fail(Errc::invalid_chunk);  // obs-fold, whitespace, ':' or garbage
                        }
                        break;
                    case State::trailer_name:
                        if (c == ':') {
                            state_ = State::trailer_value;
                        } else if (!is_tchar(c)) {
                            return fail(Errc::invalid_chunk);
                        }
                        break;
                    case State::trailer_value:
                        if (c == '\r') {
                            state_ = State::trailer_lf;
                        } else if (!is_field_char(c)) {
                            return fail(Errc::invalid_chunk);
                        }
                        break;
                    case State::trailer_lf:
                        if (c != '\n') return fail(Errc::invalid_chunk);
                        state_ = State::trailer_start;
                        break;
                    default:  // final_lf
                        if (c != '\n') return fail(Errc::invalid_chunk);
                        state_ = State::done;
                        break;
                }
                ++i;
                break;
            case State::done:
            case State::failed:
                break;  // unreachable: the loop condition and the check above exclude them
        }
    }
    return DecodeStep{i, {}};
}

BodyDecoder::BodyDecoder(BodyKind kind, std::uint64_t length, const Limits& limits) noexcept
    : kind_(kind), remaining_(length), max_body_(limits.max_body_size), chunked_(limits) {
    if (kind_ == BodyKind::none || (kind_ == BodyKind::content_length && length == 0)) done_ = true;
    if (kind_ == BodyKind::content_length && length > max_body_) {
        error_ = Errc::body_too_large;
        done_ = false;
    }
}

std::uint64_t BodyDecoder::body_size() const noexcept {
    return kind_ == BodyKind::chunked ? chunked_.body_size() : received_;
}

Result<DecodeStep> BodyDecoder::decode(std::string_view in) {
    if (error_ != Errc::ok) return fail(error_);
    if (done_) return DecodeStep{};
    switch (kind_) {
        case BodyKind::none:
            return DecodeStep{};
        case BodyKind::content_length: {
            auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
            remaining_ -= take;
            received_ += take;
            if (remaining_ == 0) done_ = true;
            return DecodeStep{take, in.substr(0, take)};
        }
        case BodyKind::chunked: {
            auto step = chunked_.decode(in);
            if (!step) {
                error_ = static_cast<Errc>(step.error().value());
                return step;
            }
            if (chunked_.done()) done_ = true;
            return step;
        }
        case BodyKind::until_close:
            if (in.size() > max_body_ - received_) {
                error_ = Errc::body_too_large;
                return fail(error_);
            }
            received_ += in.size();
            return DecodeStep{in.size(), in};
    }
    return DecodeStep{};
}

Result<void> BodyDecoder::finish() {
    if (error_ != Errc::ok) return fail(error_);
    if (done_) return {};
    if (kind_ == BodyKind::until_close) {
        done_ = true;
        return {};
    }
    error_ = Errc::unexpected_eof;
    return fail(error_);
}

}  // namespace weft::http
