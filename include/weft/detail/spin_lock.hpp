#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace weft::detail {

/// A test-and-test-and-set lock for critical sections of a few instructions (waker slots, a
/// channel's queue), where a futex-based mutex would cost more than the work it guards: unlocking
/// is a plain store, and two threads handing work to each other meet in the spin instead of the
/// kernel. A waiter spins, then yields, then naps with a growing pause (up to 1 ms), so a rare
/// long hold (an unbounded channel growing its buffer) does not keep it burning a core.
/// Satisfies Lockable.
class SpinLock {
public:
    void lock() noexcept {
        if (!locked_.exchange(true, std::memory_order_acquire)) return;
        lock_contended();
    }
    bool try_lock() noexcept {
        return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    // Out of line: the uncontended lock stays a single exchange wherever it is inlined.
    [[gnu::noinline]] void lock_contended() noexcept {
        for (;;) {
            for (int waits = 0; locked_.load(std::memory_order_relaxed); ++waits) {
                if (waits < spin_waits) continue;
                if (waits < spin_waits + yield_waits) {
                    std::this_thread::yield();
                } else {
                    const int doublings = std::min(waits - spin_waits - yield_waits, 7);
                    std::this_thread::sleep_for(std::chrono::microseconds(8 << doublings));
                }
            }
            if (!locked_.exchange(true, std::memory_order_acquire)) return;
        }
    }

    static constexpr int spin_waits = 64;
    static constexpr int yield_waits = 64;

    std::atomic<bool> locked_{false};
};

}  // namespace weft::detail
