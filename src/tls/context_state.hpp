#pragma once

#include "tls/openssl_util.hpp"

namespace weft::tls::detail {

/// The OpenSSL context behind a ClientContext or ServerContext; never modified once built,
/// which is what makes sharing it between threads safe.
struct ContextState {
    SslCtxPtr ctx;
};

}  // namespace weft::tls::detail
