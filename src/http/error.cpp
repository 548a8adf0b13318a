#include <weft/http/error.hpp>

namespace weft::http {
namespace {

class HttpCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "weft.http"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::ok:
                return "success";
            case Errc::invalid_url:
                return "invalid URL";
            case Errc::unsupported_scheme:
                return "unsupported URL scheme (only http and https)";
            case Errc::malformed_status_line:
                return "malformed HTTP status line";
            case Errc::unsupported_version:
                return "unsupported HTTP version (only HTTP/1.x)";
            case Errc::malformed_header:
                return "malformed HTTP header field";
            case Errc::header_too_large:
                return "HTTP header section too large";
            case Errc::too_many_headers:
                return "too many HTTP header fields";
            case Errc::invalid_content_length:
                return "invalid Content-Length";
            case Errc::conflicting_content_length:
                return "conflicting Content-Length values";
            case Errc::chunked_with_content_length:
                return "both Transfer-Encoding and Content-Length (ambiguous framing)";
            case Errc::invalid_transfer_encoding:
                return "invalid Transfer-Encoding";
            case Errc::unsupported_transfer_coding:
                return "unsupported transfer coding (only chunked)";
            case Errc::invalid_chunk:
                return "malformed chunked body";
            case Errc::chunk_header_too_large:
                return "chunk-size line too long";
            case Errc::body_too_large:
                return "HTTP body exceeds the size limit";
            case Errc::unexpected_eof:
                return "connection closed before the HTTP message was complete";
            case Errc::invalid_method:
                return "invalid HTTP method";
            case Errc::invalid_target:
                return "invalid HTTP request target";
            case Errc::invalid_request_header:
                return "invalid HTTP request header field";
            case Errc::connect_timeout:
                return "connection not established within the connect timeout";
            case Errc::unexpected_upgrade:
                return "unexpected 101 Switching Protocols response";
        }
        return "unknown weft.http error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const HttpCategory category;
    return category;
}

}  // namespace weft::http
