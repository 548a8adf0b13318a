#pragma once

// Misbehaving HTTP/1.1 servers for the client's reliability tests: a C++ port of the behaviours
// of shared/bench/http/faults.py, so tests do not depend on Python or fixed ports.
//
//     weft_test::FaultServer server(weft_test::Fault::stall);
//     auto r = co_await weft::time::timeout(1s, fetch(server.url("/")));   // must time out
//
// Each server listens on 127.0.0.1 on a port of its own and runs on a thread of its own with
// its own weft runtime (real time), so it works whatever runtime, paused or not, the test uses.
// The destructor stops it, closes every connection and joins the thread.
//
//     fault        behaviour (per connection)
//     closed       nothing listens: a socket is bound but never listens -> ECONNREFUSED
//     stall        reads and discards the request, never answers, until the client closes
//     reset        RST (SO_LINGER {1,0}) before reading anything
//     garbage      reads the request head, sends 4096 non-HTTP bytes, then FIN
//     short_body   Content-Length: 100000 but only 1000 body bytes, then FIN
//     trickle      a valid 200 response, one byte every `trickle_interval`, then FIN
//     bad_chunk    chunked: a valid chunk, then chunk size "ZZ", then FIN
//     big_header   200 with one 1 MiB header line (X-Huge), Content-Length: 2, "ok", FIN
//     reset_mid    the head and 1000 of 100000 body bytes, then (after 50 ms) RST

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>
#include <weft/combinator/select.hpp>
#include <weft/net/tcp_listener.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/join_handle.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/sync/cancellation_token.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

namespace weft_test {

enum class Fault { closed, stall, reset, garbage, short_body, trickle, bad_chunk, big_header, reset_mid };

inline const char* fault_name(Fault f) {
    switch (f) {
        case Fault::closed:
            return "closed";
        case Fault::stall:
            return "stall";
        case Fault::reset:
            return "reset";
        case Fault::garbage:
            return "garbage";
        case Fault::short_body:
            return "short";
        case Fault::trickle:
            return "trickle";
        case Fault::bad_chunk:
            return "badchunk";
        case Fault::big_header:
            return "bighdr";
        case Fault::reset_mid:
            return "resetmid";
    }
    return "?";
}

/// Settings of a fault server.
///
///     weft_test::FaultOptions o;
///     o.trickle_interval = std::chrono::milliseconds(2);   // a fast trickle for unit tests
///     weft_test::FaultServer server(weft_test::Fault::trickle, o);
struct FaultOptions {
    /// Pause between two bytes of the trickle response (faults.py: 100 ms).
    std::chrono::milliseconds trickle_interval{100};
    /// How long a fault waits for the request head before answering anyway.
    std::chrono::milliseconds request_timeout{5000};
};

inline constexpr std::size_t kShortDeclared = 100'000;  ///< short_body, reset_mid: Content-Length
inline constexpr std::size_t kShortSent = 1'000;        ///< short_body, reset_mid: body bytes sent
inline constexpr std::size_t kBigHeaderSize = 1 << 20;  ///< big_header: bytes of the X-Huge value
inline constexpr std::string_view kTrickleBody = "trickle-trickle\n";

/// The garbage fault's answer: deterministic, never starting with "HTTP/", full of NULs, CR, LF
/// and high bytes.
inline std::string garbage_bytes(std::size_t n = 4096) {
    std::string pattern;
    for (int i = 255; i >= 0; --i) pattern += static_cast<char>(i);
    pattern += std::string_view("\r\n\0GARBAGE \xff\xfe\r\n\r\n", 18);
    std::string out;
    while (out.size() < n) out += pattern;
    out.resize(n);
    return out;
}

/// What `fault` sends after reading the request (empty for closed, stall and reset).
inline std::string fault_response(Fault fault) {
    const std::string head_200 = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
    switch (fault) {
        case Fault::garbage:
            return garbage_bytes();
        case Fault::short_body:
            return head_200 + "Content-Length: " + std::to_string(kShortDeclared) + "\r\n\r\n" +
                   std::string(kShortSent, 's');
        case Fault::trickle:
            return head_200 + "Content-Length: " + std::to_string(kTrickleBody.size()) + "\r\n\r\n" +
                   std::string(kTrickleBody);
        case Fault::bad_chunk:
            return head_200 +
                   "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nthis is not a valid "
                   "chunk\r\n0\r\n\r\n";
        case Fault::big_header:
            return head_200 + "Content-Length: 2\r\nX-Huge: " + std::string(kBigHeaderSize, 'a') +
                   "\r\n\r\nok";
        case Fault::reset_mid:
            return head_200 + "Content-Length: " + std::to_string(kShortDeclared) + "\r\n\r\n" +
                   std::string(kShortSent, 'r');
        case Fault::closed:
        case Fault::stall:
        case Fault::reset:
            return {};
    }
    return {};
}

namespace fault_detail {

/// Closes with an RST: SO_LINGER {on, 0 s} makes close() abort the connection.
inline void rst_close(weft::net::TcpStream conn) {
    linger l{1, 0};
    (void)::setsockopt(conn.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
}  // `conn` closes here

inline weft::Task<void> read_head(weft::net::TcpStream& conn) {
    std::string seen;
    char buf[4096];
    while (seen.find("\r\n\r\n") == std::string::npos && seen.size() < (1 << 16)) {
        auto n = co_await conn.read(std::as_writable_bytes(std::span(buf)));
        if (!n || *n == 0) co_return;
        seen.append(buf, *n);
    }
}

/// Sends FIN, then waits for the client to close (so unread request bytes never turn the close
/// into an RST).
inline weft::Task<void> fin_and_drain(weft::net::TcpStream& conn) {
    (void)conn.shutdown_write();
    char buf[4096];
    for (;;) {
        auto n = co_await conn.read(std::as_writable_bytes(std::span(buf)));
        if (!n || *n == 0) co_return;
    }
}

inline weft::Task<void> handle(weft::net::TcpStream conn, Fault fault, FaultOptions options) {
    if (fault == Fault::reset) {
        rst_close(std::move(conn));
        co_return;
    }
    if (fault == Fault::stall) {
        char buf[4096];  // discard until the client closes; never answer
        for (;;) {
            auto n = co_await conn.read(std::as_writable_bytes(std::span(buf)));
            if (!n || *n == 0) co_return;
        }
    }
    auto head = weft::time::timeout(options.request_timeout, read_head(conn));
    (void)co_await std::move(head);
    const std::string response = fault_response(fault);
    if (fault == Fault::trickle) {
        (void)conn.set_nodelay(true);  // one segment per byte
        for (std::size_t i = 0; i < response.size(); ++i) {
            if (!co_await conn.write_all(std::string_view(response).substr(i, 1))) co_return;
            if (i + 1 < response.size()) co_await weft::time::sleep(options.trickle_interval);
        }
    } else if (!co_await conn.write_all(response)) {
        co_return;
    }
    if (fault == Fault::reset_mid) {
        co_await weft::time::sleep(std::chrono::milliseconds(50));
        rst_close(std::move(conn));
        co_return;
    }
    co_await fin_and_drain(conn);
}

inline weft::Task<void> wait_cancelled(weft::sync::CancellationToken token) { co_await token.cancelled(); }

inline weft::Task<void> serve(Fault fault, FaultOptions options, weft::sync::CancellationToken stop,
                              std::atomic<std::uint64_t>* accepted, std::promise<std::uint16_t>* bound) {
    auto listener = weft::net::TcpListener::bind("127.0.0.1:0");
    if (!listener) {
        bound->set_exception(
            std::make_exception_ptr(std::system_error(listener.error(), "fault server bind")));
        co_return;
    }
    bound->set_value(listener->local_addr()->port());
    std::vector<weft::JoinHandle<void>> connections;
    for (;;) {
        auto next = weft::select(listener->accept(), wait_cancelled(stop));
        auto event = co_await next;
        if (event.index() == 1) break;
        auto& conn = std::get<0>(event);
        if (!conn) continue;
        accepted->fetch_add(1);
        connections.push_back(weft::spawn(handle(std::move(conn->first), fault, options)));
    }
    for (auto& c : connections) c.abort();
    for (auto& c : connections) (void)co_await c;  // each frame, and its socket, is gone
}

}  // namespace fault_detail

/// One fault on 127.0.0.1:port(); see the table at the top of this file.
///
///     weft_test::FaultServer reset(weft_test::Fault::reset);
///     auto conn = co_await weft::net::TcpStream::connect("127.0.0.1", reset.port());
class FaultServer {
public:
    explicit FaultServer(Fault fault, FaultOptions options = {}) : fault_(fault) {
        if (fault == Fault::closed) {
            // Bound but not listening: connections are refused, and no one else can take the
            // port while this object lives.
            closed_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (closed_fd_ < 0) throw std::system_error(errno, std::system_category(), "socket");
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            socklen_t len = sizeof addr;
            if (::bind(closed_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
                ::getsockname(closed_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
                int e = errno;
                ::close(closed_fd_);
                throw std::system_error(e, std::system_category(), "bind");
            }
            port_ = ntohs(addr.sin_port);
            return;
        }
        std::promise<std::uint16_t> bound;
        auto port = bound.get_future();
        thread_ = std::thread([this, fault, options, bound = std::move(bound)]() mutable {
            weft::Runtime rt;
            rt.block_on(fault_detail::serve(fault, options, stop_, &accepted_, &bound));
        });
        try {
            port_ = port.get();
        } catch (...) {
            thread_.join();
            throw;
        }
    }
    FaultServer(const FaultServer&) = delete;
    FaultServer& operator=(const FaultServer&) = delete;
    ~FaultServer() { stop(); }

    Fault fault() const noexcept { return fault_; }
    std::uint16_t port() const noexcept { return port_; }
    /// "http://127.0.0.1:PORT" + path.
    std::string url(std::string_view path = "/") const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }
    /// Connections accepted so far (a retrying client makes more than one).
    std::uint64_t connections() const noexcept { return accepted_.load(); }

    /// Stops accepting, closes every connection and joins the thread. Idempotent.
    void stop() {
        stop_.cancel();
        if (thread_.joinable()) thread_.join();
        if (closed_fd_ >= 0) ::close(std::exchange(closed_fd_, -1));
    }

private:
    Fault fault_;
    std::uint16_t port_ = 0;
    int closed_fd_ = -1;
    std::atomic<std::uint64_t> accepted_{0};
    weft::sync::CancellationToken stop_;
    std::thread thread_;
};

}  // namespace weft_test
