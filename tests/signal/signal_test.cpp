#include <gtest/gtest.h>

#include <csignal>
#include <thread>
#include <weft/combinator/join.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/signal/signal.hpp>
#include <weft/time/timeout.hpp>

namespace {

using namespace std::chrono_literals;

TEST(Signal, EveryListenerSeesADelivery) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<bool> {
        weft::signal::Signal a(SIGUSR1);
        weft::signal::Signal b(SIGUSR1);
        std::thread sender([] {
            std::this_thread::sleep_for(10ms);
            ::kill(::getpid(), SIGUSR1);
        });
        auto r = co_await weft::time::timeout(5s, weft::join(a.recv(), b.recv()));
        sender.join();
        co_return r.has_value();
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(Signal, DeliveryWhileNobodyWaitsIsNotLost) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<bool> {
        weft::signal::Signal s(SIGUSR2);
        ::kill(::getpid(), SIGUSR2);  // before anyone awaits
        auto r = co_await weft::time::timeout(5s, s.recv());
        co_return r.has_value();
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(Signal, CancelledRecvLosesNothing) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<bool> {
        weft::signal::Signal s(SIGUSR1);
        auto early = co_await weft::time::timeout(5ms, s.recv());  // nothing yet: gives up
        ::kill(::getpid(), SIGUSR1);
        auto later = co_await weft::time::timeout(5s, s.recv());
        co_return !early && later.has_value();
    };
    EXPECT_TRUE(rt.block_on(t()));
}

TEST(Signal, CtrlCOnTheMultiThreadRuntime) {
    auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
    auto t = []() -> weft::Task<bool> {
        // Listening here first installs the handler, so a SIGINT can never kill the test.
        weft::signal::Signal installed(SIGINT);
        auto waiter = weft::spawn(weft::signal::ctrl_c());
        // ctrl_c() counts deliveries from its first poll on a worker, which may come after a
        // kill (a loaded machine, TSan): send again until the waiter sees one, however long
        // its first poll took.
        for (int attempt = 0; attempt < 100; ++attempt) {
            ::kill(::getpid(), SIGINT);
            if (co_await weft::time::timeout(50ms, waiter)) co_return true;
        }
        co_return false;
    };
    EXPECT_TRUE(rt.block_on(t()));
}

}  // namespace
