#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/blocking/spawn_blocking.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/sleep.hpp>

namespace {

using namespace std::chrono_literals;

TEST(BlockOn, RunsAPlainFutureWithoutARuntime) {
    auto t = []() -> weft::Task<int> {
        co_await weft::yield_now();
        co_return 7;
    };
    EXPECT_EQ(weft::block_on(t()), 7);
}

TEST(BlockOn, ParksUntilAnotherThreadWakes) {
    // The blocking pool completes on another thread and wakes the parked caller.
    auto t = []() -> weft::Task<std::string> {
        co_return co_await weft::spawn_blocking([] {
            std::this_thread::sleep_for(20ms);
            return std::string("from another thread");
        });
    };
    EXPECT_EQ(weft::block_on(t()), "from another thread");
}

TEST(BlockOn, TimerWithoutRuntimeIsAClearError) {
    auto t = []() -> weft::Task<> { co_await weft::time::sleep(1ms); };
    try {
        weft::block_on(t());
        FAIL() << "expected std::logic_error";
    } catch (const std::logic_error& e) {
        EXPECT_NE(std::string(e.what()).find("needs a weft runtime"), std::string::npos) << e.what();
    }
}

TEST(BlockOn, InsideARuntimeThreadIsAHardErrorThatSaysWhy) {
    weft::Runtime rt;
    auto inner = []() -> weft::Task<int> { co_return 1; };
    auto outer = [&]() -> weft::Task<std::string> {
        try {
            weft::block_on(inner());
        } catch (const std::logic_error& e) {
            co_return e.what();
        }
        co_return "";
    };
    std::string message = rt.block_on(outer());
    EXPECT_NE(message.find("already running a weft runtime"), std::string::npos) << message;
    EXPECT_NE(message.find("co_await"), std::string::npos) << message;
}

TEST(BlockOn, RuntimeBlockOnInsideRuntimeIsAnErrorToo) {
    weft::Runtime outer_rt;
    weft::Runtime inner_rt;
    auto inner = []() -> weft::Task<int> { co_return 1; };
    auto outer = [&]() -> weft::Task<bool> {
        try {
            inner_rt.block_on(inner());
        } catch (const std::logic_error&) {
            co_return true;
        }
        co_return false;
    };
    EXPECT_TRUE(outer_rt.block_on(outer()));
}

}  // namespace
