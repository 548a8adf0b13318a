#pragma once

// Shared by the many_requests examples and tests/examples/many_requests_test.cpp: the seed's
// `cheapo_request`, a tiny local HTTP/1.1 server to aim it at, and a tally of results.
// Header-only on purpose (examples/CMakeLists.txt builds one executable per examples/*.cpp).

#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <weft/weft.hpp>

namespace http_demo {

inline constexpr std::string_view hello_body = "Hello, world!\n";

struct Request {
    std::string host;
    std::uint16_t port = 0;
    std::string path;
};

/// The seed's request: a new connection, `GET path`, our sending side shut down so the server
/// sees the end of the request, then the whole response until the server closes.
/// Parameters are taken by value: the coroutine outlives the caller's arguments.
inline weft::Task<weft::Result<std::string>> cheapo_request(std::string host, std::uint16_t port,
                                                            std::string path) {
    auto socket = co_await weft::net::TcpStream::connect(host, port);
    if (!socket) co_return std::unexpected(socket.error());
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    if (auto w = co_await socket->write_all(request); !w) co_return std::unexpected(w.error());
    if (auto s = co_await socket->shutdown(); !s) co_return std::unexpected(s.error());
    std::string response;
    if (auto r = co_await socket->read_to_string(response); !r) co_return std::unexpected(r.error());
    co_return response;
}

/// The status code of "HTTP/1.1 200 OK\r\n...", or 0 when the response has no status line.
inline int status_of(std::string_view response) {
    if (!response.starts_with("HTTP/")) return 0;
    auto sp = response.find(' ');
    if (sp == std::string_view::npos || sp + 4 > response.size()) return 0;
    int code = 0;
    for (char c : response.substr(sp + 1, 3)) {
        if (c < '0' || c > '9') return 0;
        code = code * 10 + (c - '0');
    }
    return code;
}

/// What follows the blank line that ends the response head (empty if there is none).
inline std::string_view body_of(std::string_view response) {
    auto end = response.find("\r\n\r\n");
    return end == std::string_view::npos ? std::string_view{} : response.substr(end + 4);
}

/// How a `Server` treats its connections.
enum class Behavior {
    answer,      ///< reads the request head, answers 200 with the body, closes
    black_hole,  ///< accepts and holds the connection open without ever answering
};

/// A local HTTP/1.1 server on 127.0.0.1 with an ephemeral port, run as tasks of the current
/// runtime. `stop()` ends it and waits until every task it spawned is gone, which is what makes
/// "no fd or registration left behind" checkable.
class Server {
public:
    /// Binds and spawns the accept loop; must be called on a (current-thread) runtime.
    static weft::Result<Server> start(Behavior behavior, std::string_view body = hello_body) {
        auto listener = weft::net::TcpListener::bind("127.0.0.1:0");
        if (!listener) return std::unexpected(listener.error());
        auto addr = listener->local_addr();
        if (!addr) return std::unexpected(addr.error());
        auto state = std::make_shared<State>();
        state->behavior = behavior;
        state->response =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + std::string(body);
        auto loop = weft::spawn_local(accept_loop(std::move(*listener), state), "http_demo accept");
        return Server(addr->port(), std::move(state), std::move(loop));
    }

    Server(Server&&) noexcept = default;
    Server& operator=(Server&&) = delete;
    /// Dropped without `stop()`: its tasks are aborted and go away at the runtime's next poll.
    ~Server() {
        accept_.abort();
        if (state_)
            for (auto& c : state_->connections) c.abort();
    }

    std::uint16_t port() const noexcept { return port_; }
    /// Connections accepted so far.
    std::size_t accepted() const noexcept { return state_->accepted; }

    /// Stops accepting, closes every connection, and returns once all its tasks are destroyed.
    weft::Task<> stop() {
        if (accept_.valid()) {
            accept_.abort();
            (void)co_await accept_;  // the listener is closed once this returns
            accept_.detach();
        }
        auto connections = std::move(state_->connections);
        for (auto& c : connections) c.abort();
        for (auto& c : connections) (void)co_await c;
        state_->held.clear();
    }

private:
    struct State {
        Behavior behavior = Behavior::answer;
        std::string response;
        std::size_t accepted = 0;
        std::vector<weft::JoinHandle<void>> connections;  // answering tasks, maybe still running
        std::vector<weft::net::TcpStream> held;           // the black hole's connections
    };

    Server(std::uint16_t port, std::shared_ptr<State> state, weft::JoinHandle<void> accept)
        : state_(std::move(state)), accept_(std::move(accept)), port_(port) {}

    static weft::Task<> accept_loop(weft::net::TcpListener listener, std::shared_ptr<State> state) {
        for (;;) {
            auto accepted = co_await listener.accept();
            if (!accepted) {
                // Out of fds (EMFILE) or a connection reset before we took it: back off briefly
                // rather than spin on an error that repeats.
                co_await weft::time::sleep(std::chrono::milliseconds(1));
                continue;
            }
            ++state->accepted;
            if (state->behavior == Behavior::black_hole) {
                state->held.push_back(std::move(accepted->first));
                continue;
            }
            // Forget the answering tasks that are done, so the list holds only live ones.
            std::erase_if(state->connections, [](const auto& h) { return h.is_finished(); });
            state->connections.push_back(
                weft::spawn_local(answer(std::move(accepted->first), state), "http_demo conn"));
        }
    }

    static weft::Task<> answer(weft::net::TcpStream conn, std::shared_ptr<State> state) {
        // Read the request head: up to the blank line, or to end of stream for a client that
        // sends less. The request itself does not matter, every path gets the same answer.
        std::string head;
        std::array<std::byte, 1024> buf;
        while (head.find("\r\n\r\n") == std::string::npos && head.size() < 64 * 1024) {
            auto n = co_await conn.read(buf);
            if (!n || *n == 0) break;
            head.append(reinterpret_cast<const char*>(buf.data()), *n);
        }
        (void)co_await conn.write_all(state->response);
        // "Connection: close": destroying `conn` closes the socket, and the client reads to the
        // end of the stream. Nothing of the request is left unread (the client sent exactly one
        // head), so the close is a FIN, not a reset.
    }

    std::shared_ptr<State> state_;
    weft::JoinHandle<void> accept_;
    std::uint16_t port_ = 0;
};

/// A port on 127.0.0.1 where nothing listens: bound, then closed at once, so connecting to it
/// is refused (ECONNREFUSED).
inline weft::Result<std::uint16_t> closed_port() {
    auto listener = weft::net::TcpListener::bind("127.0.0.1:0");
    if (!listener) return std::unexpected(listener.error());
    auto addr = listener->local_addr();
    if (!addr) return std::unexpected(addr.error());
    return addr->port();
}

/// Counts of a batch of results: ok with status histogram, timeouts, other errors by message.
struct Tally {
    std::size_t ok = 0;
    std::size_t timeouts = 0;
    std::size_t errors = 0;  ///< failures other than timeouts
    std::size_t bytes = 0;
    std::map<int, std::size_t> statuses;
    std::map<std::string, std::size_t> error_kinds;

    void add(const weft::Result<std::string>& r) {
        if (r) {
            ++ok;
            bytes += r->size();
            ++statuses[status_of(*r)];
        } else if (weft::is_timeout(r.error())) {
            ++timeouts;
        } else {
            ++errors;
            ++error_kinds[r.error().message()];
        }
    }

    void print(double seconds) const {
        std::size_t total = ok + timeouts + errors;
        std::printf(
            "%zu requests: %zu ok, %zu timed out, %zu failed; %zu bytes in %.3f s (%.0f requests/s)\n", total,
            ok, timeouts, errors, bytes, seconds, seconds > 0 ? total / seconds : 0.0);
        for (auto& [status, n] : statuses) std::printf("  status %d: %zu\n", status, n);
        for (auto& [message, n] : error_kinds) std::printf("  error \"%s\": %zu\n", message.c_str(), n);
    }
};

/// Lifts the soft limit on open files to the hard one: a thousand requests in flight against a
/// server in the same process hold two thousand sockets, more than the usual soft limit of 1024.
inline void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &lim);
    }
}

}  // namespace http_demo
