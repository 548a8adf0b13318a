// weft-ratelimit-pool-bench: throughput of the rate limiter's `check()` and of pool get/put.
//
//   weft-ratelimit-pool-bench [--scale F]
//
// One TSV line per measurement (as weft-rt-bench):
//
//     bench  flavor  threads  ops  seconds  ops_per_sec
//
// - check_direct / check_keyed: `check()` calls on one limiter from 1 and 2 plain threads; the
//   quota (10^9/s, burst 2^32-1) lets every call through, so this is the CAS path plus a clock
//   read. The keyed one cycles over 1,024 integer keys. With 2 threads both hammer the same
//   limiter (the same atomic word, or the same shards): the contended case.
// - check_refused: `check()` on an exhausted limiter (the refusal path, no store).
// - pool_get_put: one `get()` and guard drop per op, against a manager whose recycle is
//   immediate; current-thread with one task, and multi-thread (2 workers, 8 tasks, 4 objects).
//
// Each benchmark checks its counts and exits 1 on a mismatch.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <weft/pool/pool.hpp>
#include <weft/ratelimit/ratelimit.hpp>
#include <weft/runtime/runtime.hpp>

namespace {

using weft::ratelimit::KeyedRateLimiter;
using weft::ratelimit::Quota;
using weft::ratelimit::RateLimiter;
using Clock = std::chrono::steady_clock;

bool failed = false;

void report(const char* bench, const char* flavor, int threads, std::uint64_t ops, double seconds) {
    std::printf("%s\t%s\t%d\t%llu\t%.6f\t%.0f\n", bench, flavor, threads,
                static_cast<unsigned long long>(ops), seconds, ops / seconds);
    std::fflush(stdout);
}

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "# %s: result mismatch\n", what);
        failed = true;
    }
}

const Quota everything = Quota::per_second(std::numeric_limits<std::uint32_t>::max())
                             .allow_burst(std::numeric_limits<std::uint32_t>::max());

/// Runs `body(thread_index)` on `threads` threads at once; returns the wall time.
template <class F>
double on_threads(int threads, F body) {
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    Clock::time_point start;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < threads) {
            }
            body(t);
        });
    }
    start = Clock::now();
    for (auto& th : pool) th.join();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void bench_check_direct(std::uint64_t n, int threads) {
    RateLimiter limiter(everything);
    std::atomic<std::uint64_t> passed{0};
    double s = on_threads(threads, [&](int) {
        std::uint64_t mine = 0;
        for (std::uint64_t i = 0; i < n; ++i) mine += limiter.check().has_value();
        passed.fetch_add(mine);
    });
    // The quota lets ~10^9/s through with a 4.3 s bucket: every call in a short run passes.
    check(passed.load() == n * threads, "check_direct");
    report("check_direct", "threads", threads, n * threads, s);
}

void bench_check_refused(std::uint64_t n, int threads) {
    RateLimiter limiter(Quota::per_hour(1));
    (void)limiter.check();
    std::atomic<std::uint64_t> passed{0};
    double s = on_threads(threads, [&](int) {
        std::uint64_t mine = 0;
        for (std::uint64_t i = 0; i < n; ++i) mine += limiter.check().has_value();
        passed.fetch_add(mine);
    });
    check(passed.load() == 0, "check_refused");
    report("check_refused", "threads", threads, n * threads, s);
}

void bench_check_keyed(std::uint64_t n, int threads) {
    KeyedRateLimiter<std::uint32_t> limiter(everything);
    std::atomic<std::uint64_t> passed{0};
    double s = on_threads(threads, [&](int t) {
        std::uint64_t mine = 0;
        for (std::uint64_t i = 0; i < n; ++i)
            mine += limiter.check(static_cast<std::uint32_t>((i + t * 512) % 1024)).has_value();
        passed.fetch_add(mine);
    });
    // (len() may be below 1,024: at 1 ns per cell a key is idle again, and sweepable, 1 ns later.)
    check(passed.load() == n * threads && limiter.len() <= 1024, "check_keyed");
    report("check_keyed", "threads", threads, n * threads, s);
}

struct IntManager {
    using Type = int;
    std::atomic<int>* created;
    weft::Task<weft::Result<int>> create() { co_return created->fetch_add(1); }
    weft::Task<weft::Result<void>> recycle(int&) { co_return weft::Result<void>{}; }
};

weft::Task<std::uint64_t> get_put_loop(weft::pool::Pool<IntManager> pool, std::uint64_t n) {
    std::uint64_t ok = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        auto obj = co_await pool.get();
        ok += obj.has_value();
    }
    co_return ok;
}

weft::Task<std::uint64_t> spawn_loops(weft::pool::Pool<IntManager> pool, int tasks, std::uint64_t n) {
    std::vector<weft::JoinHandle<std::uint64_t>> handles;
    for (int t = 0; t < tasks; ++t) handles.push_back(weft::spawn(get_put_loop(pool, n)));
    std::uint64_t ok = 0;
    for (auto& h : handles) {
        auto r = co_await h;
        if (r) ok += *r;
    }
    co_return ok;
}

void bench_pool_current(std::uint64_t n) {
    std::atomic<int> created{0};
    weft::Runtime rt;
    weft::pool::Config cfg;
    cfg.max_size = 4;
    weft::pool::Pool<IntManager> pool(IntManager{&created}, cfg);
    auto start = Clock::now();
    auto ok = rt.block_on(get_put_loop(pool, n));
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    check(ok == n && created.load() == 1, "pool_get_put current_thread");
    report("pool_get_put", "current_thread", 1, n, s);
}

void bench_pool_multi(std::uint64_t n, int workers, int tasks) {
    std::atomic<int> created{0};
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(workers).build();
    weft::pool::Config cfg;
    cfg.max_size = 4;
    weft::pool::Pool<IntManager> pool(IntManager{&created}, cfg);
    auto start = Clock::now();
    auto ok = rt.block_on(spawn_loops(pool, tasks, n / tasks));
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    const std::uint64_t total = (n / tasks) * tasks;
    check(ok == total && created.load() <= 4, "pool_get_put multi_thread");
    report("pool_get_put", "multi_thread", workers, total, s);
}

}  // namespace

int main(int argc, char** argv) {
    double scale = 1.0;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--scale" && i + 1 < argc) {
            scale = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--scale F]\n", argv[0]);
            return 2;
        }
    }
    auto sized = [scale](double base) { return static_cast<std::uint64_t>(base * scale) + 1; };
    std::printf("bench\tflavor\tthreads\tops\tseconds\tops_per_sec\n");
    for (int threads : {1, 2}) bench_check_direct(sized(20e6), threads);
    for (int threads : {1, 2}) bench_check_refused(sized(20e6), threads);
    for (int threads : {1, 2}) bench_check_keyed(sized(10e6), threads);
    bench_pool_current(sized(2e6));
    bench_pool_multi(sized(1e6), 2, 8);
    return failed ? 1 : 0;
}
