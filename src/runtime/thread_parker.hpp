#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <weft/runtime/context.hpp>

namespace weft::detail {

/// Parks a thread in a `block_on`; wakers unpark it. Heap-allocated and reference counted
/// because a waker may outlive the block_on call (a thread still holding a clone).
///
/// A mutex and condition variable rather than `std::atomic::wait`: ThreadSanitizer runs a
/// signal handler only when the thread enters a call it intercepts, and a futex wait is a raw
/// syscall it does not, so a program under TSan whose main thread parked in block_on never saw
/// its SIGINT handler run (weft's signal delivery, and so Ctrl-C handling, hung).
class ThreadParker final : public Wakeable {
    struct DropRef {
        void operator()(ThreadParker* p) const noexcept { p->release(); }
    };

public:
    /// The block_on thread's reference; wakers add their own.
    using Owner = std::unique_ptr<ThreadParker, DropRef>;
    static Owner create() { return Owner(new ThreadParker); }

    void wake_by_ref() noexcept override {
        {
            std::lock_guard lock(mutex_);
            if (notified_) return;
            notified_ = true;
        }
        cv_.notify_one();
    }
    void add_ref() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept override {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    /// Consumes a pending notification, or waits for one.
    void park() noexcept {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return notified_; });
        notified_ = false;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool notified_ = false;
    std::atomic<std::size_t> refs_{1};
};

}  // namespace weft::detail
