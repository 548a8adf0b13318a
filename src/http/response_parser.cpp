#include <algorithm>
#include <cstring>
#include <limits>
#include <weft/http/response_parser.hpp>

#include "http/chars.hpp"

namespace weft::http {

using detail::for_each_list_element;
using detail::is_digit;
using detail::is_field_char;
using detail::is_ows;
using detail::is_tchar;
using detail::trim_ows;

namespace {

constexpr std::string_view kPrefix = "HTTP/";
// Spans are 32-bit offsets into the head; no head may be larger than that.
constexpr std::size_t kMaxHeadCap = std::numeric_limits<std::uint32_t>::max();

// Content-Length = 1*DIGIT, below 2^63 so that it fits an off_t.
constexpr std::uint64_t kMaxContentLength = std::numeric_limits<std::int64_t>::max();

bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (kMaxContentLength - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

/// Sizes the head's storage from the first bytes of a response, so that a head that arrives
/// whole (the usual case) is copied into one allocation and its fields into another, instead
/// of both growing by doubling: `data` is scanned up to the blank line that ends the head.
template <class Fields>  // the head's private vector of field spans
void reserve_for_head(std::string_view data, std::size_t max_head, std::size_t max_fields, std::string& raw,
                      Fields& fields) {
    std::size_t lines = 0, end = 0;
    for (std::size_t at = 0; at < data.size();) {
        const void* nl = std::memchr(data.data() + at, '\n', data.size() - at);
        if (!nl) break;
        std::size_t line_end = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
        const char first = data[at];
        bool blank = first == '\n' || (first == '\r' && line_end - at == 2);  // "\n" or "\r\n"
        at = line_end;
        if (blank && lines > 0) {
            end = at;
            break;
        }
        ++lines;
    }
    constexpr std::size_t unknown_head = 512;  // the head goes on in a later read
    raw.reserve(std::min(max_head, end ? end : std::max(unknown_head, data.size())));
    fields.reserve(std::min(max_fields, lines > 1 ? lines - 1 : 8));
}

}  // namespace

std::optional<std::string_view> ResponseHead::find(std::string_view name) const noexcept {
    for (const auto& f : fields_)
        if (iequals(view(f.name), name)) return view(f.value);
    return std::nullopt;
}

std::size_t ResponseHead::count(std::string_view name) const noexcept {
    std::size_t n = 0;
    for (const auto& f : fields_)
        if (iequals(view(f.name), name)) ++n;
    return n;
}

void ResponseHead::clear() noexcept {
    raw_.clear();
    fields_.clear();
    reason_ = {};
    status_ = 0;
    version_minor_ = 1;
    body_kind_ = BodyKind::none;
    keep_alive_ = false;
    content_length_ = 0;
    interim_ = 0;
}

ResponseParser::ResponseParser(Options options) : options_(options) {
    options_.limits.max_head_size = std::min(options_.limits.max_head_size, kMaxHeadCap);
}

void ResponseParser::reset() noexcept {
    head_.clear();
    line_start_ = 0;
    state_ = State::status_line;
    started_ = false;
    error_ = Errc::ok;
}

void ResponseParser::reset(Options options) noexcept {
    options_ = options;
    options_.limits.max_head_size = std::min(options_.limits.max_head_size, kMaxHeadCap);
    reset();
}

std::error_code ResponseParser::fail(Errc e) noexcept {
    error_ = e;
    state_ = State::failed;
    return make_error_code(e);
}

Result<void> ResponseParser::finish() const {
    if (state_ == State::done) return {};
    if (state_ == State::failed) return http::fail(error_);
    return http::fail(Errc::unexpected_eof);
}

Result<std::size_t> ResponseParser::feed(std::string_view data) {
    if (state_ == State::failed) return http::fail(error_);
    std::size_t used = 0;
    while (state_ != State::done && used < data.size()) {
        const char* begin = data.data() + used;
        std::size_t avail = data.size() - used;
        const void* nl = std::memchr(begin, '\n', avail);
        std::size_t n = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin) + 1 : avail;

        std::string& raw = head_.raw_;
        if (raw.empty() && raw.capacity() < avail && state_ == State::status_line)
            reserve_for_head(std::string_view(begin, avail), options_.limits.max_head_size,
                             options_.limits.max_headers, raw, head_.fields_);
        std::size_t room = options_.limits.max_head_size - raw.size();
        std::size_t take = std::min(n, room);
        std::size_t before = raw.size();
        raw.append(begin, take);
        started_ = true;

        // Reject a non-HTTP peer at its first bytes instead of buffering up to the head limit.
        if (state_ == State::status_line && before < kPrefix.size()) {
            std::size_t check = std::min(raw.size(), kPrefix.size());
            if (raw.compare(0, check, kPrefix, 0, check) != 0)
                return std::unexpected(fail(Errc::malformed_status_line));
        }
        if (take < n) return std::unexpected(fail(Errc::header_too_large));
        used += n;
        if (!nl) break;
        if (auto ec = on_line()) return std::unexpected(ec);
    }
    return used;
}

// A complete line ending in '\n' is at raw_[line_start_, raw_.size()).
std::error_code ResponseParser::on_line() {
    std::string& raw = head_.raw_;
    std::size_t offset = line_start_;
    std::string_view line(raw.data() + offset, raw.size() - offset - 1);
    line_start_ = raw.size();
    const Errc line_error =
        state_ == State::status_line ? Errc::malformed_status_line : Errc::malformed_header;
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    } else if (!options_.allow_bare_lf) {
        return fail(line_error);
    }
    if (line.find('\r') != std::string_view::npos) return fail(line_error);  // bare CR

    if (state_ == State::status_line) return parse_status_line(line);
    if (line.empty()) return end_of_head();
    return parse_field(offset, line);
}

std::error_code ResponseParser::parse_status_line(std::string_view line) {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    // HTTP-version = "HTTP/" DIGIT "." DIGIT
    if (line.size() < 8 || !line.starts_with(kPrefix) || !is_digit(line[5]) || line[6] != '.' ||
        !is_digit(line[7]))
        return fail(Errc::malformed_status_line);
    if (line[5] != '1') return fail(Errc::unsupported_version);
    head_.version_minor_ = line[7] - '0';
    if (line.size() < 12 || line[8] != ' ' || !is_digit(line[9]) || !is_digit(line[10]) ||
        !is_digit(line[11]))
        return fail(Errc::malformed_status_line);
    int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status < 100 || status > 599) return fail(Errc::malformed_status_line);
    head_.status_ = status;
    // The SP before an empty reason phrase is required by the grammar but often omitted.
    if (line.size() > 12) {
        if (line[12] != ' ') return fail(Errc::malformed_status_line);
        std::string_view reason = line.substr(13);
        for (char c : reason)
            if (!is_field_char(c)) return fail(Errc::malformed_status_line);
        head_.reason_ = {static_cast<std::uint32_t>(reason.data() - head_.raw_.data()),
                         static_cast<std::uint32_t>(reason.size())};
    } else {
        head_.reason_ = {};
    }
    state_ = State::fields;
    return {};
}

std::error_code ResponseParser::parse_field(std::size_t offset, std::string_view line) {
    // field-line = field-name ":" OWS field-value OWS; a leading SP/HTAB is obs-fold (or
    // whitespace between the start-line and the first field), both rejected.
    if (is_ows(line.front())) return fail(Errc::malformed_header);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(Errc::malformed_header);
    for (std::size_t i = 0; i < colon; ++i)
        if (!is_tchar(line[i])) return fail(Errc::malformed_header);  // includes SP before ':'
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value)
        if (!is_field_char(c)) return fail(Errc::malformed_header);
    if (head_.fields_.size() >= options_.limits.max_headers) return fail(Errc::too_many_headers);
    head_.fields_.push_back({{static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(colon)},
                             {static_cast<std::uint32_t>(value.data() - head_.raw_.data()),
                              static_cast<std::uint32_t>(value.size())}});
    return {};
}

std::error_code ResponseParser::end_of_head() {
    ResponseHead& h = head_;
    const int status = h.status_;
    if (status >= 100 && status < 200 && status != 101) {
        // Interim response: forget it and parse the next head from scratch.
        std::size_t interim = h.interim_ + 1;
        h.clear();
        h.interim_ = interim;
        line_start_ = 0;
        state_ = State::status_line;
        return {};
    }

    bool close = false, keep_alive_token = false;
    bool has_te = false, has_cl = false;
    for (Field f : h.headers()) {
        if (iequals(f.name, "connection")) {
            for_each_list_element(f.value, [&](std::string_view token) {
                if (iequals(token, "close")) close = true;
                if (iequals(token, "keep-alive")) keep_alive_token = true;
                return true;
            });
        } else if (iequals(f.name, "transfer-encoding")) {
            has_te = true;
        } else if (iequals(f.name, "content-length")) {
            has_cl = true;
        }
    }
    h.keep_alive_ = h.version_minor_ >= 1 ? !close : (keep_alive_token && !close);

    if (options_.head_request || status == 101 || status == 204 || status == 304) {
        h.body_kind_ = BodyKind::none;
        if (status == 101) h.keep_alive_ = false;
        state_ = State::done;
        return {};
    }

    if (has_te && has_cl) return fail(Errc::chunked_with_content_length);

    if (has_te) {
        if (h.version_minor_ == 0) return fail(Errc::invalid_transfer_encoding);
        // transfer-coding list across all Transfer-Encoding fields; weft decodes only chunked,
        // which must appear exactly once (and so last).
        int chunked = 0, codings = 0;
        Errc error = Errc::ok;
        for (Field f : h.headers()) {
            if (!iequals(f.name, "transfer-encoding")) continue;
            for_each_list_element(f.value, [&](std::string_view coding) {
                ++codings;
                if (!detail::is_token(coding)) {
                    error = Errc::invalid_transfer_encoding;  // parameters or garbage
                } else if (iequals(coding, "chunked")) {
                    if (++chunked > 1) error = Errc::invalid_transfer_encoding;
                } else {
                    error = Errc::unsupported_transfer_coding;
                }
                return error == Errc::ok;
            });
            if (error != Errc::ok) return fail(error);
        }
        if (codings == 0) return fail(Errc::invalid_transfer_encoding);
        h.body_kind_ = BodyKind::chunked;
        state_ = State::done;
        return {};
    }

    if (has_cl) {
        // Several values (fields, or "42, 42") are tolerated only when all identical
        // (RFC 9110 §8.6); every element must be 1*DIGIT.
        std::optional<std::uint64_t> length;
        for (Field f : h.headers()) {
            if (!iequals(f.name, "content-length")) continue;
            std::string_view list = f.value;
            while (true) {
                auto comma = list.find(',');
                std::uint64_t v = 0;
                if (!parse_decimal(trim_ows(list.substr(0, comma)), v))
                    return fail(Errc::invalid_content_length);
                if (length && *length != v) return fail(Errc::conflicting_content_length);
                length = v;
                if (comma == std::string_view::npos) break;
                list.remove_prefix(comma + 1);
            }
        }
        if (*length > options_.limits.max_body_size) return fail(Errc::body_too_large);
        h.body_kind_ = BodyKind::content_length;
        h.content_length_ = *length;
        state_ = State::done;
        return {};
    }

    h.body_kind_ = BodyKind::until_close;
    h.keep_alive_ = false;
    state_ = State::done;
    return {};
}

}  // namespace weft::http
