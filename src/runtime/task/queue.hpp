#pragma once

#include <atomic>
#include <cstddef>
#include <weft/runtime/task/header.hpp>

namespace weft::detail {

/// An intrusive FIFO of task headers, linked through `queue_next`. One thread at a time changes
/// it; `size()` may be read from any thread (metrics): a relaxed single-writer count, plain
/// loads and stores on x86.
class TaskQueue {
public:
    TaskQueue() = default;
    TaskQueue(TaskQueue&& other) noexcept { append(other); }
    TaskQueue& operator=(TaskQueue&&) = delete;

    void push(TaskHeader* t) noexcept {
        t->queue_next = nullptr;
        if (tail_)
            tail_->queue_next = t;
        else
            head_ = t;
        tail_ = t;
        add_size(1);
    }
    TaskHeader* pop() noexcept {
        TaskHeader* t = head_;
        if (!t) return nullptr;
        head_ = t->queue_next;
        if (head_) {
            // Fetched while `t` runs, so the next pop and poll do not wait on memory: the header
            // after the next (the next one's was fetched by the previous pop), and the leaf the
            // next task resumes from, which lives in its suspended frame.
            if (TaskHeader* after = head_->queue_next) __builtin_prefetch(after, 1);
            __builtin_prefetch(head_->context.pending);
        } else {
            tail_ = nullptr;
        }
        t->queue_next = nullptr;
        add_size(-1);
        return t;
    }
    void append(TaskQueue& other) noexcept {
        if (!other.head_) return;
        if (tail_)
            tail_->queue_next = other.head_;
        else
            head_ = other.head_;
        tail_ = other.tail_;
        add_size(static_cast<std::ptrdiff_t>(other.size()));
        other.head_ = other.tail_ = nullptr;
        other.size_.store(0, std::memory_order_relaxed);
    }
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

private:
    void add_size(std::ptrdiff_t d) noexcept {
        size_.store(size_.load(std::memory_order_relaxed) + static_cast<std::size_t>(d),
                    std::memory_order_relaxed);
    }

    TaskHeader* head_ = nullptr;
    TaskHeader* tail_ = nullptr;
    std::atomic<std::size_t> size_{0};
};

}  // namespace weft::detail
