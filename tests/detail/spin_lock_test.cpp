#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>
#include <weft/detail/spin_lock.hpp>

using weft::detail::SpinLock;

namespace {

TEST(SpinLock, ExcludesUnderContention) {
    SpinLock lock;
    long counter = 0;  // unsynchronised on purpose: TSan and the total check the exclusion
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20000; ++i) {
                std::lock_guard guard(lock);
                ++counter;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(counter, 4 * 20000);
}

TEST(SpinLock, WaitersBackOffThroughALongHoldAndAllGetIn) {
    // Held well past the spin and yield phases: the waiters nap, and each gets in once it is
    // released.
    SpinLock lock;
    std::atomic<int> entered{0};
    lock.lock();
    std::vector<std::thread> waiters;
    for (int t = 0; t < 3; ++t) {
        waiters.emplace_back([&] {
            std::lock_guard guard(lock);
            entered.fetch_add(1);
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(entered.load(), 0);
    lock.unlock();
    for (auto& th : waiters) th.join();
    EXPECT_EQ(entered.load(), 3);
    EXPECT_TRUE(lock.try_lock());  // nobody left holding it
    lock.unlock();
}

TEST(SpinLock, TryLockFailsWhileHeld) {
    SpinLock lock;
    ASSERT_TRUE(lock.try_lock());
    std::thread other([&] { EXPECT_FALSE(lock.try_lock()); });
    other.join();
    lock.unlock();
    EXPECT_TRUE(lock.try_lock());
    lock.unlock();
}

}  // namespace
