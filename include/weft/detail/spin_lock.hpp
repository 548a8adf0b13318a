#pragma once

#include <atomic>
#include <thread>

namespace weft::detail {

/// A test-and-test-and-set lock for critical sections of a few instructions (waker slots),
/// where a futex-based mutex would cost more than the work it guards. Satisfies Lockable.
class SpinLock {
public:
    void lock() noexcept {
        for (;;) {
            if (!locked_.exchange(true, std::memory_order_acquire)) return;
            for (int spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
                if (spins > 64) std::this_thread::yield();
            }
        }
    }
    bool try_lock() noexcept {
        return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

}  // namespace weft::detail
