#include <openssl/pem.h>
#include <openssl/x509.h>

#include <weft/tls/context.hpp>

#include "tls/context_state.hpp"

namespace weft::tls {
namespace {

using detail::BioPtr;
using detail::fail;
using detail::SslCtxPtr;
using detail::take_openssl_errors;

BioPtr pem_bio(const std::string& pem) {
    return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Settings both sides share: TLS 1.2 at least, and the modes that suit memory BIOs (a write
// is reported as soon as one record is accepted; idle connections release their buffers).
Result<SslCtxPtr> new_context(const SSL_METHOD* method) {
    SslCtxPtr ctx(SSL_CTX_new(method));
    if (!ctx) return fail(Errc::invalid_config, take_openssl_errors("SSL_CTX_new failed"));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

Result<void> add_ca_pem(SSL_CTX* ctx, const std::string& pem) {
    BioPtr bio = pem_bio(pem);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        int ok = X509_STORE_add_cert(store, cert);
        X509_free(cert);
        if (!ok)
            return fail(Errc::invalid_config, "ca_pem: " + take_openssl_errors("cannot add certificate"));
        ++added;
    }
    // The loop ends on "no start line" once the text runs out: only an error when nothing parsed.
    if (added == 0) return fail(Errc::invalid_config, "ca_pem: " + take_openssl_errors("no certificate"));
    ERR_clear_error();
    return {};
}

}  // namespace

Result<ClientContext> ClientContext::create(const ClientConfig& config) {
    ERR_clear_error();
    auto ctx = new_context(TLS_client_method());
    if (!ctx) return std::unexpected(ctx.error());
    SSL_CTX* raw = ctx->get();
    SSL_CTX_set_verify(raw, config.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (config.verify_peer) {
        if (!config.ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(raw, config.ca_file.c_str(), nullptr) != 1)
                return fail(Errc::invalid_config,
                            config.ca_file + ": " + take_openssl_errors("cannot load CA file"));
        } else if (SSL_CTX_set_default_verify_paths(raw) != 1) {
            return fail(Errc::invalid_config, take_openssl_errors("cannot load the system CA store"));
        }
        if (!config.ca_pem.empty()) {
            if (auto r = add_ca_pem(raw, config.ca_pem); !r) return std::unexpected(r.error());
        }
    }
    auto state = std::make_shared<detail::ContextState>(std::move(*ctx));
    return ClientContext(std::move(state), config.verify_peer);
}

Result<ServerContext> ServerContext::create(const ServerConfig& config) {
    ERR_clear_error();
    auto ctx = new_context(TLS_server_method());
    if (!ctx) return std::unexpected(ctx.error());
    SSL_CTX* raw = ctx->get();
    // No resumption: nothing to gain for weft's servers (tests, local tools), and tickets sent
    // after the handshake would sit unread in clients that only write.
    SSL_CTX_set_num_tickets(raw, 0);

    BioPtr chain = pem_bio(config.cert_chain_pem);
    X509* leaf = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr);
    if (!leaf) return fail(Errc::invalid_config, "cert_chain_pem: " + take_openssl_errors("no certificate"));
    int ok = SSL_CTX_use_certificate(raw, leaf);
    X509_free(leaf);
    if (ok != 1)
        return fail(Errc::invalid_config, "cert_chain_pem: " + take_openssl_errors("unusable certificate"));
    while (X509* intermediate = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)) {
        if (SSL_CTX_add0_chain_cert(raw, intermediate) != 1) {  // takes ownership on success only
            X509_free(intermediate);
            return fail(Errc::invalid_config,
                        "cert_chain_pem: " + take_openssl_errors("unusable intermediate"));
        }
    }
    ERR_clear_error();  // the "no start line" that ended the loop

    BioPtr key_bio = pem_bio(config.private_key_pem);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
    if (!key) return fail(Errc::invalid_config, "private_key_pem: " + take_openssl_errors("no private key"));
    ok = SSL_CTX_use_PrivateKey(raw, key);
    EVP_PKEY_free(key);
    if (ok != 1 || SSL_CTX_check_private_key(raw) != 1)
        return fail(Errc::invalid_config,
                    "private_key_pem: " + take_openssl_errors("key does not match the certificate"));
    return ServerContext(std::make_shared<detail::ContextState>(std::move(*ctx)));
}

}  // namespace weft::tls
