#pragma once

// An HTTP/1.1 client over weft's TCP streams and TLS: keep-alive connections pooled per origin
// with a per-origin limit, connect and total timeouts, bodies collected with a size cap or
// streamed to a sink, and every failure a classified error (see error_kind.hpp), never a crash.
//
// What it does not do (yet): redirects (3xx responses are returned as they are), request body
// streaming, HTTP/2, proxies, cookies, decompression (it sends no Accept-Encoding).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <weft/error.hpp>
#include <weft/http/error.hpp>
#include <weft/http/error_kind.hpp>
#include <weft/http/field.hpp>
#include <weft/http/response_parser.hpp>
#include <weft/http/url.hpp>
#include <weft/task.hpp>

namespace weft::http {

/// Settings of a `Client`, fixed at construction.
///
///     weft::http::ClientOptions o;
///     o.timeout = std::chrono::seconds(5);
///     o.max_connections_per_host = 8;
///     weft::http::Client client(o);
struct ClientOptions {
    /// Time to establish a connection (name resolution, TCP connect, TLS handshake).
    std::chrono::milliseconds connect_timeout{10'000};
    /// Time for the whole request: waiting for a connection slot, connecting, sending, and
    /// receiving the whole response (a retried stale connection included). Exceeding it is
    /// `weft::Errc::timed_out` (`ErrorKind::timeout`).
    std::chrono::milliseconds timeout{30'000};
    /// Connections to one origin (scheme, host, port) in use at once; further requests to it
    /// wait, in arrival order. Idle pooled connections do not count.
    std::size_t max_connections_per_host = 32;
    /// Keep connections alive and reuse them (the default). False: one connection per
    /// request, sent with `Connection: close`.
    bool keep_alive = true;
    /// Idle connections older than this are not reused (and are closed when the client
    /// next pools a connection).
    std::chrono::milliseconds idle_timeout{60'000};
    /// Idle connections kept across all origins; when full, the oldest is closed to make room
    /// (0: none are kept). A crawler visiting many hosts keeps at most this many sockets open
    /// beyond the requests in flight.
    std::size_t max_idle_connections = 256;
    /// Skip TLS certificate and host name verification (weft-fetch -k). Dangerous.
    bool insecure = false;
    /// Extra trusted CA certificates in PEM (in addition to the system store).
    std::string ca_pem;
    /// Limits for response heads and bodies; `max_body_size` caps collected bodies.
    Limits limits{};
    /// Sent as `User-Agent` unless the request has its own (empty: none).
    std::string user_agent = "weft/0.1";
};

/// A request to send. Header names and values are validated when it is sent: no caller string
/// can inject a header or a second request.
///
///     auto req = weft::http::Request::get("http://127.0.0.1:8080/hello").value();
///     req.headers.push_back({"Accept", "text/plain"});
///     auto post = weft::http::Request::make("POST", "http://h/api").value();
///     post.body = R"({"a":1})";
struct Request {
    explicit Request(Url target, std::string verb = "GET")
        : method(std::move(verb)), url(std::move(target)) {}

    std::string method;
    Url url;
    std::vector<std::pair<std::string, std::string>> headers;
    /// When set (even empty) it is sent with a Content-Length.
    std::optional<std::string> body;

    static Result<Request> make(std::string method, std::string_view url);
    static Result<Request> get(std::string_view url) { return make("GET", url); }
    /// Whether resending it after a failure cannot cause a second effect (RFC 9110 §9.2.2).
    bool is_idempotent() const noexcept;
};

/// A request serialized once, to be sent many times by the client that prepared it (a load
/// generator, a poller): each send skips building the head and the origin key again. Cheap to
/// copy (it shares its bytes); immutable, so any number of tasks may send it at once.
///
///     auto req = weft::http::Request::get("http://127.0.0.1:8080/").value();
///     weft::http::PreparedRequest ping = client.prepare(req).value();
///     for (int i = 0; i < 1000; ++i) auto head = co_await client.send(ping, sink);
class PreparedRequest {
public:
    /// The bytes written for each send: request line, headers, body.
    std::string_view wire() const noexcept;

    struct Data;

private:
    friend class Client;
    explicit PreparedRequest(std::shared_ptr<const Data> d) noexcept : data_(std::move(d)) {}
    std::shared_ptr<const Data> data_;
};

/// A response with its body collected.
///
///     auto r = co_await client.get("http://127.0.0.1:8080/hello");
///     if (r && r->status() == 200) std::print("{}", r->body);
struct Response {
    ResponseHead head;
    std::string body;
    int status() const noexcept { return head.status(); }
};

/// Receives a response body piece by piece while it arrives. An error stops the request (the
/// connection is closed) and becomes its result.
///
///     std::uint64_t n = 0;
///     weft::http::BodySink count = [&](std::string_view piece) -> weft::Result<void> {
///         n += piece.size();
///         return {};
///     };
using BodySink = std::function<Result<void>(std::string_view piece)>;

/// Counters of a client's connection pool.
struct ClientStats {
    std::uint64_t connections_opened = 0;  ///< TCP connections established
    std::uint64_t connections_reused = 0;  ///< requests sent on a pooled connection
    std::uint64_t stale_retries = 0;       ///< requests resent after a pooled connection failed
    std::size_t idle_connections = 0;      ///< pooled now
    std::size_t origins = 0;               ///< origins with requests in flight or idle connections
};

/// An HTTP/1.1 client. Share one per program (per runtime): it pools connections.
///
///     weft::http::Client client;
///     auto r = co_await client.get("https://example.com/");
///     if (!r) std::println("{}: {}", weft::http::to_string(weft::http::classify(r.error())),
///                          r.error().message());
///
/// Thread safety: a client may be used by any number of tasks at once on its runtime (either
/// flavour). Its pooled connections belong to the runtime that opened them: do not share one
/// client between runtimes, and destroy it before its runtime.
/// Cancel safety: destroying a pending request closes the connection it was using (a
/// half-read response can never be mistaken for the next one) and frees its slot.
class Client {
public:
    explicit Client(ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Sends `request` and collects the body (up to `limits.max_body_size`).
    Task<Result<Response>> send(Request request);
    /// Sends `request` and hands the body to `sink` while it arrives; yields the head.
    Task<Result<ResponseHead>> send(Request request, BodySink sink);
    /// Validates and serializes `request` with this client's headers (User-Agent, Connection)
    /// for repeated sends. Errors are those a send of it would report.
    Result<PreparedRequest> prepare(const Request& request) const;
    /// Sends a request this client prepared and collects the body. A request prepared by
    /// another client fails with `std::errc::invalid_argument`.
    Task<Result<Response>> send(PreparedRequest request);
    /// Sends a request this client prepared and hands the body to `sink`; yields the head.
    Task<Result<ResponseHead>> send(PreparedRequest request, BodySink sink);
    /// GET `url`, body collected.
    Task<Result<Response>> get(std::string_view url);

    ClientStats stats() const;
    const ClientOptions& options() const noexcept;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace weft::http
