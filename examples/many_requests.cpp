// many_requests: the seed program. Every request gets its own task (`spawn_local`), all of them
// in flight at once, and each result is collected on its own: one failed request never sinks
// the batch.
//
//   many_requests                        demo: a local HTTP server in this process, 1000
//                                        requests to it and 3 to a port where nothing listens
//   many_requests HOST PORT PATH COUNT   COUNT requests for PATH to HOST:PORT
//
// Exit status 0 when the demo behaved as expected (good requests answered 200 with the body,
// the others refused), or, with arguments, when every request succeeded.

#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>
#include <weft/weft.hpp>

#include "support/http_demo.hpp"

namespace {

using http_demo::Request;
using Response = weft::Result<std::string>;

/// The seed's `many_requests`: spawn everything first, then await the handles in order. The
/// requests run concurrently on the one runtime thread; the awaiting order only decides when
/// we look at each result, not when it is produced.
weft::Task<std::vector<Response>> many_requests(std::vector<Request> requests) {
    std::vector<weft::JoinHandle<Response>> handles;
    handles.reserve(requests.size());
    for (auto& r : requests)
        handles.push_back(weft::spawn_local(http_demo::cheapo_request(r.host, r.port, r.path)));

    std::vector<Response> results;
    results.reserve(handles.size());
    for (auto& handle : handles) {
        auto joined = co_await handle;
        if (joined) {
            results.push_back(std::move(*joined));
        } else if (joined.error().is_failed()) {
            joined.error().rethrow();  // an exception is a bug in the program, not a request outcome
        } else {
            results.push_back(std::unexpected(make_error_code(weft::Errc::cancelled)));
        }
    }
    co_return results;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// COUNT requests against a server given on the command line.
weft::Task<int> run_external(Request target, std::size_t count) {
    auto start = std::chrono::steady_clock::now();
    auto results = co_await many_requests(std::vector<Request>(count, target));
    http_demo::Tally tally;
    for (auto& r : results) tally.add(r);
    tally.print(seconds_since(start));
    co_return tally.ok == count ? 0 : 1;
}

/// The demo: our own server, plus a few requests that must fail, mixed into the batch.
weft::Task<int> run_demo() {
    constexpr std::size_t good = 1000;
    constexpr std::size_t refused_every = 334;  // requests 0, 334, 668 go to the closed port

    auto server = http_demo::Server::start(http_demo::Behavior::answer);
    auto closed = http_demo::closed_port();
    if (!server || !closed) {
        std::fprintf(stderr, "cannot set up the demo: %s\n",
                     (!server ? server.error() : closed.error()).message().c_str());
        co_return 1;
    }

    std::vector<Request> requests;
    std::vector<bool> should_succeed;
    for (std::size_t i = 0; i < good; ++i) {
        if (i % refused_every == 0) {
            requests.push_back({"127.0.0.1", *closed, "/"});
            should_succeed.push_back(false);
        }
        requests.push_back({"127.0.0.1", server->port(), "/"});
        should_succeed.push_back(true);
    }
    std::printf("demo: %zu requests to the local server on port %u, %zu to closed port %u\n", good,
                static_cast<unsigned>(server->port()), requests.size() - good,
                static_cast<unsigned>(*closed));

    auto start = std::chrono::steady_clock::now();
    auto results = co_await many_requests(requests);
    double seconds = seconds_since(start);
    co_await server->stop();

    http_demo::Tally tally;
    for (auto& r : results) tally.add(r);
    tally.print(seconds);

    std::size_t surprises = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const Response& r = results[i];
        bool expected = should_succeed[i] ? r && http_demo::status_of(*r) == 200 &&
                                                http_demo::body_of(*r) == http_demo::hello_body
                                          : !r && r.error() == std::errc::connection_refused;
        if (!expected) ++surprises;
    }
    if (surprises == 0) {
        std::printf("demo: as expected (good requests answered, closed-port ones refused)\n");
        co_return 0;
    }
    std::printf("demo: %zu requests did not end as expected\n", surprises);
    co_return 1;
}

template <class N>
bool parse_number(std::string_view text, N& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
    http_demo::raise_fd_limit();
    weft::Runtime rt;
    if (argc == 1) return rt.block_on(run_demo());

    Request target;
    std::size_t count = 0;
    if (argc != 5 || !parse_number(argv[2], target.port) || !parse_number(argv[4], count)) {
        std::fprintf(stderr, "usage: %s [HOST PORT PATH COUNT]\n", argv[0]);
        return 2;
    }
    target.host = argv[1];
    target.path = argv[3];
    return rt.block_on(run_external(std::move(target), count));
}
