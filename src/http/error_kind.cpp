#include <cerrno>
#include <string_view>
#include <weft/error.hpp>
#include <weft/http/error.hpp>
#include <weft/http/error_kind.hpp>

namespace weft::http {

ErrorKind classify(const std::error_code& ec) noexcept {
    if (!ec) return ErrorKind::none;
    const std::error_category& cat = ec.category();
    if (cat == weft::error_category()) {
        switch (static_cast<weft::Errc>(ec.value())) {
            case weft::Errc::timed_out:
                return ErrorKind::timeout;
            case weft::Errc::cancelled:
                return ErrorKind::cancelled;
            case weft::Errc::resolve_failed:
                return ErrorKind::dns;
            default:
                return ErrorKind::io;
        }
    }
    if (cat == http::error_category()) {
        switch (static_cast<Errc>(ec.value())) {
            case Errc::connect_timeout:
                return ErrorKind::connect_timeout;
            case Errc::header_too_large:
            case Errc::too_many_headers:
            case Errc::body_too_large:
            case Errc::chunk_header_too_large:
                return ErrorKind::too_large;
            case Errc::invalid_url:
            case Errc::unsupported_scheme:
            case Errc::invalid_method:
            case Errc::invalid_target:
            case Errc::invalid_request_header:
                return ErrorKind::invalid_request;
            default:
                return ErrorKind::protocol;
        }
    }
    // By name: the TLS layer's category lives in its own translation unit.
    if (std::string_view(cat.name()) == "weft.tls") return ErrorKind::tls;
    if (cat == std::system_category() || cat == std::generic_category()) {
        switch (ec.value()) {
            case ECONNREFUSED:
            case EHOSTUNREACH:
            case ENETUNREACH:
            case EADDRNOTAVAIL:
                return ErrorKind::connect_refused;
            case ETIMEDOUT:
                return ErrorKind::connect_timeout;
            case ECONNRESET:
            case ECONNABORTED:
            case EPIPE:
                return ErrorKind::reset;
            default:
                return ErrorKind::io;
        }
    }
    return ErrorKind::io;
}

}  // namespace weft::http
