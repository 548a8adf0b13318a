#pragma once

#include <atomic>
#include <mutex>

#include "runtime/task/queue.hpp"

namespace weft::detail {

/// The global queue: tasks spawned or woken from outside the workers, and local overflow.
/// A mutex-guarded intrusive FIFO; `len` is readable without the lock for cheap empty checks.
/// Once closed (runtime shutdown), pushed tasks are released instead of queued.
class InjectQueue {
public:
    void push(TaskHeader* task) noexcept {
        {
            std::lock_guard lock(mutex_);
            if (!closed_) {
                queue_.push(task);
                len_.store(queue_.size(), std::memory_order_release);
                return;
            }
        }
        task->release();
    }
    void push_batch(TaskHeader** tasks, std::size_t n, TaskHeader* extra) noexcept {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < n; ++i) queue_.push(tasks[i]);
        if (extra) queue_.push(extra);
        len_.store(queue_.size(), std::memory_order_release);
    }
    TaskHeader* pop() noexcept {
        if (empty()) return nullptr;
        std::lock_guard lock(mutex_);
        TaskHeader* t = queue_.pop();
        len_.store(queue_.size(), std::memory_order_release);
        return t;
    }
    /// Pops up to `max` tasks into `out`; returns how many.
    template <class Sink>
    std::size_t pop_n(std::size_t max, Sink&& out) noexcept {
        if (empty()) return 0;
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        while (n < max) {
            TaskHeader* t = queue_.pop();
            if (!t) break;
            out(t);
            ++n;
        }
        len_.store(queue_.size(), std::memory_order_release);
        return n;
    }
    bool empty() const noexcept { return len_.load(std::memory_order_acquire) == 0; }
    std::size_t len() const noexcept { return len_.load(std::memory_order_acquire); }
    /// Closes the queue and hands back what it held.
    TaskQueue close() noexcept {
        std::lock_guard lock(mutex_);
        closed_ = true;
        TaskQueue out;
        out.append(queue_);
        len_.store(0, std::memory_order_release);
        return out;
    }

private:
    std::mutex mutex_;
    TaskQueue queue_;
    std::atomic<std::size_t> len_{0};
    bool closed_ = false;
};

}  // namespace weft::detail
