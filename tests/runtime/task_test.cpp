#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/task.hpp>

namespace {

weft::Task<int> answer() { co_return 42; }

weft::Task<int> add_one(int v) { co_return v + co_await answer() - 41; }

weft::Task<int> chain(int depth) {
    if (depth == 0) co_return 0;
    co_return 1 + co_await chain(depth - 1);
}

weft::Task<int> throws() {
    throw std::runtime_error("boom");
    co_return 0;
}

TEST(Task, IsLazyUntilAwaited) {
    bool ran = false;
    auto make = [&]() -> weft::Task<> {
        ran = true;
        co_return;
    };
    auto t = make();
    EXPECT_FALSE(ran);
    weft::block_on(std::move(t));
    EXPECT_TRUE(ran);
}

TEST(Task, ResultPropagatesThroughAwait) { EXPECT_EQ(weft::block_on(add_one(1)), 2); }

TEST(Task, ExceptionPropagatesToAwaiter) {
    auto outer = []() -> weft::Task<std::string> {
        try {
            co_await throws();
        } catch (const std::runtime_error& e) {
            co_return e.what();
        }
        co_return "no exception";
    };
    EXPECT_EQ(weft::block_on(outer()), "boom");
    EXPECT_THROW(weft::block_on(throws()), std::runtime_error);
}

TEST(Task, MillionNestedAwaitsDoNotGrowTheStack) {
    // Each level hands control to the next without a nested call frame (symmetric transfer, or
    // the trampoline where the compiler would not emit a tail call). A million levels would
    // overflow an 8 MiB stack many times over otherwise; this holds in debug and sanitizer
    // builds too.
    EXPECT_EQ(weft::block_on(chain(1'000'000)), 1'000'000);
}

weft::Task<int> ready_value(int v) { co_return v; }

TEST(Task, LongLoopsOfReadyAwaitsDoNotGrowTheStack) {
    auto loop = []() -> weft::Task<long> {
        long sum = 0;
        for (int i = 0; i < 2'000'000; ++i) sum += co_await ready_value(i);
        co_return sum;
    };
    EXPECT_EQ(weft::block_on(loop()), 1'999'999L * 2'000'000 / 2);
}

struct DropFlag {
    std::shared_ptr<int> counter;
    ~DropFlag() {
        if (counter) ++*counter;
    }
};

TEST(Task, DestroyingAnUnstartedTaskDestroysItsArguments) {
    auto counter = std::make_shared<int>(0);
    {
        auto make = [](DropFlag) -> weft::Task<> { co_return; };
        auto t = make(DropFlag{counter});
    }
    EXPECT_GE(*counter, 1);
}

TEST(Task, MovedTaskRunsOnce) {
    int runs = 0;
    auto make = [&]() -> weft::Task<> {
        ++runs;
        co_return;
    };
    auto a = make();
    auto b = std::move(a);
    EXPECT_FALSE(a.valid());
    weft::block_on(std::move(b));
    EXPECT_EQ(runs, 1);
}

}  // namespace
