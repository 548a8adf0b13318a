// weft-rt-bench: weft runtime microbenchmarks.
//
// The twin of the Tokio anchor `rt-bench` (../shared/anchors/rust/src/bin/rt_bench.rs): the same
// benchmarks, workload sizes, flags and output, so that the two (and the Asio anchor
// `asio-rt-bench`) can be run in alternation on one machine and their lines joined on the first
// three columns (bench/compare does that). Only weft's public API is used, the way an
// application would: `weft::spawn`, `Handle::spawn`, `weft::yield_now`, `weft::time::sleep` and
// the `weft::sync` channels.
//
// Every benchmark runs on a freshly built runtime of each requested flavour (current_thread, and
// multi_thread with each requested worker count), after an untimed run at 1/10 of the size on
// the same runtime. Output, one TSV line per measurement:
//
//     bench  flavor  threads  ops  seconds  ops_per_sec
//
// Diagnostics (timer lateness) go to stderr as `# ...` lines. Each benchmark checks its result
// (counts, sums, the value that comes back) and the program exits 1 when one does not match;
// a benchmark that is fast because it lost work is a bug, not a result.

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/mpsc.hpp>
#include <weft/sync/notify.hpp>
#include <weft/sync/oneshot.hpp>
#include <weft/task.hpp>
#include <weft/time/sleep.hpp>

namespace {

constexpr const char* usage =
    R"(usage: weft-rt-bench [BENCH...] [--threads N[,N...]] [--flavor current|multi|both]
                     [--scale F] [--repeat R] [--no-warmup] [--warmup-scale W]
                     [--poll-time-histogram] [--no-blocked-monitor] [--header] [--list]

  BENCH      one or more of the names printed by --list (default: all)
  --threads  multi_thread worker counts, comma separated (default: #CPUs)
  --flavor   which runtime flavors to run (default: both)
  --scale    multiply every benchmark's op count by F (default 1.0)
  --repeat   run each measurement R times, one line each (default 1)
  --no-warmup  skip the untimed warm-up run
  --warmup-scale  the warm-up's size as a fraction of the measured run's (default 0.1, the
               Tokio anchor's; the Asio anchor's warm-up is full size, 1)
  --poll-time-histogram  enable the runtime's poll-time histogram (off by default)
  --no-blocked-monitor   disable the blocked-worker monitor (on by default, multi only)
)";

// Base sizes at --scale 1: the Tokio anchor's, so that ops and work per op are the same.
constexpr std::size_t spawn_n = 100'000;
constexpr std::size_t yield_tasks = 200;
constexpr std::size_t yield_per_task = 1'000;
constexpr std::size_t ping_pairs = 1'000;
constexpr std::size_t ping_rounds = 100;
constexpr std::size_t chain_depth = 10'000;
constexpr std::size_t chain_reps = 10;
constexpr std::size_t mpsc_msgs = 1'000'000;
constexpr std::size_t mpsc_cap = 1'024;
constexpr std::size_t timer_tasks = 100'000;
constexpr std::uint64_t timer_min_ms = 1;
constexpr std::uint64_t timer_max_ms = 10;

constexpr std::string_view benches[] = {
    "spawn_many_local", "spawn_many_remote", "yield_many", "ping_pong",
    "chained_spawn",    "mpsc_1p1c",         "mpsc_4p1c",  "timer_wheel",
};

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "error: %s\n", msg.c_str());
    std::exit(2);
}

/// A result that the workload cannot produce unless the runtime lost or duplicated work.
struct VerifyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void verify(bool ok, const char* what) {
    if (!ok) throw VerifyError(what);
}

std::size_t scaled(std::size_t base, double scale) {
    return std::max<std::size_t>(1,
                                 static_cast<std::size_t>(std::llround(static_cast<double>(base) * scale)));
}

/// What the runtime observes about itself, beyond the always-on counters: the two switches
/// whose cost `--poll-time-histogram` and `--no-blocked-monitor` measure.
struct Observation {
    bool poll_time_histogram = false;  // off by default in weft
    bool blocked_monitor = true;       // on by default in weft (multi_thread only)
};

struct Flavor {
    bool multi;
    std::size_t workers;  // 1 for current_thread

    const char* name() const { return multi ? "multi_thread" : "current_thread"; }
    weft::Runtime build(const Observation& o) const {
        auto b = multi ? weft::Runtime::Builder::multi_thread() : weft::Runtime::Builder::current_thread();
        if (multi) b.worker_threads(workers);
        b.enable_poll_time_histogram(o.poll_time_histogram);
        if (!o.blocked_monitor) b.blocked_worker_threshold(std::chrono::milliseconds(0));
        return b.build();
    }
};

/// One output line.
struct Line {
    const char* bench;
    std::uint64_t ops;
    Seconds took;
};

/// xorshift64*: picks the sleep durations of `timer_wheel`. The Tokio anchor uses the same
/// generator and seed, so both runtimes get the same sequence of timers.
class XorShift {
public:
    explicit XorShift(std::uint64_t seed) : x_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
    std::uint64_t next() {
        x_ ^= x_ >> 12;
        x_ ^= x_ << 25;
        x_ ^= x_ >> 27;
        return x_ * 0x2545F4914F6CDD1Dull;
    }
    /// Uniform in [lo, hi].
    std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + next() % (hi - lo + 1); }

private:
    std::uint64_t x_;
};

/// Countdown latch: `hit()` N times, and `wait()` completes after the N-th hit. `Notify` stores a
/// permit when nobody waits yet, so a last hit that comes before the wait is not lost. (The
/// anchor's latch, built the same way on tokio::sync::Notify.)
class Latch {
public:
    explicit Latch(std::size_t n) : left_(n) {}
    void hit() {
        if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) notify_.notify_one();
    }
    weft::Task<> wait() {
        if (left_.load(std::memory_order_acquire) != 0) co_await notify_.notified();
    }

private:
    std::atomic<std::size_t> left_;
    weft::sync::Notify notify_;
};

template <class T>
weft::Task<T> spawn_and_join(weft::Task<T> body) {
    auto handle = weft::spawn(std::move(body), "bench");
    auto joined = co_await handle;
    if (!joined) {
        if (joined.error().is_failed()) joined.error().rethrow();
        throw std::runtime_error("the benchmark task was cancelled");
    }
    co_return std::move(*joined);
}

/// Runs `body` as a spawned task and returns its result. On the multi_thread flavour that puts
/// it on a worker thread (block_on's thread is not one), so the tasks it spawns go to that
/// worker's local queue, as with the anchor's `in_task`.
template <class T>
T in_task(weft::Runtime& rt, weft::Task<T> body) {
    return rt.block_on(spawn_and_join(std::move(body)));
}

// ------------------------------------------------------------------------------ benchmarks

weft::Task<> hit(std::shared_ptr<Latch> latch) {
    latch->hit();
    co_return;
}

/// From inside a task, spawn N tiny tasks that each count the latch down; the last one wakes
/// the waiter. ops = N spawns.
weft::Task<Seconds> spawn_many_local_body(std::size_t n) {
    auto start = Clock::now();
    auto latch = std::make_shared<Latch>(n);
    for (std::size_t i = 0; i < n; ++i) weft::spawn(hit(latch)).detach();
    co_await latch->wait();
    co_return Clock::now() - start;
}

std::vector<Line> spawn_many_local(weft::Runtime& rt, double scale) {
    const std::size_t n = scaled(spawn_n, scale);
    return {{"spawn_many_local", n, in_task(rt, spawn_many_local_body(n))}};
}

/// The same N tasks spawned through a `Handle` from a plain thread, while the main thread
/// drives the runtime (block_on) until all have run. ops = N spawns.
std::vector<Line> spawn_many_remote(weft::Runtime& rt, double scale) {
    const std::size_t n = scaled(spawn_n, scale);
    auto latch = std::make_shared<Latch>(n);
    std::barrier go(2);
    std::jthread spawner([&go, latch, n, handle = rt.handle()] {
        go.arrive_and_wait();
        for (std::size_t i = 0; i < n; ++i) handle.spawn(hit(latch)).detach();
    });
    go.arrive_and_wait();
    auto start = Clock::now();
    rt.block_on(latch->wait());
    Seconds took = Clock::now() - start;
    spawner.join();
    return {{"spawn_many_remote", n, took}};
}

weft::Task<> yielder(std::size_t yields, std::shared_ptr<Latch> latch) {
    for (std::size_t i = 0; i < yields; ++i) co_await weft::yield_now();
    latch->hit();
}

/// T tasks each call yield_now() Y times. ops = T*Y yields.
weft::Task<Seconds> yield_many_body(std::size_t tasks, std::size_t per_task) {
    auto start = Clock::now();
    auto latch = std::make_shared<Latch>(tasks);
    for (std::size_t t = 0; t < tasks; ++t) weft::spawn(yielder(per_task, latch)).detach();
    co_await latch->wait();
    co_return Clock::now() - start;
}

std::vector<Line> yield_many(weft::Runtime& rt, double scale) {
    const std::size_t per_task = scaled(yield_per_task, scale);
    return {{"yield_many", yield_tasks * per_task, in_task(rt, yield_many_body(yield_tasks, per_task))}};
}

namespace mpsc = weft::sync::mpsc;

weft::Task<> ponger(mpsc::Receiver<std::uint64_t> ping_rx, mpsc::Sender<std::uint64_t> pong_tx) {
    while (auto v = co_await ping_rx.recv()) {
        if (!co_await pong_tx.send(*v + 1)) break;
    }
}

/// Sends 0, expects 1 back, sends 1, ...; after `rounds` round trips reports the last reply
/// (== rounds). Returns early, dropping `done` unsent, if the channel fails.
weft::Task<> pinger(mpsc::Sender<std::uint64_t> ping_tx, mpsc::Receiver<std::uint64_t> pong_rx,
                    std::size_t rounds, weft::sync::OneshotSender<std::uint64_t> done) {
    std::uint64_t v = 0;
    for (std::size_t r = 0; r < rounds; ++r) {
        if (!co_await ping_tx.send(v)) co_return;
        auto reply = co_await pong_rx.recv();
        if (!reply) co_return;
        v = *reply;
    }
    (void)done.send(v);
}

/// P pairs of tasks bounce a number back and forth R times through two bounded(1) mpsc
/// channels, and report the final number through a oneshot. ops = P*R round trips.
weft::Task<Seconds> ping_pong_body(std::size_t pairs, std::size_t rounds) {
    auto start = Clock::now();
    std::vector<weft::sync::OneshotReceiver<std::uint64_t>> dones;
    dones.reserve(pairs);
    for (std::size_t p = 0; p < pairs; ++p) {
        auto [ping_tx, ping_rx] = mpsc::channel<std::uint64_t>(1);
        auto [pong_tx, pong_rx] = mpsc::channel<std::uint64_t>(1);
        auto [done_tx, done_rx] = weft::sync::oneshot<std::uint64_t>();
        weft::spawn(ponger(std::move(ping_rx), std::move(pong_tx))).detach();
        weft::spawn(pinger(std::move(ping_tx), std::move(pong_rx), rounds, std::move(done_tx))).detach();
        dones.push_back(std::move(done_rx));
    }
    for (auto& done : dones) {
        auto last = co_await done;
        verify(last.has_value(), "ping_pong: a pair stopped before its last round trip");
        verify(*last == rounds, "ping_pong: a pair's final value is not its round-trip count");
    }
    co_return Clock::now() - start;
}

std::vector<Line> ping_pong(weft::Runtime& rt, double scale) {
    const std::size_t rounds = scaled(ping_rounds, scale);
    return {{"ping_pong", ping_pairs * rounds, in_task(rt, ping_pong_body(ping_pairs, rounds))}};
}

using ChainDone = weft::sync::OneshotSender<bool>;
void chain_link(std::size_t left, ChainDone done);

weft::Task<> chain_task(std::size_t left, ChainDone done) {
    chain_link(left, std::move(done));
    co_return;
}

/// Spawns the next link, or ends the chain. Called directly for the first link, like the
/// anchor's `chain_link`, so a chain of depth D is D spawns.
void chain_link(std::size_t left, ChainDone done) {
    if (left == 0) {
        (void)done.send(true);
    } else {
        weft::spawn(chain_task(left - 1, std::move(done))).detach();
    }
}

/// Each task spawns the next one, depth D; repeated K times one after the other.
/// ops = D*K spawns.
weft::Task<Seconds> chained_spawn_body(std::size_t reps) {
    auto start = Clock::now();
    for (std::size_t r = 0; r < reps; ++r) {
        auto [tx, rx] = weft::sync::oneshot<bool>();
        chain_link(chain_depth, std::move(tx));
        auto end = co_await rx;
        verify(end.has_value(), "chained_spawn: a link was dropped before the end of the chain");
    }
    co_return Clock::now() - start;
}

std::vector<Line> chained_spawn(weft::Runtime& rt, double scale) {
    const std::size_t reps = scaled(chain_reps, scale);
    return {{"chained_spawn", reps * chain_depth, in_task(rt, chained_spawn_body(reps))}};
}

weft::Task<> producer(mpsc::Sender<std::uint64_t> tx, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        if (!co_await tx.send(i)) co_return;  // the consumer's count then falls short
    }
}

struct Received {
    std::size_t count = 0;
    std::uint64_t sum = 0;
};

weft::Task<Received> consumer(mpsc::Receiver<std::uint64_t> rx) {
    Received got;
    while (auto v = co_await rx.recv()) {
        ++got.count;
        got.sum += *v;
    }
    co_return got;
}

/// Bounded mpsc (capacity 1024): `producers` tasks send 0, 1, 2, ... (M messages in all) to
/// one consumer task, which counts and sums them until every sender is gone. ops = M.
weft::Task<Seconds> mpsc_body(std::size_t total, std::size_t producers) {
    auto start = Clock::now();
    auto [tx, rx] = mpsc::channel<std::uint64_t>(mpsc_cap);
    std::uint64_t want_sum = 0;
    for (std::size_t p = 0; p < producers; ++p) {
        const std::size_t count = total / producers + (p < total % producers ? 1 : 0);
        want_sum += static_cast<std::uint64_t>(count) * (count - 1) / 2;
        weft::spawn(producer(tx, count)).detach();
    }
    { auto last_ref = std::move(tx); }  // the producers hold the only senders now
    auto consumer_handle = weft::spawn(consumer(std::move(rx)));
    auto got = co_await consumer_handle;
    if (!got) got.error().rethrow();
    verify(got->count == total, "mpsc: the consumer did not receive every message");
    verify(got->sum == want_sum, "mpsc: the received values do not add up");
    co_return Clock::now() - start;
}

std::vector<Line> mpsc_throughput(weft::Runtime& rt, double scale, std::size_t producers) {
    const std::size_t total = scaled(mpsc_msgs, scale);
    return {{producers == 1 ? "mpsc_1p1c" : "mpsc_4p1c", total, in_task(rt, mpsc_body(total, producers))}};
}

/// How late the timers fired, beyond their requested sleep.
struct Lateness {
    std::atomic<std::uint64_t> sum_ns{0};
    std::atomic<std::uint64_t> max_ns{0};

    void add(Clock::duration late) {
        const auto ns = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(late).count()));
        sum_ns.fetch_add(ns, std::memory_order_relaxed);
        auto seen = max_ns.load(std::memory_order_relaxed);
        while (ns > seen && !max_ns.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
        }
    }
};

weft::Task<> sleeper(std::chrono::milliseconds want, std::shared_ptr<Latch> latch,
                     std::shared_ptr<Lateness> lateness) {
    auto t0 = Clock::now();
    co_await weft::time::sleep(want);
    lateness->add(Clock::now() - t0 - want);
    latch->hit();
}

struct TimerRun {
    Seconds wall;
    std::uint64_t late_sum_ns;
    std::uint64_t late_max_ns;
};

weft::Task<TimerRun> timer_wheel_body(std::size_t n) {
    XorShift rng(0x5EED);
    auto lateness = std::make_shared<Lateness>();
    auto latch = std::make_shared<Latch>(n);
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        std::chrono::milliseconds want(rng.range(timer_min_ms, timer_max_ms));
        weft::spawn(sleeper(want, latch, lateness)).detach();
    }
    co_await latch->wait();
    co_return TimerRun{Clock::now() - start, lateness->sum_ns.load(), lateness->max_ns.load()};
}

/// N tasks each sleep a pseudo-random 1..=10 ms and finish. Reports the wall time (line
/// `timer_wheel`) and the overhead beyond the longest requested sleep (line
/// `timer_wheel_overhead`, seconds = wall - 10 ms); mean and max lateness of single timers go
/// to stderr.
std::vector<Line> timer_wheel(weft::Runtime& rt, double scale, const Flavor& flavor, bool report) {
    const std::size_t n = scaled(timer_tasks, scale);
    const TimerRun run = in_task(rt, timer_wheel_body(n));
    if (report) {
        std::fprintf(stderr,
                     "# timer_wheel %s threads=%zu tasks=%zu wall_ms=%.2f mean_lateness_us=%.1f "
                     "max_lateness_us=%.1f\n",
                     flavor.name(), flavor.workers, n, run.wall.count() * 1e3,
                     static_cast<double>(run.late_sum_ns) / static_cast<double>(n) / 1e3,
                     static_cast<double>(run.late_max_ns) / 1e3);
    }
    const Seconds overhead =
        std::max<Seconds>(Seconds(0), run.wall - std::chrono::milliseconds(timer_max_ms));
    return {{"timer_wheel", n, run.wall}, {"timer_wheel_overhead", n, overhead}};
}

/// `report`: print diagnostics (off for the warm-up run).
std::vector<Line> run_one(std::string_view name, weft::Runtime& rt, double scale, const Flavor& flavor,
                          bool report) {
    if (name == "spawn_many_local") return spawn_many_local(rt, scale);
    if (name == "spawn_many_remote") return spawn_many_remote(rt, scale);
    if (name == "yield_many") return yield_many(rt, scale);
    if (name == "ping_pong") return ping_pong(rt, scale);
    if (name == "chained_spawn") return chained_spawn(rt, scale);
    if (name == "mpsc_1p1c") return mpsc_throughput(rt, scale, 1);
    if (name == "mpsc_4p1c") return mpsc_throughput(rt, scale, 4);
    if (name == "timer_wheel") return timer_wheel(rt, scale, flavor, report);
    die("unknown benchmark \"" + std::string(name) + "\"; try --list");
}

void print_line(const Line& l, const Flavor& flavor) {
    const double secs = l.took.count();
    const double rate = secs > 0 ? static_cast<double>(l.ops) / secs : 0.0;
    std::printf("%s\t%s\t%zu\t%llu\t%.6f\t%.1f\n", l.bench, flavor.name(), flavor.workers,
                static_cast<unsigned long long>(l.ops), secs, rate);
    std::fflush(stdout);  // line by line, so a crash or a hang later loses nothing
}

// ------------------------------------------------------------------------------ arguments

/// The anchor's command line: `--name value` or `--name=value` options, a few bare flags,
/// `-h` for `--help`, `--` ends the options, everything else is a benchmark name.
struct Args {
    std::vector<std::string> names;
    std::map<std::string, std::string, std::less<>> opts;
    std::vector<std::string> flags;

    static Args parse(int argc, char** argv) {
        static constexpr std::string_view bool_flags[] = {
            "no-warmup", "poll-time-histogram", "no-blocked-monitor", "header", "list", "help"};
        static constexpr std::string_view value_opts[] = {"threads", "flavor", "scale", "repeat",
                                                          "warmup-scale"};
        Args a;
        for (int i = 1; i < argc; ++i) {
            std::string_view arg = argv[i];
            if (arg == "-h") arg = "--help";
            if (!arg.starts_with("--")) {
                a.names.emplace_back(arg);
                continue;
            }
            std::string_view body = arg.substr(2);
            if (body.empty()) {
                for (++i; i < argc; ++i) a.names.emplace_back(argv[i]);
                break;
            }
            std::string_view key = body.substr(0, body.find('='));
            if (std::ranges::find(bool_flags, key) != std::end(bool_flags) && key.size() == body.size()) {
                a.flags.emplace_back(key);
            } else if (std::ranges::find(value_opts, key) != std::end(value_opts)) {
                if (key.size() < body.size()) {
                    a.opts[std::string(key)] = std::string(body.substr(key.size() + 1));
                } else if (i + 1 < argc) {
                    a.opts[std::string(key)] = argv[++i];
                } else {
                    die("option --" + std::string(key) + " needs a value");
                }
            } else {
                die("unknown option " + std::string(arg) + "; see --help");
            }
        }
        return a;
    }

    bool flag(std::string_view name) const { return std::ranges::find(flags, name) != flags.end(); }
    const std::string* get(std::string_view name) const {
        auto it = opts.find(name);
        return it == opts.end() ? nullptr : &it->second;
    }
};

double parse_double(const std::string& s, const char* what) {
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') die(std::string("bad value for --") + what + ": \"" + s + "\"");
    return v;
}

std::size_t parse_count(const std::string& s, const char* what) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || s.front() == '-') {
        die(std::string("bad value for --") + what + ": \"" + s + "\"");
    }
    return static_cast<std::size_t>(v);
}

std::vector<std::size_t> parse_list(const std::string& s) {
    std::vector<std::size_t> out;
    std::size_t from = 0;
    while (from <= s.size()) {
        std::size_t to = std::min(s.find(',', from), s.size());
        if (to > from) out.push_back(parse_count(s.substr(from, to - from), "threads"));
        from = to + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = Args::parse(argc, argv);
    if (args.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (args.flag("list")) {
        for (auto b : benches) std::printf("%.*s\n", static_cast<int>(b.size()), b.data());
        return 0;
    }
    const double scale = args.get("scale") ? parse_double(*args.get("scale"), "scale") : 1.0;
    if (std::isnan(scale) || scale <= 0) die("--scale must be > 0");
    const double warmup_scale =
        args.get("warmup-scale") ? parse_double(*args.get("warmup-scale"), "warmup-scale") : 0.1;
    if (std::isnan(warmup_scale) || warmup_scale <= 0) die("--warmup-scale must be > 0");
    const std::size_t repeat = args.get("repeat") ? parse_count(*args.get("repeat"), "repeat") : 1;
    const std::vector<std::size_t> threads =
        args.get("threads") ? parse_list(*args.get("threads"))
                            : std::vector<std::size_t>{std::max(1u, std::thread::hardware_concurrency())};

    const std::string flavor_sel = args.get("flavor") ? *args.get("flavor") : "both";
    std::vector<Flavor> flavors;
    if (flavor_sel == "both" || flavor_sel == "current" || flavor_sel == "current_thread") {
        flavors.push_back({false, 1});
    }
    if (flavor_sel == "both" || flavor_sel == "multi" || flavor_sel == "multi_thread") {
        for (auto t : threads) flavors.push_back({true, std::max<std::size_t>(1, t)});
    }
    if (flavors.empty()) die("--flavor must be current, multi or both");

    std::vector<std::string> names = args.names;
    if (names.empty() || std::ranges::find(names, "all") != names.end())
        names.assign(std::begin(benches), std::end(benches));
    for (const auto& n : names) {
        if (std::ranges::find(benches, n) == std::end(benches)) {
            die("unknown benchmark \"" + n + "\"; try --list");
        }
    }

    const Observation observation{args.flag("poll-time-histogram"), !args.flag("no-blocked-monitor")};
    if (args.flag("header")) std::printf("bench\tflavor\tthreads\tops\tseconds\tops_per_sec\n");
    for (const auto& name : names) {
        for (const auto& flavor : flavors) {
            try {
                weft::Runtime rt = flavor.build(observation);
                if (!args.flag("no-warmup")) (void)run_one(name, rt, scale * warmup_scale, flavor, false);
                for (std::size_t r = 0; r < repeat; ++r) {
                    for (const Line& l : run_one(name, rt, scale, flavor, true)) print_line(l, flavor);
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "error: %s on %s/%zu: %s\n", name.c_str(), flavor.name(), flavor.workers,
                             e.what());
                return 1;
            }
        }
    }
    return 0;
}
