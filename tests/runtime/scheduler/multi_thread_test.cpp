#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>
#include <weft/io/pipe.hpp>
#include <weft/net/tcp_listener.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/blocking/spawn_blocking.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "support/live_tasks.hpp"

namespace {

using namespace std::chrono_literals;

weft::Runtime multi(std::size_t workers) {
    return weft::Runtime::Builder::multi_thread().worker_threads(workers).build();
}

TEST(MultiThread, BlockOnRunsSpawnedTasksOnWorkers) {
    auto rt = multi(2);
    auto child = [](int v) -> weft::Task<std::thread::id> {
        co_await weft::yield_now();
        (void)v;
        co_return std::this_thread::get_id();
    };
    auto parent = [&]() -> weft::Task<bool> {
        auto h = weft::spawn(child(1));
        auto id = (co_await h).value();
        co_return id != std::this_thread::get_id();  // block_on's thread is not a worker
    };
    EXPECT_TRUE(rt.block_on(parent()));
}

// One worker takes from its queue and LIFO slot without locked instructions (nobody steals):
// a storm that overflows into the inject queue and a chain of wakes through the LIFO slot.
TEST(MultiThread, OneWorkerRunsAStormAndAChainOfWakes) {
    auto rt = multi(1);
    constexpr int n = 20'000;
    auto root = []() -> weft::Task<long long> {
        std::vector<weft::JoinHandle<int>> hs;
        hs.reserve(n);
        auto child = [](int i) -> weft::Task<int> {
            co_await weft::yield_now();
            co_return i;
        };
        for (int i = 0; i < n; ++i) hs.push_back(weft::spawn(child(i)));
        long long sum = 0;
        for (auto& h : hs) sum += (co_await h).value();
        // A chain: each link spawns the next and waits for it, so every wake goes to the slot.
        struct Chain {
            static weft::Task<int> link(int left) {
                if (left == 0) co_return 0;
                auto next = weft::spawn(link(left - 1));
                co_return 1 + (co_await next).value();
            }
        };
        sum += (co_await weft::spawn(Chain::link(1'000))).value();
        co_return sum;
    };
    auto outer = [&]() -> weft::Task<long long> { co_return (co_await weft::spawn(root())).value(); };
    EXPECT_EQ(rt.block_on(outer()), static_cast<long long>(n) * (n - 1) / 2 + 1'000);
    EXPECT_EQ(weft::test::settled_live_tasks(rt), 0u);
}

TEST(MultiThread, HundredThousandTasksSpawnedFromATaskAndJoined) {
    auto rt = multi(2);
    constexpr int n = 100'000;
    auto root = [&]() -> weft::Task<long long> {
        auto spawner = []() -> weft::Task<long long> {
            std::vector<weft::JoinHandle<int>> hs;
            hs.reserve(n);
            auto child = [](int i) -> weft::Task<int> { co_return i; };
            for (int i = 0; i < n; ++i) hs.push_back(weft::spawn(child(i)));
            long long sum = 0;
            for (auto& h : hs) sum += (co_await h).value();
            co_return sum;
        };
        co_return (co_await weft::spawn(spawner())).value();
    };
    EXPECT_EQ(rt.block_on(root()), static_cast<long long>(n) * (n - 1) / 2);
    EXPECT_EQ(weft::test::settled_live_tasks(rt), 0u);
    auto m = rt.metrics();
    EXPECT_EQ(m.spawned_total, static_cast<std::uint64_t>(n) + 1);
}

TEST(MultiThread, SpawnStormFromManyThreads) {
    auto rt = multi(2);
    auto handle = rt.handle();
    std::atomic<int> ran{0};
    constexpr int threads = 4;
    constexpr int per_thread = 5'000;
    std::vector<std::thread> spawners;
    for (int t = 0; t < threads; ++t) {
        spawners.emplace_back([&, handle] {
            std::vector<weft::JoinHandle<void>> hs;
            auto body = [](std::atomic<int>& counter) -> weft::Task<> {
                counter.fetch_add(1);
                co_return;
            };
            for (int i = 0; i < per_thread; ++i) hs.push_back(handle.spawn(body(ran)));
            auto join_all = [](std::vector<weft::JoinHandle<void>>& v) -> weft::Task<> {
                for (auto& h : v) (void)co_await h;
            };
            weft::block_on(join_all(hs));  // plain block_on on a non-runtime thread
        });
    }
    for (auto& t : spawners) t.join();
    EXPECT_EQ(ran.load(), threads * per_thread);
}

TEST(MultiThread, IdleWorkersStealFromABusyOne) {
    auto rt = multi(2);
    std::mutex m;
    std::set<std::thread::id> seen;
    auto spin = [&]() -> weft::Task<> {
        auto until = std::chrono::steady_clock::now() + 2ms;
        while (std::chrono::steady_clock::now() < until) {
        }
        std::lock_guard lock(m);
        seen.insert(std::this_thread::get_id());
        co_return;
    };
    auto root = [&]() -> weft::Task<> {
        // Spawned from one worker: they land in its local queue, and the other must steal.
        auto spawner = [&]() -> weft::Task<> {
            std::vector<weft::JoinHandle<void>> hs;
            for (int i = 0; i < 64; ++i) hs.push_back(weft::spawn(spin()));
            for (auto& h : hs) (void)co_await h;
        };
        (void)co_await weft::spawn(spawner());
    };
    rt.block_on(root());
    EXPECT_EQ(seen.size(), 2u);
    std::uint64_t steals = 0;
    for (auto& w : rt.metrics().per_worker) steals += w.steals;
    EXPECT_GT(steals, 0u);
}

TEST(MultiThread, CoopBudgetLetsATimerRunBesideAnAlwaysReadyReader) {
    // One worker; a task reads one byte at a time from a pipe that always has data. Without the
    // budget it would never suspend and the sleeper would never run.
    auto rt = multi(1);
    auto root = []() -> weft::Task<std::size_t> {
        std::atomic<bool> timer_fired{false};
        auto [reader, writer] = weft::io::pipe(1 << 20);
        std::string data(1 << 20, 'x');
        (void)co_await weft::io::write_all(writer, weft::io::as_bytes(data));
        auto sleeper = [](std::atomic<bool>& flag) -> weft::Task<> {
            co_await weft::time::sleep(5ms);
            flag = true;
        };
        auto greedy = [](weft::io::PipeReader& r, std::atomic<bool>& flag) -> weft::Task<std::size_t> {
            std::size_t reads = 0;
            std::byte b[1];
            while (!flag.load() && reads < (1u << 20)) {
                (void)co_await r.read(b);
                ++reads;
            }
            co_return reads;
        };
        auto s = weft::spawn(sleeper(timer_fired));
        auto g = weft::spawn(greedy(reader, timer_fired));
        auto reads = (co_await g).value();
        (void)co_await s;
        co_return reads;
    };
    EXPECT_LT(rt.block_on(root()), 1u << 20);  // stopped by the timer, not by running dry
}

TEST(MultiThread, YieldingTasksShareOneWorkerFairly) {
    auto rt = multi(1);
    auto root = []() -> weft::Task<bool> {
        std::atomic<int> a{0}, b{0};
        std::atomic<bool> stop{false};
        auto looper = [](std::atomic<int>& n, std::atomic<bool>& stop) -> weft::Task<> {
            while (!stop.load()) {
                ++n;
                co_await weft::yield_now();
            }
        };
        auto ha = weft::spawn(looper(a, stop));
        auto hb = weft::spawn(looper(b, stop));
        while (a.load() < 1000 || b.load() < 1000) co_await weft::yield_now();
        stop = true;
        (void)co_await ha;
        (void)co_await hb;
        co_return true;
    };
    EXPECT_TRUE(rt.block_on(root()));
}

TEST(MultiThread, LifoTaskIsStolenWhenItsWorkerBlocks) {
    // tokio#4941: a task woken into the LIFO slot of a worker that then blocks must not wait
    // for that worker. Worker A: task X wakes Y (LIFO slot) then blocks for a long time.
    auto rt = weft::Runtime::Builder::multi_thread()
                  .worker_threads(2)
                  .blocked_worker_threshold(20ms)
                  .on_blocked_worker([](const weft::BlockedWorkerReport&) {})
                  .build();
    auto root = []() -> weft::Task<bool> {
        std::atomic<bool> y_ran{false};
        std::atomic<bool> x_done{false};
        auto y = [](std::atomic<bool>& flag) -> weft::Task<> {
            flag = true;
            co_return;
        };
        auto x = [&]() -> weft::Task<> {
            auto h = weft::spawn(y(y_ran));  // lands in this worker's LIFO slot
            h.detach();
            auto until = std::chrono::steady_clock::now() + 1s;
            while (!y_ran.load() && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(1ms);
            x_done = true;
            co_return;
        };
        (void)co_await weft::spawn(x());
        co_return y_ran.load();
    };
    EXPECT_TRUE(rt.block_on(root()));
}

TEST(MultiThread, BlockedWorkerIsReportedWithTheTaskName) {
    std::mutex m;
    std::vector<weft::BlockedWorkerReport> reports;
    auto rt = weft::Runtime::Builder::multi_thread()
                  .worker_threads(2)
                  .blocked_worker_threshold(40ms)
                  .on_blocked_worker([&](const weft::BlockedWorkerReport& r) {
                      std::lock_guard lock(m);
                      reports.push_back(r);
                  })
                  .build();
    auto blocker = []() -> weft::Task<> {
        std::this_thread::sleep_for(300ms);  // the seed's first gotcha
        co_return;
    };
    auto root = [&]() -> weft::Task<> { (void)co_await weft::spawn(blocker(), "sleepy-task"); };
    rt.block_on(root());
    std::lock_guard lock(m);
    ASSERT_EQ(reports.size(), 1u);  // once per blocking poll, not once per sample
    EXPECT_STREQ(reports[0].task_name, "sleepy-task");
    EXPECT_GE(reports[0].blocked_for, 40ms);
    EXPECT_NE(std::string(reports[0].spawned_at.file_name()).find("multi_thread_test.cpp"),
              std::string::npos);
    EXPECT_EQ(rt.metrics().blocked_polls, 1u);
}

TEST(MultiThread, DumpListsStuckTasksAndWhatTheyWaitFor) {
    auto rt = multi(2);
    auto sleeper = []() -> weft::Task<> { co_await weft::time::sleep(1h); };
    auto acceptor = []() -> weft::Task<> {
        auto l = weft::net::TcpListener::bind("127.0.0.1:0").value();
        (void)co_await l.accept();
    };
    auto root = [&]() -> weft::Task<std::string> {
        auto s = weft::spawn(sleeper(), "stuck-sleeper");
        auto a = weft::spawn(acceptor(), "stuck-acceptor");
        auto joiner = [](weft::JoinHandle<void> h) -> weft::Task<> { (void)co_await h; };
        auto j = weft::spawn(joiner(std::move(s)), "stuck-joiner");
        co_await weft::time::sleep(20ms);  // let them all reach their wait
        std::string dump = weft::Runtime::Builder::current_thread().build().dump();  // empty runtime
        (void)dump;
        a.detach();
        j.detach();
        co_return "";
    };
    rt.block_on(root());
    // 20 ms is usually enough, but a worker preempted mid-poll on a loaded machine is not
    // waiting yet: give it up to 5 s to get there.
    const char* waits[] = {"sleep (deadline in", "fd readable (fd ", "join (task "};
    auto all_waiting = [&](const std::string& d) {
        return std::ranges::all_of(waits, [&](const char* w) { return d.find(w) != std::string::npos; });
    };
    std::string dump = rt.dump();
    for (int i = 0; i < 5000 && !all_waiting(dump); ++i) {
        std::this_thread::sleep_for(1ms);
        dump = rt.dump();
    }
    EXPECT_NE(dump.find("'stuck-sleeper'"), std::string::npos) << dump;
    EXPECT_NE(dump.find("sleep (deadline in"), std::string::npos) << dump;
    EXPECT_NE(dump.find("'stuck-acceptor'"), std::string::npos) << dump;
    EXPECT_NE(dump.find("fd readable (fd "), std::string::npos) << dump;
    EXPECT_NE(dump.find("'stuck-joiner'"), std::string::npos) << dump;
    EXPECT_NE(dump.find("join (task "), std::string::npos) << dump;
    EXPECT_NE(dump.find(": idle"), std::string::npos) << dump;
}

TEST(RuntimeDump, ShowsATaskThatHasNotStarted) {
    auto rt = weft::Runtime::Builder::current_thread().build();
    auto never_polled = []() -> weft::Task<> { co_return; };
    std::string dump = rt.block_on([&]() -> weft::Task<std::string> {
        auto h = weft::spawn(never_polled(), "fresh");
        std::string out = rt.dump();  // before this task yields: the spawned one has not run
        co_await h;
        co_return out;
    }());
    EXPECT_NE(dump.find("'fresh'"), std::string::npos) << dump;
    EXPECT_NE(dump.find(": scheduled, not started"), std::string::npos) << dump;
    EXPECT_EQ(dump.find("waiting on"), std::string::npos) << dump;
}

TEST(MultiThread, AbortFromAnotherThreadWhileWakesRace) {
    auto rt = multi(2);
    auto handle = rt.handle();
    for (int round = 0; round < 200; ++round) {
        auto looper = []() -> weft::Task<> {
            for (;;) co_await weft::yield_now();
        };
        auto h = handle.spawn(looper());
        std::thread aborter([&] { h.abort(); });
        aborter.join();
        auto r = weft::block_on([](weft::JoinHandle<void>& h) -> weft::Task<bool> {
            auto out = co_await h;
            co_return !out && out.error().is_cancelled();
        }(h));
        ASSERT_TRUE(r);
    }
}

TEST(MultiThread, TimersFireOnWorkers) {
    auto rt = multi(2);
    auto root = []() -> weft::Task<int> {
        std::vector<weft::JoinHandle<int>> hs;
        auto sleeper = [](int ms) -> weft::Task<int> {
            co_await weft::time::sleep(std::chrono::milliseconds(ms));
            co_return 1;
        };
        for (int i = 0; i < 1000; ++i) hs.push_back(weft::spawn(sleeper(1 + i % 10)));
        int n = 0;
        for (auto& h : hs) n += (co_await h).value();
        auto late = co_await weft::time::timeout(5ms, sleeper(1000));
        co_return late ? -1 : n;
    };
    EXPECT_EQ(rt.block_on(root()), 1000);
    EXPECT_EQ(rt.metrics().active_timers, 0u);
}

TEST(MultiThread, TcpEchoAcrossWorkers) {
    auto rt = multi(2);
    auto root = []() -> weft::Task<int> {
        auto listener = weft::net::TcpListener::bind("127.0.0.1:0").value();
        auto port = listener.local_addr()->port();
        auto serve = [](weft::net::TcpStream s) -> weft::Task<> {
            std::string data;
            (void)co_await s.read_to_string(data);
            (void)co_await s.write_all(data);
        };
        auto server = [&](int n) -> weft::Task<> {
            for (int i = 0; i < n; ++i) {
                auto c = co_await listener.accept();
                if (c) weft::spawn(serve(std::move(c->first))).detach();
            }
        };
        constexpr int clients = 50;
        auto srv = weft::spawn(server(clients));
        auto client = [](std::uint16_t port, int i) -> weft::Task<bool> {
            auto s = co_await weft::net::TcpStream::connect("127.0.0.1", port);
            if (!s) co_return false;
            std::string msg = "hello " + std::to_string(i);
            (void)co_await s->write_all(msg);
            (void)co_await s->shutdown();
            std::string reply;
            (void)co_await s->read_to_string(reply);
            co_return reply == msg;
        };
        std::vector<weft::JoinHandle<bool>> hs;
        for (int i = 0; i < clients; ++i) hs.push_back(weft::spawn(client(port, i)));
        int ok = 0;
        for (auto& h : hs) ok += (co_await h).value_or(false) ? 1 : 0;
        (void)co_await srv;
        co_return ok;
    };
    EXPECT_EQ(rt.block_on(root()), 50);
}

TEST(MultiThread, ShutdownWithTasksMidFlightLeaksNothing) {
    auto alive = std::make_shared<std::atomic<int>>(0);
    struct Guard {
        std::shared_ptr<std::atomic<int>> n;
        explicit Guard(std::shared_ptr<std::atomic<int>> c) : n(std::move(c)) { ++*n; }
        ~Guard() { --*n; }
    };
    {
        auto rt = multi(2);
        auto handle = rt.handle();
        auto sleeper = [](std::shared_ptr<std::atomic<int>> n) -> weft::Task<> {
            Guard g(std::move(n));
            co_await weft::time::sleep(1h);
        };
        auto spinner = [](std::shared_ptr<std::atomic<int>> n) -> weft::Task<> {
            Guard g(std::move(n));
            for (;;) co_await weft::yield_now();
        };
        for (int i = 0; i < 100; ++i) {
            handle.spawn(sleeper(alive)).detach();
            handle.spawn(spinner(alive)).detach();
        }
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(alive->load(), 0);
}

TEST(MultiThread, SpawnAfterShutdownIsCancelled) {
    weft::Handle handle;
    {
        auto rt = multi(1);
        handle = rt.handle();
    }
    auto t = []() -> weft::Task<int> { co_return 1; };
    auto h = handle.spawn(t());
    auto r = weft::block_on([](weft::JoinHandle<int>& h) -> weft::Task<bool> {
        auto out = co_await h;
        co_return !out && out.error().is_cancelled();
    }(h));
    EXPECT_TRUE(r);
}

TEST(MultiThread, BlockingPoolWorksFromWorkers) {
    auto rt = multi(2);
    auto root = []() -> weft::Task<int> {
        std::vector<weft::JoinHandle<int>> hs;
        auto job = []() -> weft::Task<int> { co_return co_await weft::spawn_blocking([] { return 1; }); };
        for (int i = 0; i < 200; ++i) hs.push_back(weft::spawn(job()));
        int n = 0;
        for (auto& h : hs) n += (co_await h).value();
        co_return n;
    };
    EXPECT_EQ(rt.block_on(root()), 200);
}

}  // namespace
