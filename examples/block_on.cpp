// block_on: the two ways to run a task from ordinary synchronous code.
//
//   weft::block_on(task)      the minimal executor, no runtime at all: it polls the task, parks
//                             the thread while the task is pending and polls again when a waker
//                             unparks it, from any thread. No I/O or timer driver, so sockets and
//                             sleeps are refused (with a std::logic_error that says so).
//   weft::Runtime::block_on   the full runtime: sockets, timers, spawn_local.

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <weft/sync/oneshot.hpp>
#include <weft/weft.hpp>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

/// Counts the primes below `n` the slow way: CPU work that would stall a runtime thread.
long count_primes(long n) {
    long count = 0;
    for (long i = 2; i < n; ++i) {
        bool prime = true;
        for (long d = 2; d * d <= i && prime; ++d) prime = i % d != 0;
        count += prime;
    }
    return count;
}

// 1. A spawn_blocking result: the work runs on the blocking pool (the process-wide one, as
//    there is no runtime), and the pool thread's completion wakes the parked caller.
weft::Task<long> primes_on_the_pool(std::thread::id caller) {
    co_return co_await weft::spawn_blocking([caller] {
        bool same = std::this_thread::get_id() == caller;
        std::printf("  counting on %s thread\n", same ? "the caller's" : "a pool");
        return count_primes(200'000);
    });
}

// 2. A plain cross-thread wake: a std::thread, which knows nothing of weft, sends on a oneshot
//    channel; the send wakes the task, which unparks the thread blocked in block_on.
weft::Task<weft::Result<int>> wait_for_thread(weft::sync::OneshotReceiver<int> rx) { co_return co_await rx; }

// 3. A timer: block_on has no timer driver, so this throws std::logic_error.
weft::Task<> nap() { co_await weft::time::sleep(10ms); }

// 4. The full runtime: timers work, and tasks spawned with spawn_local run concurrently.
weft::Task<long long> sleep_twice_concurrently() {
    auto start = Clock::now();
    auto other = weft::spawn_local([]() -> weft::Task<> { co_await weft::time::sleep(100ms); }());
    co_await weft::time::sleep(100ms);
    (void)co_await other;
    co_return ms_since(start);
}

}  // namespace

int main() {
    std::printf("1. weft::block_on awaiting spawn_blocking\n");
    auto start = Clock::now();
    long primes = weft::block_on(primes_on_the_pool(std::this_thread::get_id()));
    std::printf("  %ld primes below 200000, %lld ms; the caller was parked meanwhile\n", primes,
                ms_since(start));

    std::printf("2. weft::block_on woken by a std::thread\n");
    auto [tx, rx] = weft::sync::oneshot<int>();
    start = Clock::now();
    std::thread sender([tx = std::move(tx)]() mutable {
        std::this_thread::sleep_for(50ms);
        (void)tx.send(42);
    });
    weft::Result<int> got = weft::block_on(wait_for_thread(std::move(rx)));
    sender.join();
    std::printf("  received %d after %lld ms\n", got.value_or(-1), ms_since(start));

    std::printf("3. weft::block_on with a sleep inside\n");
    try {
        weft::block_on(nap());
        std::printf("  unexpectedly slept\n");
    } catch (const std::logic_error& e) {
        std::printf("  std::logic_error: %s\n", e.what());
    }

    std::printf("4. weft::Runtime::block_on with two 100 ms sleeps in two tasks\n");
    weft::Runtime rt;
    long long took = rt.block_on(sleep_twice_concurrently());
    std::printf("  both done after %lld ms (concurrent, not 200)\n", took);
    return got == 42 ? 0 : 1;
}
