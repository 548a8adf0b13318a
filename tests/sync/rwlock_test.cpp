#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/rwlock.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "sync/support.hpp"

namespace {

using namespace std::chrono_literals;
using weft::sync::RwLock;

weft::Task<> settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

// Log lines are built with append, not operator+: GCC 12 warns falsely (-Wrestrict) on the
// latter at -O3.
std::string line(const char* prefix, int v) {
    std::string s(prefix);
    s.append(std::to_string(v));
    return s;
}

weft::Task<> reader(RwLock<int>& l, std::vector<std::string>* log, const char* name) {
    auto g = co_await l.read();
    log->push_back(line(name, *g));
}

weft::Task<> writer(RwLock<int>& l, std::vector<std::string>* log, int v) {
    auto g = co_await l.write();
    *g = v;
    log->push_back(line("w", v));
}

TEST(RwLock, ManyReadersAtOnceOneWriterAlone) {
    RwLock<int> l(1);
    auto r1 = l.try_read();
    auto r2 = l.try_read();
    ASSERT_TRUE(r1 && r2);
    EXPECT_EQ(**r1 + **r2, 2);
    EXPECT_FALSE(l.try_write());
    r1.reset();
    r2.reset();
    auto w = l.try_write();
    ASSERT_TRUE(w);
    **w = 5;
    EXPECT_FALSE(l.try_read());
    w.reset();
    EXPECT_EQ(**l.try_read(), 5);
}

TEST(RwLock, AWaitingWriterHoldsBackLaterReaders) {
    weft::Runtime rt;
    RwLock<int> l(0);
    std::vector<std::string> log;
    auto main = [&]() -> weft::Task<> {
        auto held = l.try_read();
        auto w = weft::spawn_local(writer(l, &log, 1));
        co_await settle();
        auto r = weft::spawn_local(reader(l, &log, "late="));
        co_await settle();
        EXPECT_TRUE(log.empty());  // the late reader queues behind the writer
        EXPECT_FALSE(l.try_read());
        held.reset();
        co_await w;
        co_await r;
    };
    rt.block_on(main());
    EXPECT_EQ(log, (std::vector<std::string>{"w1", "late=1"}));
}

TEST(RwLock, ReadersQueuedBehindAWriterEnterTogether) {
    weft::Runtime rt;
    RwLock<int> l(0);
    std::vector<std::string> log;
    auto main = [&]() -> weft::Task<> {
        auto held = l.try_write();
        std::vector<weft::JoinHandle<void>> rs;
        for (int i = 0; i < 3; ++i) {
            rs.push_back(weft::spawn_local([](RwLock<int>& l, std::vector<std::string>* log) -> weft::Task<> {
                auto g = co_await l.read();
                log->push_back("in");
                co_await weft::yield_now();
                co_await weft::yield_now();
                log->push_back("out");
            }(l, &log)));
        }
        co_await settle();
        held.reset();
        for (auto& h : rs) co_await h;
    };
    rt.block_on(main());
    EXPECT_EQ(log, (std::vector<std::string>{"in", "in", "in", "out", "out", "out"}));
}

TEST(RwLock, WriteCancelledWhileCollectingReadersLeavesNothingLocked) {
    auto rt = weft::sync::test::paused_runtime();
    RwLock<int> l(0);
    std::vector<std::string> log;
    auto main = [&]() -> weft::Task<> {
        auto r1 = l.try_read();
        auto r2 = l.try_read();
        auto w = co_await weft::time::timeout(5ms, writer(l, &log, 1));
        EXPECT_FALSE(w);
        r1.reset();  // readers leave after the writer gave up: nothing was kept for it
        EXPECT_TRUE(l.try_read());
        r2.reset();
        EXPECT_TRUE(l.try_write());
    };
    rt.block_on(main());
    EXPECT_TRUE(log.empty());
}

TEST(RwLock, WriteCancelledAfterPartOfTheReadersLeftHandsTheirPermitsOn) {
    weft::Runtime rt;
    RwLock<int> l(0);
    std::vector<std::string> log;
    auto main = [&]() -> weft::Task<> {
        auto r1 = l.try_read();
        auto r2 = l.try_read();
        auto w = weft::spawn_local(writer(l, &log, 1));
        co_await settle();
        auto r = weft::spawn_local(reader(l, &log, "next="));
        co_await settle();
        r1.reset();  // one reader's permit goes to the waiting writer
        w.abort();
        (void)co_await w;
        co_await r;  // ...and on to the reader behind it
        r2.reset();
        EXPECT_TRUE(l.try_write());
    };
    rt.block_on(main());
    EXPECT_EQ(log, (std::vector<std::string>{"next=0"}));
}

TEST(RwLockThreads, WritersAndReadersOnSeveralRuntimesSeeConsistentState) {
    // The value is a pair that writers keep equal; a reader must never see it torn.
    constexpr int threads = 3;
    constexpr int rounds = 300;
    RwLock<std::pair<long, long>> l({0, 0});
    std::atomic<int> torn{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            weft::Runtime rt;
            auto work = [](RwLock<std::pair<long, long>>& l, std::atomic<int>& torn) -> weft::Task<> {
                for (int i = 0; i < rounds; ++i) {
                    if (i % 4 == 0) {
                        auto g = co_await l.write();
                        ++g->first;
                        co_await weft::yield_now();
                        ++g->second;
                    } else {
                        auto g = co_await l.read();
                        if (g->first != g->second) torn.fetch_add(1);
                    }
                }
            };
            auto main = [&]() -> weft::Task<> {
                auto a = weft::spawn_local(work(l, torn));
                auto b = weft::spawn_local(work(l, torn));
                co_await a;
                co_await b;
            };
            rt.block_on(main());
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(l.get_mut().first, threads * 2 * (rounds / 4));
}

TEST(RwLock, ReadCancelledWhileAWriterHoldsItLeavesNothingQueued) {
    auto rt = weft::sync::test::paused_runtime();
    RwLock<int> l(0);
    std::vector<std::string> log;
    auto main = [&]() -> weft::Task<> {
        auto w = l.try_write();
        auto r = co_await weft::time::timeout(5ms, reader(l, &log, "r="));
        EXPECT_FALSE(r);
        w.reset();
        EXPECT_TRUE(l.try_write());  // no reader left queued or holding
    };
    rt.block_on(main());
    EXPECT_TRUE(log.empty());
}

}  // namespace
