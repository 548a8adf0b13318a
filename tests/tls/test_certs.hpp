#pragma once

// Test certificates, generated in memory at test time (OpenSSL API: no files, no `openssl`
// command). Keys are ECDSA P-256, so making a whole PKI takes a few milliseconds.
//
//     const weft_test::TestPki& pki = weft_test::test_pki();   // made once per process
//     auto server = weft::tls::ServerContext::create({pki.localhost.cert_pem, pki.localhost.key_pem});
//     auto client = weft::tls::ClientContext::create({.ca_pem = pki.ca_pem});
//
// Every leaf except `self_signed` is signed by the CA in `ca_pem`:
//
// - `localhost`:   DNS:localhost and IP:127.0.0.1, valid now: the good case;
// - `wrong_host`:  DNS:wrong-host.example only: verifies, then fails the name check;
// - `self_signed`: DNS:localhost and IP:127.0.0.1 but signed by its own key: unknown issuer;
// - `expired`:     DNS:localhost and IP:127.0.0.1, validity ended yesterday.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace weft_test {

/// A certificate and its private key, in PEM.
struct TestCert {
    std::string cert_pem;
    std::string key_pem;
};

/// A CA and leaf certificates for TLS tests (see the top of this file).
struct TestPki {
    std::string ca_pem;  ///< the CA certificate: trust it with `ClientConfig::ca_pem`
    TestCert localhost;
    TestCert wrong_host;
    TestCert self_signed;
    TestCert expired;
};

namespace test_certs_detail {

struct KeyFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct CertFree {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

inline void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test_certs: ") + what + " failed");
}

inline KeyPtr make_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

inline void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(ext);
}

/// A certificate for `key` named `cn`, valid from `from_s` to `to_s` seconds from now, signed by
/// `issuer`/`issuer_key` (or self-signed when `issuer` is null). `san` empty: a CA certificate.
inline CertPtr make_cert(EVP_PKEY* key, const char* cn, const char* san, X509* issuer, EVP_PKEY* issuer_key,
                         long from_s, long to_s, long serial) {
    CertPtr cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509* c = cert.get();
    check(X509_set_version(c, 2) == 1, "X509_set_version");  // v3
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
    X509_gmtime_adj(X509_getm_notBefore(c), from_s);
    X509_gmtime_adj(X509_getm_notAfter(c), to_s);
    check(X509_set_pubkey(c, key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("weft tests"),
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1,
                               0);
    X509* signer = issuer ? issuer : c;
    check(X509_set_issuer_name(c, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");
    add_ext(c, signer, NID_subject_key_identifier, "hash");
    if (issuer) add_ext(c, signer, NID_authority_key_identifier, "keyid:always");
    if (*san == '\0') {
        add_ext(c, signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(c, signer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(c, signer, NID_key_usage, "critical,digitalSignature");
        add_ext(c, signer, NID_ext_key_usage, "serverAuth");
        add_ext(c, signer, NID_subject_alt_name, san);
    }
    check(X509_sign(c, issuer ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

inline std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

inline std::string cert_pem(X509* cert) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    return bio_text(bio.get());
}

inline std::string key_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    return bio_text(bio.get());
}

}  // namespace test_certs_detail

/// Generates a fresh CA and leaves (a few milliseconds). Throws std::runtime_error on failure.
inline TestPki make_test_pki() {
    namespace d = test_certs_detail;
    constexpr long day = 24 * 60 * 60;
    const char* local_san = "DNS:localhost,IP:127.0.0.1";
    TestPki pki;
    d::KeyPtr ca_key = d::make_key();
    d::CertPtr ca = d::make_cert(ca_key.get(), "weft test CA", "", nullptr, nullptr, -day, 30 * day, 1);
    pki.ca_pem = d::cert_pem(ca.get());
    auto leaf = [&](const char* cn, const char* san, bool self_signed, long from_s, long to_s, long serial) {
        d::KeyPtr key = d::make_key();
        d::CertPtr cert =
            self_signed ? d::make_cert(key.get(), cn, san, nullptr, nullptr, from_s, to_s, serial)
                        : d::make_cert(key.get(), cn, san, ca.get(), ca_key.get(), from_s, to_s, serial);
        return TestCert{d::cert_pem(cert.get()), d::key_pem(key.get())};
    };
    pki.localhost = leaf("localhost", local_san, false, -day, 30 * day, 2);
    pki.wrong_host = leaf("wrong-host.example", "DNS:wrong-host.example", false, -day, 30 * day, 3);
    pki.self_signed = leaf("localhost", local_san, true, -day, 30 * day, 4);
    pki.expired = leaf("localhost", local_san, false, -3 * day, -day, 5);
    return pki;
}

/// One PKI per test process, made on first use (thread-safe).
inline const TestPki& test_pki() {
    static const TestPki pki = make_test_pki();
    return pki;
}

}  // namespace weft_test
