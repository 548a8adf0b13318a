// pool: a pool of TCP connections to a local echo server, shared by 100 concurrent tasks.
//
// Each task borrows a connection (`co_await pool.get()`), sends a line, reads the echo and
// hands the connection back by dropping the guard; the pool keeps at most 8 open, reuses them
// after a health check (a "ping" that must come back), and queues the other tasks in arrival
// order. A monitor task prints the pool's status while they run.
//
//   pool        demo; exit status 0 when every task got its own line back and the pool never
//               held more than its maximum of connections

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include <weft/pool/pool.hpp>
#include <weft/weft.hpp>

namespace {

using namespace std::chrono_literals;
using weft::net::TcpStream;

/// Reads exactly `n` bytes (or fails; end of stream is an error here).
weft::Task<weft::Result<std::string>> read_exact(TcpStream& s, std::size_t n) {
    std::string out;
    std::array<std::byte, 512> buf;
    while (out.size() < n) {
        std::size_t want = std::min(buf.size(), n - out.size());
        auto got = co_await s.read(std::span<std::byte>(buf.data(), want));
        if (!got) co_return std::unexpected(got.error());
        if (*got == 0) co_return std::unexpected(std::make_error_code(std::errc::connection_reset));
        out.append(reinterpret_cast<const char*>(buf.data()), *got);
    }
    co_return out;
}

/// Sends `line` and expects it back.
weft::Task<weft::Result<std::string>> round_trip(TcpStream& s, std::string line) {
    if (auto w = co_await s.write_all(line); !w) co_return std::unexpected(w.error());
    co_return co_await read_exact(s, line.size());
}

// --- the echo server --------------------------------------------------------------------------

weft::Task<> echo(TcpStream conn) {
    std::array<std::byte, 4096> buf;
    for (;;) {
        auto n = co_await conn.read(buf);
        if (!n || *n == 0) co_return;
        if (!co_await conn.write_all(std::span<const std::byte>(buf.data(), *n))) co_return;
    }
}

weft::Task<> serve(weft::net::TcpListener listener, std::shared_ptr<std::size_t> accepted) {
    std::vector<weft::JoinHandle<void>> connections;  // aborted with this task
    for (;;) {
        auto conn = co_await listener.accept();
        if (!conn) co_return;
        ++*accepted;
        connections.push_back(weft::spawn_local(echo(std::move(conn->first))));
    }
}

// --- the pool's manager -----------------------------------------------------------------------

/// Opens connections to the echo server; a connection is healthy when a ping comes back.
struct EchoManager {
    using Type = TcpStream;
    std::uint16_t port;

    weft::Task<weft::Result<TcpStream>> create() {
        auto s = co_await TcpStream::connect("127.0.0.1", port);
        if (s) (void)s->set_nodelay(true);
        co_return s;
    }
    weft::Task<weft::Result<void>> recycle(TcpStream& s) {
        auto pong = co_await round_trip(s, "ping\n");
        if (!pong) co_return std::unexpected(pong.error());
        if (*pong != "ping\n") co_return std::unexpected(std::make_error_code(std::errc::protocol_error));
        co_return weft::Result<void>{};
    }
};

using EchoPool = weft::pool::Pool<EchoManager>;

/// One task's work: a few lines over borrowed connections.
weft::Task<int> client(EchoPool pool, int id) {
    int good = 0;
    for (int round = 0; round < 3; ++round) {
        auto conn = co_await pool.get();
        if (!conn) {
            std::printf("task %d: %s\n", id, conn.error().message().c_str());
            co_return good;
        }
        std::string line = "task " + std::to_string(id) + " round " + std::to_string(round) + "\n";
        auto back = co_await round_trip(**conn, line);
        if (back && *back == line)
            ++good;
        else
            conn->mark_broken();          // never hand a confused connection to the next task
        co_await weft::time::sleep(1ms);  // hold it a little, so that tasks queue up
    }
    co_return good;
}

void print_status(const char* when, const EchoPool& pool) {
    auto st = pool.status();
    std::printf("%-8s size %zu/%zu, available %zu, waiting %zu\n", when, st.size, st.max_size, st.available,
                st.waiting);
}

weft::Task<> monitor(EchoPool pool, std::shared_ptr<std::size_t> most) {
    for (;;) {
        co_await weft::time::sleep(5ms);
        print_status("running", pool);
        *most = std::max(*most, pool.status().size);
    }
}

weft::Task<int> run() {
    constexpr int tasks = 100;
    constexpr std::size_t max_size = 8;

    auto listener = weft::net::TcpListener::bind("127.0.0.1:0");
    if (!listener) {
        std::fprintf(stderr, "bind: %s\n", listener.error().message().c_str());
        co_return 1;
    }
    auto port = listener->local_addr()->port();
    auto accepted = std::make_shared<std::size_t>(0);
    auto server = weft::spawn_local(serve(std::move(*listener), accepted));

    weft::pool::Config cfg;
    cfg.max_size = max_size;
    cfg.wait_timeout = 5s;
    cfg.create_timeout = 1s;
    cfg.recycle_timeout = 1s;
    EchoPool pool(EchoManager{port}, cfg);
    print_status("start", pool);

    auto most = std::make_shared<std::size_t>(0);
    auto watcher = weft::spawn_local(monitor(pool, most));
    std::vector<weft::JoinHandle<int>> handles;
    for (int i = 0; i < tasks; ++i) handles.push_back(weft::spawn_local(client(pool, i)));
    int good = 0;
    for (auto& h : handles) {
        auto r = co_await h;
        if (r) good += *r;
    }
    watcher.abort();
    print_status("done", pool);
    *most = std::max(*most, pool.status().size);

    pool.close();  // idle connections close now; the server sees them go
    print_status("closed", pool);
    server.abort();
    std::printf("%d of %d round trips echoed; %zu connections opened, at most %zu at once\n", good, tasks * 3,
                *accepted, *most);
    co_return good == tasks * 3 && *accepted <= max_size&&* most <= max_size ? 0 : 1;
}

}  // namespace

int main() {
    weft::Runtime rt;
    return rt.block_on(run());
}
