#pragma once

// Private helpers shared by weft's TLS sources: OpenSSL owners and error reporting.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <weft/tls/error.hpp>

namespace weft::tls::detail {

struct SslCtxFree {
    void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct BioFree {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

/// Records `detail` as this thread's `last_error_detail()` and returns the error `e`.
std::unexpected<std::error_code> fail(Errc e, std::string detail);

/// OpenSSL's error queue as one line ("reason; reason"), then clears it. `fallback` when empty.
inline std::string take_openssl_errors(const char* fallback) {
    std::string out;
    while (unsigned long code = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        const char* reason = ERR_reason_error_string(code);
        if (!out.empty()) out += "; ";
        out += reason ? reason : buf;
    }
    return out.empty() ? std::string(fallback) : out;
}

}  // namespace weft::tls::detail
