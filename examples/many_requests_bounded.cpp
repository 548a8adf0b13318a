// many_requests_bounded: the seed's production version. At most N requests in flight, each one
// under a deadline, and every result reported the moment it is known.
//
//   many_requests_bounded [--concurrency N] [--timeout-ms T] [HOST PORT PATH COUNT]
//
// Without HOST PORT PATH COUNT it runs a demo in this process: a local HTTP server that answers,
// a "black hole" that accepts connections and never answers (those requests must time out),
// and a port where nothing listens (those must be refused). Defaults: N = 16, T = 500.
// Exit status 0 when every request ended as expected (with arguments: when all succeeded).

#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <weft/weft.hpp>

#include "support/http_demo.hpp"

namespace {

using namespace std::chrono_literals;
using http_demo::Request;
using Response = weft::Result<std::string>;
using Clock = std::chrono::steady_clock;
using OnResult = std::function<void(std::size_t index, const Response&, Clock::duration took)>;

/// What the workers share. Everything runs on the runtime's one thread, so a plain counter hands
/// out the requests; it lives on the heap so that no worker can outlive it.
struct Batch {
    std::vector<Request> requests;
    std::size_t next = 0;
    std::chrono::milliseconds timeout;
    OnResult on_result;
};

/// Takes the next request as soon as the previous one is done, until there are none left.
weft::Task<> worker(std::shared_ptr<Batch> batch) {
    while (batch->next < batch->requests.size()) {
        std::size_t i = batch->next++;
        const Request& r = batch->requests[i];
        auto start = Clock::now();
        // On the deadline the request's frame is destroyed, closing its socket, and the result
        // is weft::Errc::timed_out: weft::is_timeout tells it from a socket's own ETIMEDOUT.
        Response response =
            co_await weft::time::timeout(batch->timeout, http_demo::cheapo_request(r.host, r.port, r.path));
        batch->on_result(i, response, Clock::now() - start);
    }
}

/// At most `concurrency` requests in flight: that many workers pulling from one list (the
/// equivalent of the seed's `buffer_unordered(concurrency)`).
weft::Task<> many_requests_bounded(std::vector<Request> requests, std::size_t concurrency,
                                   std::chrono::milliseconds timeout, OnResult on_result) {
    auto batch = std::make_shared<Batch>(Batch{std::move(requests), 0, timeout, std::move(on_result)});
    std::vector<weft::JoinHandle<void>> workers;
    // Should this task be cancelled, take the workers down with it instead of leaving them running.
    struct AbortOnExit {
        std::vector<weft::JoinHandle<void>>& handles;
        ~AbortOnExit() {
            for (auto& h : handles) h.abort();
        }
    } guard{workers};
    for (std::size_t w = 0; w < concurrency && w < batch->requests.size(); ++w)
        workers.push_back(weft::spawn_local(worker(batch)));
    for (auto& w : workers)
        if (auto joined = co_await w; !joined && joined.error().is_failed()) joined.error().rethrow();
}

/// One line per finished request, printed as it finishes.
void print_result(std::size_t index, const char* label, const Response& r, Clock::duration took) {
    long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    if (r)
        std::printf("#%-4zu %-10s ok, status %d, %zu bytes, %lld ms\n", index, label,
                    http_demo::status_of(*r), r->size(), ms);
    else if (weft::is_timeout(r.error()))
        std::printf("#%-4zu %-10s timed out after %lld ms\n", index, label, ms);
    else
        std::printf("#%-4zu %-10s failed: %s, %lld ms\n", index, label, r.error().message().c_str(), ms);
    std::fflush(stdout);  // stream the results even when stdout is a pipe
}

enum class Target { server, black_hole, closed };

weft::Task<int> run_demo(std::size_t concurrency, std::chrono::milliseconds timeout) {
    auto server = http_demo::Server::start(http_demo::Behavior::answer);
    auto hole = http_demo::Server::start(http_demo::Behavior::black_hole);
    auto closed = http_demo::closed_port();
    if (!server || !hole || !closed) {
        std::fprintf(stderr, "cannot set up the demo\n");
        co_return 1;
    }
    // 200 requests to the server with 4 black-hole and 3 refused ones mixed in.
    std::vector<Request> requests;
    std::vector<Target> targets;
    auto add = [&](Target t, std::uint16_t port) {
        requests.push_back({"127.0.0.1", port, "/"});
        targets.push_back(t);
    };
    for (int i = 0; i < 200; ++i) {
        add(Target::server, server->port());
        if (i % 50 == 25) add(Target::black_hole, hole->port());
        if (i % 70 == 10) add(Target::closed, *closed);
    }
    std::printf("demo: %zu requests, at most %zu in flight, %lld ms each\n", requests.size(), concurrency,
                static_cast<long long>(timeout.count()));

    http_demo::Tally tally;
    std::size_t surprises = 0;
    auto on_result = [&](std::size_t i, const Response& r, Clock::duration took) {
        static constexpr const char* labels[] = {"server", "black-hole", "closed"};
        print_result(i, labels[static_cast<int>(targets[i])], r, took);
        tally.add(r);
        bool expected = targets[i] == Target::server       ? r && http_demo::status_of(*r) == 200
                        : targets[i] == Target::black_hole ? !r && weft::is_timeout(r.error())
                                                           : !r && r.error() == std::errc::connection_refused;
        if (!expected) ++surprises;
    };
    auto start = Clock::now();
    co_await many_requests_bounded(requests, concurrency, timeout, on_result);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    co_await server->stop();
    co_await hole->stop();

    tally.print(seconds);
    std::printf(surprises == 0 ? "demo: as expected (answered, timed out, refused)\n"
                               : "demo: %zu requests did not end as expected\n",
                surprises);
    co_return surprises == 0 ? 0 : 1;
}

weft::Task<int> run_external(Request target, std::size_t count, std::size_t concurrency,
                             std::chrono::milliseconds timeout) {
    http_demo::Tally tally;
    auto on_result = [&](std::size_t i, const Response& r, Clock::duration took) {
        print_result(i, "", r, took);
        tally.add(r);
    };
    auto start = Clock::now();
    co_await many_requests_bounded(std::vector<Request>(count, target), concurrency, timeout, on_result);
    tally.print(std::chrono::duration<double>(Clock::now() - start).count());
    co_return tally.ok == count ? 0 : 1;
}

template <class N>
bool parse_number(std::string_view text, N& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t concurrency = 16;
    unsigned timeout_ms = 500;
    std::vector<std::string_view> positional;
    bool ok = true;
    for (int i = 1; i < argc && ok; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--concurrency" && i + 1 < argc)
            ok = parse_number(argv[++i], concurrency) && concurrency > 0;
        else if (arg == "--timeout-ms" && i + 1 < argc)
            ok = parse_number(argv[++i], timeout_ms);
        else if (arg.starts_with("--"))
            ok = false;
        else
            positional.push_back(arg);
    }
    Request target;
    std::size_t count = 0;
    if (!positional.empty())
        ok = ok && positional.size() == 4 && parse_number(positional[1], target.port) &&
             parse_number(positional[3], count);
    if (!ok) {
        std::fprintf(stderr, "usage: %s [--concurrency N] [--timeout-ms T] [HOST PORT PATH COUNT]\n",
                     argv[0]);
        return 2;
    }

    http_demo::raise_fd_limit();
    weft::Runtime rt;
    std::chrono::milliseconds timeout(timeout_ms);
    if (positional.empty()) return rt.block_on(run_demo(concurrency, timeout));
    target.host = positional[0];
    target.path = positional[2];
    return rt.block_on(run_external(std::move(target), count, concurrency, timeout));
}
