#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <weft/combinator/join.hpp>
#include <weft/combinator/select.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/sync/cancellation_token.hpp>
#include <weft/sync/mpsc.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

namespace {

using namespace std::chrono_literals;
namespace wt = weft::time;

weft::Runtime paused() { return weft::Runtime::Builder::current_thread().start_paused(true).build(); }

weft::Task<int> after(wt::Duration d, int v) {
    co_await wt::sleep(d);
    co_return v;
}

struct Guard {
    std::shared_ptr<int> destroyed;
    ~Guard() {
        if (destroyed) ++*destroyed;
    }
};

weft::Task<std::string> slow_with_guard(std::shared_ptr<int> destroyed) {
    Guard g{std::move(destroyed)};
    co_await wt::sleep(1h);
    co_return "never";
}

TEST(Select, FirstToFinishWinsAndTheLoserIsDestroyedBeforeReturn) {
    auto rt = paused();
    auto destroyed = std::make_shared<int>(0);
    auto t = [&]() -> weft::Task<bool> {
        auto r = co_await weft::select(slow_with_guard(destroyed), after(10ms, 7));
        bool loser_gone = *destroyed == 1;
        co_return r.index() == 1 && std::get<1>(r) == 7 && loser_gone;
    };
    EXPECT_TRUE(rt.block_on(t()));
    EXPECT_EQ(rt.metrics().active_timers, 0u);
}

TEST(Select, BranchesReadyTogetherPickTheFirstInOrder) {
    auto rt = paused();
    auto t = []() -> weft::Task<std::size_t> {
        auto r = co_await weft::select(after(5ms, 1), after(5ms, 2));
        co_return r.index();
    };
    EXPECT_EQ(rt.block_on(t()), 0u);
}

TEST(Select, VoidBranchesAndSameTypes) {
    auto rt = paused();
    auto t = []() -> weft::Task<std::size_t> {
        auto r = co_await weft::select(wt::timeout(1h, after(2h, 0)),
                                       []() -> weft::Task<> { co_await wt::sleep(3ms); }());
        co_return r.index();
    };
    EXPECT_EQ(rt.block_on(t()), 1u);
}

TEST(Select, WinnerExceptionPropagates) {
    auto rt = paused();
    auto boom = []() -> weft::Task<int> {
        co_await weft::yield_now();
        throw std::runtime_error("boom");
    };
    auto t = [&]() -> weft::Task<> { (void)co_await weft::select(boom(), after(1h, 1)); };
    EXPECT_THROW(rt.block_on(t()), std::runtime_error);
}

TEST(Select, DestroyingAPendingSelectDestroysEveryBranch) {
    auto rt = paused();
    auto destroyed = std::make_shared<int>(0);
    auto inner = [&]() -> weft::Task<> {
        (void)co_await weft::select(slow_with_guard(destroyed), slow_with_guard(destroyed));
    };
    auto t = [&]() -> weft::Task<bool> {
        auto r = co_await wt::timeout(10ms, inner());
        co_return !r && weft::is_timeout(r.error());
    };
    EXPECT_TRUE(rt.block_on(t()));
    EXPECT_EQ(*destroyed, 2);
    EXPECT_EQ(rt.metrics().active_timers, 0u);
}

// The doc comment's shape: awaiters that cannot move (a receive, cancelled()) are named and
// passed as lvalues; the loser unregisters, so its message stays in the channel.
TEST(Select, NamedReceiveAgainstCancellationLosesNoMessage) {
    auto rt = paused();
    auto [tx, rx] = weft::sync::mpsc::channel<int>(4);
    weft::sync::CancellationToken shutdown;
    auto t = [&]() -> weft::Task<std::string> {
        std::string log;
        {
            auto message = rx.recv();
            auto stopping = shutdown.cancelled();
            auto first = [&]() -> weft::Task<> {
                co_await wt::sleep(5ms);
                shutdown.cancel();
            };
            auto canceller = weft::spawn(first());
            auto r = co_await weft::select(message, stopping);
            log += r.index() == 1 ? "stopped;" : "message;";
            (void)co_await canceller;
        }
        (void)co_await tx.send(7);
        auto message = rx.recv();  // the earlier losing receive took nothing
        auto stopping = shutdown.cancelled();
        auto r = co_await weft::select(message, stopping);  // both ready: the first wins
        if (r.index() == 0) {
            auto got = std::get<0>(std::move(r));
            log += got ? std::to_string(*got) : "closed";
        }
        co_return log;
    };
    EXPECT_EQ(rt.block_on(t()), "stopped;7");
}

TEST(Join, WaitsForAllAndKeepsOrder) {
    auto rt = paused();
    auto t = []() -> weft::Task<bool> {
        auto start = wt::now();
        auto [a, b, c] =
            co_await weft::join(after(30ms, 1), after(10ms, 2), []() -> weft::Task<> { co_return; }());
        (void)c;
        // Concurrent, not sequential: the total is the longest branch.
        co_return a == 1 && b == 2 && wt::now() - start < 40ms;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(Join, RethrowsTheFirstExceptionAfterAllFinished) {
    auto rt = paused();
    auto finished = std::make_shared<bool>(false);
    auto boom = []() -> weft::Task<int> {
        throw std::logic_error("first");
        co_return 0;
    };
    auto slow = [](std::shared_ptr<bool> f) -> weft::Task<int> {
        co_await wt::sleep(5ms);
        *f = true;
        co_return 1;
    };
    auto t = [&]() -> weft::Task<> { (void)co_await weft::join(boom(), slow(finished)); };
    EXPECT_THROW(rt.block_on(t()), std::logic_error);
    EXPECT_TRUE(*finished);
}

weft::Task<weft::Result<int>> ok_after(wt::Duration d, int v) {
    co_await wt::sleep(d);
    co_return v;
}
weft::Task<weft::Result<int>> fail_after(wt::Duration d) {
    co_await wt::sleep(d);
    co_return std::unexpected(std::make_error_code(std::errc::connection_refused));
}

TEST(TryJoin, AllOkGivesEveryValue) {
    auto rt = paused();
    auto t = []() -> weft::Task<bool> {
        auto r = co_await weft::try_join(ok_after(1ms, 1), ok_after(2ms, 2));
        co_return r&& std::get<0>(*r) == 1 && std::get<1>(*r) == 2;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(TryJoin, FirstErrorCancelsTheRest) {
    auto rt = paused();
    auto destroyed = std::make_shared<int>(0);
    auto guarded = [](std::shared_ptr<int> d) -> weft::Task<weft::Result<int>> {
        Guard g{std::move(d)};
        co_await wt::sleep(1h);
        co_return 1;
    };
    auto t = [&]() -> weft::Task<bool> {
        auto start = wt::now();
        auto r = co_await weft::try_join(guarded(destroyed), fail_after(5ms));
        co_return !r && r.error() == std::errc::connection_refused && *destroyed == 1 &&
            wt::now() - start < 1h;
    };
    EXPECT_TRUE(rt.block_on(t()));
    EXPECT_EQ(rt.metrics().active_timers, 0u);
}

TEST(JoinAll, CollectsInInputOrderWithPerBranchWakes) {
    auto rt = paused();
    auto t = []() -> weft::Task<bool> {
        std::vector<weft::Task<int>> tasks;
        for (int i = 0; i < 1000; ++i) tasks.push_back(after(std::chrono::milliseconds(1000 - i), i));
        auto values = co_await weft::join_all(std::move(tasks));
        for (int i = 0; i < 1000; ++i) {
            if (values[i] != i) co_return false;
        }
        co_return values.size() == 1000;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(JoinAll, WorksOnTheMultiThreadRuntime) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    auto t = []() -> weft::Task<long> {
        std::vector<weft::Task<int>> tasks;
        for (int i = 0; i < 200; ++i) {
            tasks.push_back([](int i) -> weft::Task<int> {
                co_await weft::yield_now();
                co_await wt::sleep(std::chrono::milliseconds(i % 3));
                co_return i;
            }(i));
        }
        auto values = co_await weft::join_all(std::move(tasks));
        long sum = 0;
        for (int v : values) sum += v;
        co_return sum;
    };
    EXPECT_EQ(rt.block_on(t()), 199L * 200 / 2);
}

TEST(JoinAll, CancellingItDestroysEveryBranch) {
    auto rt = paused();
    auto destroyed = std::make_shared<int>(0);
    auto t = [&]() -> weft::Task<bool> {
        std::vector<weft::Task<std::string>> tasks;
        for (int i = 0; i < 10; ++i) tasks.push_back(slow_with_guard(destroyed));
        auto r = co_await wt::timeout(5ms, weft::join_all(std::move(tasks)));
        co_return !r && weft::is_timeout(r.error());
    };
    EXPECT_TRUE(rt.block_on(t()));
    EXPECT_EQ(*destroyed, 10);
    EXPECT_EQ(rt.metrics().active_timers, 0u);
}

}  // namespace
