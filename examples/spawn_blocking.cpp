// spawn_blocking: 10,000 blocking calls, with a thread per call (what a naive port of the seed
// does) and on weft's blocking pool, which creates threads on demand, up to a cap, and reuses
// them. Prints the time each takes and how many threads it created.

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>
#include <weft/weft.hpp>

namespace {

constexpr int calls = 10'000;
using Clock = std::chrono::steady_clock;

/// The "blocking" work: small on purpose, so that what is measured is the cost of getting it
/// onto another thread and the result back.
long work(long i) { return i * i % 7919; }

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void report(const char* what, double ms, unsigned long long threads, long checksum) {
    std::printf("%-34s %8.1f ms  %6.2f us/call  %5llu threads created  (checksum %ld)\n", what, ms,
                ms * 1000 / calls, threads, checksum);
}

// One call after the other: the pool thread that ran call i is idle again when call i+1 comes,
// so it takes that one too.
weft::Task<long> sequential() {
    long sum = 0;
    for (long i = 0; i < calls; ++i) sum += co_await weft::spawn_blocking([i] { return work(i); });
    co_return sum;
}

// All at once: 10,000 tasks each waiting for its call. Threads are added while every existing
// one is busy, up to the cap; the rest of the calls wait in the pool's queue.
weft::Task<long> concurrent() {
    std::vector<weft::JoinHandle<long>> tasks;
    tasks.reserve(calls);
    for (long i = 0; i < calls; ++i)
        tasks.push_back(weft::spawn_local([](long i) -> weft::Task<long> {
            co_return co_await weft::spawn_blocking([i] { return work(i); });
        }(i)));
    long sum = 0;
    for (auto& t : tasks) sum += (co_await t).value_or(0);
    co_return sum;
}

/// Runs `task` on a fresh runtime (so that the thread count is this run's alone) and reports it.
template <class MakeTask>
void on_runtime(const char* what, weft::Runtime rt, MakeTask make_task) {
    auto start = Clock::now();
    long sum = rt.block_on(make_task());
    report(what, ms_since(start), rt.metrics().blocking_threads_spawned, sum);
}

}  // namespace

int main() {
    std::printf("%d blocking calls, each computing a small number\n", calls);

    auto start = Clock::now();
    long sum = 0;
    for (long i = 0; i < calls; ++i) {
        long r = 0;
        std::thread([&r, i] { r = work(i); }).join();
        sum += r;
    }
    report("std::thread per call, sequential", ms_since(start), calls, sum);

    on_runtime("spawn_blocking, sequential", weft::Runtime{}, sequential);
    on_runtime("spawn_blocking, concurrent", weft::Runtime{}, concurrent);
    // Fewer threads can be faster: each one drains the queue without being created first.
    on_runtime("spawn_blocking, concurrent, cap 4",
               weft::Runtime::Builder::current_thread().max_blocking_threads(4).build(), concurrent);
}
