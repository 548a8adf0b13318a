#pragma once

// Parks one worker thread: on the I/O driver when it can take it (one worker at a time blocks in
// epoll_wait and fires timers), otherwise on a condition variable.
//
// One atomic state word: EMPTY, NOTIFIED (an unpark arrived before the park), PARKED_CONDVAR,
// PARKED_DRIVER. `unpark` swaps in NOTIFIED and, depending on what it replaced, signals the
// condvar or writes the driver's eventfd. `park` consumes a NOTIFIED without sleeping, so no
// unpark is ever lost.

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace weft::detail {

class Parker {
public:
    enum State : int { empty, notified, parked_condvar, parked_driver };

    /// Sleeps until unparked. `try_drive(bool& notified_early)` is called to block on the
    /// driver: it returns false if the driver is taken (then the condvar is used).
    template <class TryDrive>
    void park(TryDrive&& try_drive) {
        int expected = notified;
        if (state_.compare_exchange_strong(expected, empty, std::memory_order_acq_rel)) return;
        if (try_drive(*this)) return;
        std::unique_lock lock(mutex_);
        expected = empty;
        if (!state_.compare_exchange_strong(expected, parked_condvar, std::memory_order_acq_rel)) {
            state_.store(empty, std::memory_order_release);  // was NOTIFIED
            return;
        }
        for (;;) {
            cv_.wait(lock);
            expected = notified;
            if (state_.compare_exchange_strong(expected, empty, std::memory_order_acq_rel)) return;
        }
    }

    /// For `try_drive`, holding the driver: marks the parker as blocked on the driver.
    /// False if an unpark already arrived (then don't block).
    bool enter_driver() noexcept {
        int expected = empty;
        if (state_.compare_exchange_strong(expected, parked_driver, std::memory_order_acq_rel)) return true;
        state_.store(empty, std::memory_order_release);  // consume NOTIFIED
        return false;
    }
    /// For `try_drive`, after the driver returned.
    void leave_driver() noexcept { state_.store(empty, std::memory_order_release); }

    /// Wakes the parked thread; `unpark_driver` interrupts epoll_wait.
    template <class UnparkDriver>
    void unpark(UnparkDriver&& unpark_driver) {
        switch (state_.exchange(notified, std::memory_order_acq_rel)) {
            case parked_condvar: {
                // Taking the lock orders this notify after the sleeper's wait began.
                std::lock_guard lock(mutex_);
            }
                cv_.notify_one();
                break;
            case parked_driver:
                unpark_driver();
                break;
            default:
                break;
        }
    }

private:
    std::atomic<int> state_{empty};
    std::mutex mutex_;
    std::condition_variable cv_;
};

}  // namespace weft::detail
