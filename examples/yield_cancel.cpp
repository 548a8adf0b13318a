// yield_cancel: the seed's third gotcha. A timeout cancels a task by destroying it the next
// time it is suspended. A CPU loop that yields now and then reaches such points, so the timeout
// stops it near its deadline; a loop that never yields runs to its end before the runtime even
// learns that the deadline passed. This demonstrates it; it asserts nothing about timing.

#include <chrono>
#include <cstdio>
#include <weft/weft.hpp>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// About `total` of pure CPU work, yielding every `slice` when `yields` is set.
weft::Task<long> crunch(std::chrono::milliseconds total, bool yields) {
    long iterations = 0;
    auto end = Clock::now() + total;
    auto next_yield = Clock::now() + 1ms;
    while (Clock::now() < end) {
        ++iterations;
        if (yields && Clock::now() >= next_yield) {
            co_await weft::yield_now();  // a point where the timeout can take effect
            next_yield = Clock::now() + 1ms;
        }
    }
    co_return iterations;
}

weft::Task<> demo(bool yields) {
    auto start = Clock::now();
    auto r = co_await weft::time::timeout(50ms, crunch(500ms, yields));
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    std::printf("%-16s timeout 50 ms, work 500 ms -> %s after %lld ms\n",
                yields ? "yielding loop:" : "non-yielding:",
                r ? "finished (the timeout could not interrupt it)" : "cancelled by the timeout",
                static_cast<long long>(took.count()));
}

}  // namespace

int main() {
    weft::Runtime rt;
    rt.block_on(demo(true));
    rt.block_on(demo(false));
    std::puts(
        "A task can only be cancelled where it awaits: long computations should yield\n"
        "(weft::yield_now) or run on the blocking pool (weft::spawn_blocking).");
}
