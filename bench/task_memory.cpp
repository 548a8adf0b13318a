// weft-task-memory: resident memory of N tasks suspended on `sleep` (the target:
// 1,000,000 tasks in under 400 MiB). Prints the RSS growth and the bytes per task.
//
//   weft-task-memory [N] [--multi]      (default N = 1000000, current-thread runtime)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <weft/weft.hpp>

namespace {

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

weft::Task<> sleeper() { co_await weft::time::sleep(std::chrono::hours(1)); }

}  // namespace

int main(int argc, char** argv) {
    long n = 1'000'000;
    bool multi = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--multi") == 0)
            multi = true;
        else
            n = std::atol(argv[i]);
    }
    auto rt = multi ? weft::Runtime::Builder::multi_thread().worker_threads(2).build()
                    : weft::Runtime::Builder::current_thread().build();
    long before = rss_kib();
    auto root = [](long n) -> weft::Task<long> {
        for (long i = 0; i < n; ++i) weft::spawn(sleeper()).detach();
        co_await weft::time::sleep(std::chrono::milliseconds(200));  // let every task reach its sleep
        co_return rss_kib();
    };
    long after = rt.block_on(root(n));
    auto m = rt.metrics();
    std::printf("tasks=%ld flavor=%s live=%zu timers=%zu rss_growth=%.1f MiB bytes_per_task=%.0f\n", n,
                multi ? "multi_thread" : "current_thread", m.live_tasks, m.active_timers,
                (after - before) / 1024.0, (after - before) * 1024.0 / static_cast<double>(n));
    return m.active_timers == static_cast<std::size_t>(n) ? 0 : 1;
}
