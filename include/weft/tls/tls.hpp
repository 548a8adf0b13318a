#pragma once

// weft's TLS support (OpenSSL 3 underneath, never visible in these headers): contexts that
// hold trust and identity, and `TlsStream`, an `io::AsyncRead`/`io::AsyncWrite` over a
// `net::TcpStream`.
//
//     #include <weft/tls/tls.hpp>
//
//     auto ctx = weft::tls::ClientContext::create().value();
//     auto tcp = (co_await weft::net::TcpStream::connect("example.com", 443)).value();
//     auto tls = (co_await weft::tls::TlsStream::connect(std::move(tcp), ctx, "example.com")).value();

#include <weft/tls/context.hpp>
#include <weft/tls/error.hpp>
#include <weft/tls/tls_stream.hpp>
