// rate_limited_requests: the seed's Pattern 3. Every request waits for the rate limiter
// (`co_await limiter.until_ready()`) before it is spawned, so however many are queued, they
// leave at the quota's pace; each then runs concurrently and its result is collected on its own.
//
//   rate_limited_requests               demo: local HTTP servers in this process; 100 requests
//                                       at 200/s (burst 10), then 60 spread over two "hosts"
//                                       with a per-host limit of 150/s each
//   rate_limited_requests RATE COUNT    COUNT requests to a local server at RATE per second
//
// Exit status 0 when every request was answered and no limiter let requests through faster
// than its quota.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>
#include <weft/ratelimit/ratelimit.hpp>
#include <weft/weft.hpp>

#include "support/http_demo.hpp"

namespace {

using weft::ratelimit::KeyedRateLimiter;
using weft::ratelimit::Quota;
using weft::ratelimit::RateLimiter;
using Response = weft::Result<std::string>;

double seconds_since(weft::time::Instant start) {
    return std::chrono::duration<double>(weft::time::now() - start).count();
}

/// Awaits the spawned requests in order and tallies them.
weft::Task<http_demo::Tally> collect(std::vector<weft::JoinHandle<Response>> handles) {
    http_demo::Tally tally;
    for (auto& h : handles) {
        auto joined = co_await h;
        if (joined)
            tally.add(*joined);
        else
            tally.add(std::unexpected(make_error_code(weft::Errc::cancelled)));
    }
    co_return tally;
}

/// `count` requests to `port`, each let out by `limiter`. Returns true when all were answered
/// and the batch took at least as long as the quota demands.
weft::Task<bool> direct(std::uint16_t port, std::uint32_t rate, std::uint32_t burst, std::size_t count) {
    RateLimiter limiter(Quota::per_second(rate).allow_burst(burst));
    std::printf("direct: %zu requests at %u/s (burst %u)\n", count, rate, burst);
    const auto start = weft::time::now();
    std::vector<weft::JoinHandle<Response>> handles;
    for (std::size_t i = 0; i < count; ++i) {
        co_await limiter.until_ready();
        handles.push_back(weft::spawn_local(http_demo::cheapo_request("127.0.0.1", port, "/")));
    }
    const double released = seconds_since(start);  // when the last request left
    auto tally = co_await collect(std::move(handles));
    tally.print(seconds_since(start));
    // The first `burst` leave at once, then one per interval.
    const double least = count > burst ? double(count - burst) / rate : 0.0;
    std::printf("  released over %.3f s (the quota allows no less than %.3f s)\n", released, least);
    co_return tally.ok == count&& released >= least * 0.999;
}

/// Requests alternating between two hosts, each host with its own budget.
weft::Task<bool> per_host(std::uint16_t port_a, std::uint16_t port_b, std::size_t count) {
    constexpr std::uint32_t rate = 150;
    KeyedRateLimiter<std::uint16_t> limiter(Quota::per_second(rate));
    std::printf("keyed: %zu requests over two hosts at %u/s each\n", count, rate);
    const auto start = weft::time::now();
    std::vector<weft::JoinHandle<Response>> handles;
    for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t port = i % 2 == 0 ? port_a : port_b;
        co_await limiter.until_ready(port);
        handles.push_back(weft::spawn_local(http_demo::cheapo_request("127.0.0.1", port, "/")));
    }
    const double released = seconds_since(start);
    auto tally = co_await collect(std::move(handles));
    tally.print(seconds_since(start));
    // Two independent budgets: twice the rate overall, never more.
    const double least = double(count / 2 - 1) / rate;
    std::printf("  released over %.3f s (two hosts in parallel: no less than %.3f s)\n", released, least);
    co_return tally.ok == count&& released >= least * 0.999;
}

weft::Task<int> run(std::uint32_t rate, std::size_t count, bool demo) {
    auto a = http_demo::Server::start(http_demo::Behavior::answer);
    auto b = http_demo::Server::start(http_demo::Behavior::answer);
    if (!a || !b) {
        std::fprintf(stderr, "cannot start the local servers: %s\n",
                     (!a ? a.error() : b.error()).message().c_str());
        co_return 1;
    }
    bool ok = co_await direct(a->port(), rate, demo ? 10 : 1, count);
    if (demo) ok = co_await per_host(a->port(), b->port(), 60) && ok;
    co_await a->stop();
    co_await b->stop();
    std::printf("%s\n", ok ? "as expected" : "NOT as expected");
    co_return ok ? 0 : 1;
}

template <class N>
bool parse_number(std::string_view text, N& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && out > 0;
}

}  // namespace

int main(int argc, char** argv) {
    weft::Runtime rt;
    if (argc == 1) return rt.block_on(run(200, 100, true));
    std::uint32_t rate = 0;
    std::size_t count = 0;
    if (argc != 3 || !parse_number(argv[1], rate) || !parse_number(argv[2], count)) {
        std::fprintf(stderr, "usage: %s [RATE COUNT]\n", argv[0]);
        return 2;
    }
    return rt.block_on(run(rate, count, false));
}
