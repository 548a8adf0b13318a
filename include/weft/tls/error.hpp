#pragma once

// Errors of weft's TLS layer (category "weft.tls").
//
// Handshake, read and write failures are `weft::tls::Errc` codes; OS errors of the underlying
// socket (ECONNRESET, ...) keep their system codes. The code says what kind of failure it was;
// `last_error_detail()` has OpenSSL's reason ("certificate has expired", "wrong version
// number", ...) for messages.
//
//     auto tls = co_await weft::tls::TlsStream::connect(std::move(tcp), ctx, "example.com");
//     if (!tls && tls.error() == weft::tls::Errc::hostname_mismatch) { ... }
//     if (!tls) std::println("{}: {}", tls.error().message(), weft::tls::last_error_detail());

#include <string>
#include <system_error>
#include <weft/error.hpp>

namespace weft::tls {

/// What went wrong in a TLS handshake or on an established TLS connection.
enum class Errc {
    ok = 0,
    handshake_failed = 1,       ///< the handshake failed (not TLS, no common protocol, peer closed, alert...)
    certificate_verify_failed,  ///< the peer's chain does not verify (unknown CA, self-signed, expired...)
    hostname_mismatch,          ///< the certificate is valid but not for the name or IP address asked for
    protocol_error,             ///< after the handshake: a bad record, an alert, or EOF without close_notify
    invalid_config,             ///< unusable certificate, key or CA bundle, or a missing server name
    closed,                     ///< write after `shutdown()` (close_notify already sent)
};

/// The "weft.tls" error category.
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), weft::tls::error_category()};
}

/// OpenSSL's reason for the most recent TLS failure reported on this thread, e.g. "unexpected
/// EOF (no close_notify)" or "certificate verify failed: certificate has expired"; empty when
/// none. Read it right after the `co_await` that failed, before the task suspends again.
std::string last_error_detail();

}  // namespace weft::tls

template <>
struct std::is_error_code_enum<weft::tls::Errc> : std::true_type {};
