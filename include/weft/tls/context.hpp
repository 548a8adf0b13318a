#pragma once

#include <memory>
#include <string>
#include <weft/error.hpp>

namespace weft::tls {

namespace detail {
struct ContextState;
}

/// How a client verifies servers.
struct ClientConfig {
    /// Verify the server's chain and name. `false` accepts any certificate: the explicit
    /// insecure switch (`weft-fetch -k`), never a default.
    bool verify_peer = true;
    /// A PEM bundle of trusted CAs; empty = the system store.
    std::string ca_file;
    /// PEM text of extra trusted CAs, added to `ca_file` or the system store (tests use this).
    std::string ca_pem;
};

/// Client-side TLS settings (TLS 1.2 or 1.3, trust store, verification), shared by many
/// connections.
///
///     auto ctx = weft::tls::ClientContext::create().value();        // system CAs
///     auto tls = co_await weft::tls::TlsStream::connect(std::move(tcp), ctx, "example.com");
///
/// Cheap to copy (the copies share one immutable OpenSSL context) and safe to use from any
/// thread. Creating one loads the CA bundle, so make it once and reuse it.
class ClientContext {
public:
    /// Fails with `Errc::invalid_config` when `ca_file` or `ca_pem` cannot be loaded.
    static Result<ClientContext> create(const ClientConfig& config = {});

    bool verify_peer() const noexcept { return verify_peer_; }

private:
    friend class TlsStream;
    ClientContext(std::shared_ptr<const detail::ContextState> s, bool verify) noexcept
        : state_(std::move(s)), verify_peer_(verify) {}
    std::shared_ptr<const detail::ContextState> state_;
    bool verify_peer_ = true;
};

/// A server's certificate chain and private key, in PEM.
struct ServerConfig {
    /// The leaf certificate first, then any intermediates.
    std::string cert_chain_pem;
    std::string private_key_pem;
};

/// Server-side TLS settings: the certificate and key presented to clients. Cheap to copy and
/// safe to share between threads, like `ClientContext`. Clients are not asked for certificates
/// and no session tickets are issued.
///
///     auto ctx = weft::tls::ServerContext::create({cert_pem, key_pem}).value();
///     auto tls = co_await weft::tls::TlsStream::accept(std::move(conn), ctx);
class ServerContext {
public:
    /// Fails with `Errc::invalid_config` when the chain or key does not parse or they do not match.
    static Result<ServerContext> create(const ServerConfig& config);

private:
    friend class TlsStream;
    explicit ServerContext(std::shared_ptr<const detail::ContextState> s) noexcept : state_(std::move(s)) {}
    std::shared_ptr<const detail::ContextState> state_;
};

}  // namespace weft::tls
