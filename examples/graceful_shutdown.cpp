// graceful_shutdown: the seed's Pattern 1 done right. A TCP server whose connection tasks
// `select` between reading the next request and the shutdown signal. On Ctrl-C (SIGINT) or
// SIGTERM it stops accepting, lets the requests already accepted finish, waits for them with a
// deadline (no fixed sleep), and exits.
//
//   graceful_shutdown [PORT] [--deadline-ms D]     (PORT 0, the default: any free port)
//
// Protocol, one request per line: "work MS" -> "accepted\n" at once, "done MS\n" after MS
// milliseconds of (simulated) work. Idle connections are closed at shutdown; a request in
// progress is never cut short.
//
// Prints "listening on 127.0.0.1:PORT" when ready. Exit status 0 when every in-flight request
// finished before the deadline, 1 when some were still running (they are then cancelled).

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <weft/combinator/select.hpp>
#include <weft/signal/signal.hpp>
#include <weft/sync/cancellation_token.hpp>
#include <weft/task/task_tracker.hpp>
#include <weft/weft.hpp>

namespace {

using namespace std::chrono_literals;

/// Reads one line (without its '\n') into `line`; false at end of stream or on error.
weft::Task<bool> read_line(weft::net::TcpStream& conn, std::string& buffer, std::string& line) {
    for (;;) {
        if (auto nl = buffer.find('\n'); nl != std::string::npos) {
            line.assign(buffer, 0, nl);
            buffer.erase(0, nl + 1);
            co_return true;
        }
        char chunk[512];
        auto n = co_await conn.read(std::as_writable_bytes(std::span(chunk)));
        if (!n || *n == 0) co_return false;
        buffer.append(chunk, *n);
    }
}

weft::Task<> until_cancelled(weft::sync::CancellationToken token) { co_await token.cancelled(); }

/// Serves one connection until the peer leaves or shutdown starts between two requests.
weft::Task<> serve(weft::net::TcpStream conn, weft::sync::CancellationToken shutdown) {
    std::string buffer;
    std::string line;
    for (;;) {
        // The only place a connection can be interrupted: while it waits for a request.
        auto next = co_await weft::select(read_line(conn, buffer, line), until_cancelled(shutdown));
        if (next.index() == 1 || !std::get<0>(next)) co_return;

        int ms = 0;
        std::string_view text(line);
        if (!text.starts_with("work ") ||
            std::from_chars(text.data() + 5, text.data() + text.size(), ms).ec != std::errc{}) {
            (void)co_await conn.write_all("error: expected 'work MS'\n");
            continue;
        }
        (void)co_await conn.write_all("accepted\n");
        co_await weft::time::sleep(std::chrono::milliseconds(ms));  // the work: never cancelled
        (void)co_await conn.write_all("done " + std::to_string(ms) + "\n");
    }
}

weft::Task<> accept_loop(weft::net::TcpListener& listener, weft::TaskTracker& tracker,
                         weft::sync::CancellationToken shutdown) {
    for (;;) {
        auto accepted = co_await listener.accept();
        if (!accepted) {
            std::fprintf(stderr, "accept: %s\n", accepted.error().message().c_str());
            continue;
        }
        tracker.spawn(serve(std::move(accepted->first), shutdown), "connection").detach();
    }
}

weft::Task<int> run(std::uint16_t port, std::chrono::milliseconds deadline) {
    auto listener = weft::net::TcpListener::bind("127.0.0.1:" + std::to_string(port));
    if (!listener) {
        std::fprintf(stderr, "bind: %s\n", listener.error().message().c_str());
        co_return 2;
    }
    std::printf("listening on %s\n", listener->local_addr()->to_string().c_str());
    std::fflush(stdout);

    weft::sync::CancellationToken shutdown;
    weft::TaskTracker tracker;
    weft::signal::Signal interrupt(SIGINT);
    weft::signal::Signal terminate(SIGTERM);

    // Runs until a signal arrives; the accept loop is then dropped: no more connections.
    auto stop =
        co_await weft::select(accept_loop(*listener, tracker, shutdown), interrupt.recv(), terminate.recv());
    (void)stop;
    std::printf("shutting down: %zu connection(s) open\n", tracker.len());
    std::fflush(stdout);

    shutdown.cancel();  // idle connections close; busy ones finish their request first
    tracker.close();
    auto drained = co_await weft::time::timeout(deadline, tracker.wait());
    if (!drained) {
        std::printf("deadline passed with %zu connection(s) still busy; cancelling them\n", tracker.len());
        co_return 1;
    }
    std::printf("all in-flight requests finished\n");
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    std::chrono::milliseconds deadline = 5s;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--deadline-ms" && i + 1 < argc) {
            deadline = std::chrono::milliseconds(std::atoi(argv[++i]));
        } else if (!arg.empty() && arg.front() != '-') {
            port = static_cast<std::uint16_t>(std::atoi(argv[i]));
        } else {
            std::fprintf(stderr, "usage: graceful_shutdown [PORT] [--deadline-ms D]\n");
            return 2;
        }
    }
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    return rt.block_on(run(port, deadline));
}
