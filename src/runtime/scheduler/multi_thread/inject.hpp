#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

#include "runtime/task/queue.hpp"

namespace weft::detail {

/// The global queue: tasks spawned or woken from outside the workers, and local overflow.
/// A mutex-guarded FIFO; `len` is readable without the lock for cheap empty checks. Once closed
/// (runtime shutdown), pushed tasks are released instead of queued.
///
/// The FIFO is a growing ring of pointers, not a list linked through the tasks: a worker that
/// refills its queue takes a hundred tasks at once, and walking a list of tasks spawned long
/// before (a spawn storm overflows here by the ten thousand) waits on one cache miss per task,
/// one after the other: a fifth of the time of spawn_many_local on one worker. Copying pointers
/// touches no task. Should the ring fail to grow (out of memory), tasks queue in a linked list
/// behind it, so a push never fails and the order stays FIFO.
class InjectQueue {
public:
    void push(TaskHeader* task) noexcept {
        {
            std::lock_guard lock(mutex_);
            if (!closed_) {
                push_locked(task);
                len_.store(size_locked(), std::memory_order_release);
                return;
            }
        }
        task->release();
    }
    void push_batch(TaskHeader** tasks, std::size_t n, TaskHeader* extra) noexcept {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < n; ++i) push_locked(tasks[i]);
        if (extra) push_locked(extra);
        len_.store(size_locked(), std::memory_order_release);
    }
    TaskHeader* pop() noexcept {
        if (empty()) return nullptr;
        std::unique_ptr<TaskHeader*[]> freed;  // a drained, oversized ring: freed after unlocking
        std::lock_guard lock(mutex_);
        TaskHeader* t = pop_locked(freed);
        len_.store(size_locked(), std::memory_order_release);
        return t;
    }
    /// Pops up to `max` tasks into `out`; returns how many.
    template <class Sink>
    std::size_t pop_n(std::size_t max, Sink&& out) noexcept {
        if (empty()) return 0;
        std::unique_ptr<TaskHeader*[]> freed;
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        while (n < max) {
            TaskHeader* t = pop_locked(freed);
            if (!t) break;
            out(t);
            ++n;
        }
        len_.store(size_locked(), std::memory_order_release);
        return n;
    }
    bool empty() const noexcept { return len_.load(std::memory_order_acquire) == 0; }
    std::size_t len() const noexcept { return len_.load(std::memory_order_acquire); }
    /// Closes the queue and hands back what it held.
    TaskQueue close() noexcept {
        std::unique_ptr<TaskHeader*[]> freed;
        std::lock_guard lock(mutex_);
        closed_ = true;
        TaskQueue out;
        while (TaskHeader* t = pop_locked(freed)) out.push(t);
        len_.store(0, std::memory_order_release);
        return out;
    }

private:
    static constexpr std::size_t initial_capacity = 256;
    static constexpr std::size_t kept_capacity = 4096;  // larger rings are freed once drained

    std::size_t size_locked() const noexcept { return ring_len_ + spill_.size(); }

    void push_locked(TaskHeader* t) noexcept {
        if (spill_.empty() && (ring_len_ < ring_cap_ || grow_locked())) {
            ring_[(ring_head_ + ring_len_) & (ring_cap_ - 1)] = t;
            ++ring_len_;
            return;
        }
        spill_.push(t);  // behind everything in the ring
    }
    TaskHeader* pop_locked(std::unique_ptr<TaskHeader*[]>& freed) noexcept {
        if (ring_len_ == 0) return spill_.pop();
        TaskHeader* t = ring_[ring_head_];
        ring_head_ = (ring_head_ + 1) & (ring_cap_ - 1);
        if (--ring_len_ == 0 && ring_cap_ > kept_capacity) {
            freed = std::move(ring_);
            ring_cap_ = 0;
            ring_head_ = 0;
        }
        return t;
    }
    bool grow_locked() noexcept {
        const std::size_t cap = ring_cap_ ? 2 * ring_cap_ : initial_capacity;
        std::unique_ptr<TaskHeader*[]> bigger(new (std::nothrow) TaskHeader*[cap]);
        if (!bigger) return false;
        for (std::size_t i = 0; i < ring_len_; ++i) bigger[i] = ring_[(ring_head_ + i) & (ring_cap_ - 1)];
        ring_ = std::move(bigger);
        ring_cap_ = cap;
        ring_head_ = 0;
        return true;
    }

    std::mutex mutex_;
    std::unique_ptr<TaskHeader*[]> ring_;
    std::size_t ring_cap_ = 0;  // a power of two, or 0
    std::size_t ring_head_ = 0;
    std::size_t ring_len_ = 0;
    TaskQueue spill_;
    std::atomic<std::size_t> len_{0};
    bool closed_ = false;
};

}  // namespace weft::detail
