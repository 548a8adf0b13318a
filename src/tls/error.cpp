#include <weft/tls/error.hpp>

#include "tls/openssl_util.hpp"

namespace weft::tls {
namespace {

class TlsCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "weft.tls"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::ok:
                return "success";
            case Errc::handshake_failed:
                return "TLS handshake failed";
            case Errc::certificate_verify_failed:
                return "TLS certificate verification failed";
            case Errc::hostname_mismatch:
                return "TLS certificate does not match the host name";
            case Errc::protocol_error:
                return "TLS protocol error";
            case Errc::invalid_config:
                return "invalid TLS configuration";
            case Errc::closed:
                return "TLS connection already shut down";
        }
        return "unknown weft.tls error";
    }
};

thread_local std::string last_detail;

}  // namespace

const std::error_category& error_category() noexcept {
    static const TlsCategory category;
    return category;
}

std::string last_error_detail() { return last_detail; }

namespace detail {
std::unexpected<std::error_code> fail(Errc e, std::string detail) {
    last_detail = std::move(detail);
    return std::unexpected(make_error_code(e));
}
}  // namespace detail

}  // namespace weft::tls
