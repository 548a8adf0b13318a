#pragma once

// weft's HTTP/1.1 support: the client (`weft::http::Client`) and its I/O-free building blocks:
// URL parsing, request serialization, the incremental response head parser and the body
// decoders, which can also be driven by hand:
//
//     #include <weft/http/http.hpp>
//
//     auto url = weft::http::Url::parse("http://example.com/").value();
//     std::string wire = weft::http::serialize_request("GET", url).value();
//     // ... write `wire`, then feed what is read to a weft::http::ResponseParser,
//     // and the bytes after the head to weft::http::BodyDecoder::for_response(parser.head()).

#include <weft/http/body.hpp>
#include <weft/http/client.hpp>
#include <weft/http/error.hpp>
#include <weft/http/error_kind.hpp>
#include <weft/http/field.hpp>
#include <weft/http/request.hpp>
#include <weft/http/response_parser.hpp>
#include <weft/http/url.hpp>
