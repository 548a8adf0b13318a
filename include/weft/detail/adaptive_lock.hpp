#pragma once

#include <atomic>
#include <cstdint>

namespace weft::detail {

/// A lock that spins briefly before it sleeps in the kernel: for critical sections that are
/// nearly always a few stores but can now and then be long (an unbounded channel growing its
/// buffer). A mutex sleeps at the first contention, which two workers handing messages to each
/// other hit all the time; a pure spin lock would burn a core through the rare long holds.
/// Satisfies Lockable.
class AdaptiveLock {
public:
    void lock() noexcept {
        std::uint32_t expected = unlocked;
        if (state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                           std::memory_order_relaxed))
            return;
        for (int i = 0; i < spins; ++i) {
            if (state_.load(std::memory_order_relaxed) == unlocked) {
                expected = unlocked;
                if (state_.compare_exchange_weak(expected, locked, std::memory_order_acquire,
                                                 std::memory_order_relaxed))
                    return;
            }
            pause();
        }
        // Sleep until the holder leaves; whoever takes the lock from here on marks it contended,
        // so that unlock knows to wake the next sleeper.
        while (state_.exchange(contended, std::memory_order_acquire) != unlocked)
            state_.wait(contended, std::memory_order_relaxed);
    }
    bool try_lock() noexcept {
        std::uint32_t expected = unlocked;
        return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }
    void unlock() noexcept {
        if (state_.exchange(unlocked, std::memory_order_release) == contended) state_.notify_one();
    }

private:
    static constexpr std::uint32_t unlocked = 0, locked = 1, contended = 2;
    static constexpr int spins = 200;

    static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    std::atomic<std::uint32_t> state_{unlocked};
};

}  // namespace weft::detail
