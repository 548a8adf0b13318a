#include "http/request_parser.hpp"

#include <cstring>
#include <weft/http/field.hpp>

#include "http/chars.hpp"

namespace weft::http::detail {

namespace {

/// Where the head ends (just past its empty line), searching from `scanned`; 0 if not yet.
std::size_t find_head_end(std::string_view buf, std::size_t lead, std::size_t& scanned) noexcept {
    std::size_t i = scanned < lead ? lead : scanned;
    while (i < buf.size()) {
        const void* lf = std::memchr(buf.data() + i, '\n', buf.size() - i);
        if (lf == nullptr) {
            scanned = buf.size();
            return 0;
        }
        i = static_cast<std::size_t>(static_cast<const char*>(lf) - buf.data());
        // An empty line follows this LF: "\r\n" (or a bare "\n", which line checks reject).
        if (i + 1 >= buf.size() || (buf[i + 1] == '\r' && i + 2 >= buf.size())) {
            scanned = i;  // undecided: look at this LF again with more bytes
            return 0;
        }
        if (buf[i + 1] == '\n') return i + 2;
        if (buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
        ++i;
    }
    scanned = i;
    return 0;
}

bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.size() > 18) return false;  // 18 digits cannot overflow 63 bits
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

/// Reduces an absolute-form target ("http://host/path?q") to its path and query. The
/// asterisk-form ("OPTIONS * HTTP/1.1") is kept as it is, and only for OPTIONS (RFC 9112 §3.2.4).
bool origin_form(std::string_view method, std::string_view& target) noexcept {
    if (target.front() == '/') return true;
    std::size_t skip = 0;
    if (target.size() >= 7 && iequals(target.substr(0, 7), "http://"))
        skip = 7;
    else if (target.size() >= 8 && iequals(target.substr(0, 8), "https://"))
        skip = 8;
    else
        return target == "*" && method == "OPTIONS";
    auto slash = target.find('/', skip);
    auto query = target.find('?', skip);
    if (query < slash) return false;  // "http://host?q": no path to point into
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    return true;
}

RequestStatus parse_request_line(std::string_view line, RequestHead& out) noexcept {
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return RequestStatus::bad_request;
    out.method = line.substr(0, sp1);
    if (!is_token(out.method)) return RequestStatus::bad_request;
    auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return RequestStatus::bad_request;
    out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (out.target.empty()) return RequestStatus::bad_request;
    for (char c : out.target) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return RequestStatus::bad_request;
    }
    if (!origin_form(out.method, out.target)) return RequestStatus::bad_request;
    std::string_view version = line.substr(sp2 + 1);
    if (version.size() != 8 || !version.starts_with("HTTP/") || !is_digit(version[5]) || version[6] != '.' ||
        !is_digit(version[7]))
        return RequestStatus::bad_request;
    if (version[5] != '1') return RequestStatus::version_unsupported;
    out.version_minor = version[7] - '0';
    return RequestStatus::complete;
}

}  // namespace

RequestParse parse_request_head(std::string_view buf, std::size_t& scanned, std::size_t max_head,
                                RequestHead& out) noexcept {
    // Empty lines before the request line are skipped (RFC 9112 §2.2): some clients send a
    // stray CRLF after a body.
    std::size_t lead = 0;
    while (lead < buf.size() && buf[lead] == '\r') {
        if (lead + 1 >= buf.size()) return {};
        if (buf[lead + 1] != '\n') return {RequestStatus::bad_request};
        lead += 2;
        if (lead > max_head) return {RequestStatus::too_large};
    }
    if (lead < buf.size() && buf[lead] == '\n') return {RequestStatus::bad_request};

    std::size_t end = find_head_end(buf, lead, scanned);
    if (end == 0) {
        if (buf.size() - lead > max_head) return {RequestStatus::too_large};
        return {};
    }
    if (end - lead > max_head) return {RequestStatus::too_large};

    out = RequestHead{};
    bool close = false, keep_alive = false, have_length = false;
    int hosts = 0;
    std::size_t fields = 0;
    RequestStatus status = RequestStatus::complete;
    std::size_t pos = lead;
    bool first = true;
    for (;;) {
        auto lf = buf.find('\n', pos);  // found: the head ends in an empty line
        if (lf == pos || buf[lf - 1] != '\r') return {RequestStatus::bad_request};  // bare LF
        std::string_view line = buf.substr(pos, lf - 1 - pos);
        pos = lf + 1;
        if (line.find('\r') != std::string_view::npos) return {RequestStatus::bad_request};
        if (first) {
            first = false;
            status = parse_request_line(line, out);
            if (status != RequestStatus::complete) return {status};
            continue;
        }
        if (line.empty()) break;
        if (++fields > kMaxRequestFields) return {RequestStatus::too_large};
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return {RequestStatus::bad_request};
        std::string_view name = line.substr(0, colon);  // obs-fold and "name :" fail is_token
        std::string_view value = trim_ows(line.substr(colon + 1));
        if (!is_token(name)) return {RequestStatus::bad_request};
        for (char c : value)
            if (!is_field_char(c)) return {RequestStatus::bad_request};

        if (iequals(name, "content-length")) {
            bool ok = for_each_list_element(value, [&](std::string_view v) {
                std::uint64_t n = 0;
                if (!parse_decimal(v, n) || (have_length && n != out.content_length)) return false;
                have_length = true;
                out.content_length = n;
                return true;
            });
            if (!ok || !have_length) return {RequestStatus::bad_request};
        } else if (iequals(name, "transfer-encoding")) {
            bool any = false;
            bool ok = for_each_list_element(value, [&](std::string_view v) {
                any = true;
                if (!iequals(v, "chunked")) {
                    status = is_token(v) ? RequestStatus::not_implemented : RequestStatus::bad_request;
                    return false;
                }
                if (out.chunked) {
                    status = RequestStatus::bad_request;  // chunked twice
                    return false;
                }
                out.chunked = true;
                return true;
            });
            if (!ok) return {status};
            if (!any) return {RequestStatus::bad_request};
        } else if (iequals(name, "connection")) {
            for_each_list_element(value, [&](std::string_view v) {
                if (iequals(v, "close"))
                    close = true;
                else if (iequals(v, "keep-alive"))
                    keep_alive = true;
                return true;
            });
        } else if (iequals(name, "host")) {
            ++hosts;
        } else if (iequals(name, "expect")) {
            out.expect_continue = iequals(value, "100-continue");
        }
    }

    if (out.chunked && (have_length || out.version_minor == 0)) return {RequestStatus::bad_request};
    if (hosts > 1 || (hosts == 0 && out.version_minor >= 1)) return {RequestStatus::bad_request};
    out.keep_alive = out.version_minor >= 1 ? !close : keep_alive && !close;
    return {RequestStatus::complete, end};
}

}  // namespace weft::http::detail
