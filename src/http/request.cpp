#include <weft/http/request.hpp>

#include "http/chars.hpp"

namespace weft::http {
namespace {

using detail::is_field_char;
using detail::is_token;

// No SP, no control characters, no DEL; non-empty.
bool is_visible(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return false;
    }
    return true;
}

bool is_field_value(std::string_view s) noexcept {
    for (char c : s)
        if (!is_field_char(c)) return false;
    return true;
}

}  // namespace

Result<void> serialize_request(const RequestView& req, std::string& out) {
    if (!is_token(req.method)) return fail(Errc::invalid_method);
    if (!is_visible(req.target)) return fail(Errc::invalid_target);
    if (!is_visible(req.host)) return fail(Errc::invalid_request_header);

    constexpr std::string_view kCrlf = "\r\n";
    std::size_t size = req.method.size() + 1 + req.target.size() + 1 + 8 + 2  // request line
                       + 6 + req.host.size() + 2                              // Host
                       + 2;                                                   // empty line
    for (const Field& f : req.headers) {
        if (!is_token(f.name) || !is_field_value(f.value)) return fail(Errc::invalid_request_header);
        if (iequals(f.name, "host") || iequals(f.name, "content-length") ||
            iequals(f.name, "transfer-encoding"))
            return fail(Errc::invalid_request_header);
        size += f.name.size() + 2 + f.value.size() + 2;
    }
    std::string length;
    if (req.body) {
        length = std::to_string(req.body->size());
        size += 16 + length.size() + 2 + req.body->size();
    }

    out.reserve(out.size() + size);
    out.append(req.method).append(" ").append(req.target).append(" HTTP/1.1").append(kCrlf);
    out.append("Host: ").append(req.host).append(kCrlf);
    for (const Field& f : req.headers) out.append(f.name).append(": ").append(f.value).append(kCrlf);
    if (req.body) out.append("Content-Length: ").append(length).append(kCrlf);
    out.append(kCrlf);
    if (req.body) out.append(*req.body);
    return {};
}

Result<std::string> serialize_request(const RequestView& req) {
    std::string out;
    if (auto r = serialize_request(req, out); !r) return std::unexpected(r.error());
    return out;
}

Result<std::string> serialize_request(std::string_view method, const Url& url, std::span<const Field> headers,
                                      std::optional<std::string_view> body) {
    std::string target = url.target();
    std::string host = url.authority();
    return serialize_request(
        RequestView{.method = method, .target = target, .host = host, .headers = headers, .body = body});
}

}  // namespace weft::http
