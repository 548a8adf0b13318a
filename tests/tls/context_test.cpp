#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <weft/net/tcp_listener.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/tls/context.hpp>
#include <weft/tls/error.hpp>
#include <weft/tls/tls_stream.hpp>

#include "tls/test_certs.hpp"

namespace {

using weft::tls::ClientConfig;
using weft::tls::ClientContext;
using weft::tls::Errc;
using weft::tls::ServerConfig;
using weft::tls::ServerContext;

const weft_test::TestPki& pki() { return weft_test::test_pki(); }

template <class R>
std::error_code error_of(const R& result) {
    return result ? std::error_code{} : result.error();
}

TEST(TlsError, CategoryAndMessages) {
    std::error_code ec = Errc::hostname_mismatch;
    EXPECT_STREQ(ec.category().name(), "weft.tls");
    EXPECT_EQ(ec.message(), "TLS certificate does not match the host name");
    EXPECT_EQ(std::error_code(Errc::protocol_error).message(), "TLS protocol error");
    // Never confused with weft's own codes of the same value.
    EXPECT_NE(std::error_code(Errc::handshake_failed), std::error_code(weft::Errc::timed_out));
}

TEST(TlsContext, ClientWithTheSystemStore) {
    auto ctx = ClientContext::create();
    ASSERT_TRUE(ctx) << weft::tls::last_error_detail();
    EXPECT_TRUE(ctx->verify_peer());
    ClientConfig insecure;
    insecure.verify_peer = false;
    EXPECT_FALSE(ClientContext::create(insecure)->verify_peer());
}

TEST(TlsContext, MissingCaFileIsInvalidConfig) {
    ClientConfig config;
    config.ca_file = "/nonexistent/weft-test-ca.pem";
    EXPECT_EQ(error_of(ClientContext::create(config)), Errc::invalid_config);
    EXPECT_NE(weft::tls::last_error_detail().find("/nonexistent/weft-test-ca.pem"), std::string::npos)
        << weft::tls::last_error_detail();
}

TEST(TlsContext, GarbageCaPemIsInvalidConfig) {
    ClientConfig config;
    config.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
    EXPECT_EQ(error_of(ClientContext::create(config)), Errc::invalid_config);
    config.ca_pem = "no PEM here";
    EXPECT_EQ(error_of(ClientContext::create(config)), Errc::invalid_config);
}

TEST(TlsContext, ServerAcceptsALeafWithItsChain) {
    const auto& leaf = pki().localhost;
    EXPECT_TRUE(ServerContext::create({leaf.cert_pem, leaf.key_pem}));
    EXPECT_TRUE(ServerContext::create({leaf.cert_pem + pki().ca_pem, leaf.key_pem}))
        << weft::tls::last_error_detail();
}

TEST(TlsContext, ServerRejectsBadCertificateOrKey) {
    const auto& leaf = pki().localhost;
    EXPECT_EQ(error_of(ServerContext::create({"garbage", leaf.key_pem})), Errc::invalid_config);
    EXPECT_EQ(error_of(ServerContext::create({leaf.cert_pem, ""})), Errc::invalid_config);
    // A key that belongs to another certificate.
    EXPECT_EQ(error_of(ServerContext::create({leaf.cert_pem, pki().wrong_host.key_pem})),
              Errc::invalid_config);
    EXPECT_NE(weft::tls::last_error_detail().find("private_key_pem"), std::string::npos)
        << weft::tls::last_error_detail();
}

// The CA can also come from a file (as `weft-fetch --cacert` would pass it).
TEST(TlsContext, CaFileIsTrusted) {
    auto path =
        std::filesystem::temp_directory_path() / ("weft-tls-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(path) << pki().ca_pem;
    ClientConfig config;
    config.ca_file = path.string();
    auto client = ClientContext::create(config);
    std::filesystem::remove(path);
    ASSERT_TRUE(client) << weft::tls::last_error_detail();

    weft::Runtime rt;
    auto t = [](ClientContext client) -> weft::Task<std::error_code> {
        auto listener = weft::net::TcpListener::bind("127.0.0.1:0").value();
        auto port = listener.local_addr()->port();
        auto serve = [](weft::net::TcpListener listener) -> weft::Task<std::error_code> {
            auto conn = co_await listener.accept();
            if (!conn) co_return conn.error();
            auto server = ServerContext::create({pki().localhost.cert_pem, pki().localhost.key_pem}).value();
            co_return error_of(co_await weft::tls::TlsStream::accept(std::move(conn->first), server));
        };
        auto server = weft::spawn(serve(std::move(listener)));
        auto tcp = (co_await weft::net::TcpStream::connect("127.0.0.1", port)).value();
        auto tls = co_await weft::tls::TlsStream::connect(std::move(tcp), client, "localhost");
        auto served = co_await server;
        co_return error_of(tls) ? error_of(tls) : served.value_or(weft::Errc::cancelled);
    };
    EXPECT_EQ(rt.block_on(t(*client)), std::error_code{}) << weft::tls::last_error_detail();
}

// What the test PKI promises, checked with OpenSSL's verifier directly.
int verify(const std::string& leaf_pem, const char* host) {
    BIO* ca_bio = BIO_new_mem_buf(pki().ca_pem.data(), static_cast<int>(pki().ca_pem.size()));
    BIO* leaf_bio = BIO_new_mem_buf(leaf_pem.data(), static_cast<int>(leaf_pem.size()));
    X509* ca = PEM_read_bio_X509(ca_bio, nullptr, nullptr, nullptr);
    X509* leaf = PEM_read_bio_X509(leaf_bio, nullptr, nullptr, nullptr);
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, nullptr);
    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
    int result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
    BIO_free(leaf_bio);
    BIO_free(ca_bio);
    return result;
}

TEST(TlsTestCerts, LeavesAreWhatTheyClaim) {
    EXPECT_EQ(verify(pki().localhost.cert_pem, "localhost"), X509_V_OK);
    EXPECT_EQ(verify(pki().wrong_host.cert_pem, "wrong-host.example"), X509_V_OK);
    EXPECT_EQ(verify(pki().wrong_host.cert_pem, "localhost"), X509_V_ERR_HOSTNAME_MISMATCH);
    EXPECT_EQ(verify(pki().self_signed.cert_pem, "localhost"), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    EXPECT_EQ(verify(pki().expired.cert_pem, "localhost"), X509_V_ERR_CERT_HAS_EXPIRED);
    // Each call makes a new PKI; test_pki() makes one per process.
    EXPECT_NE(weft_test::make_test_pki().ca_pem, pki().ca_pem);
    EXPECT_EQ(&weft_test::test_pki(), &pki());
}

}  // namespace
