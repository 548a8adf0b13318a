#pragma once

// Building blocks shared by the sync primitives.
//
// Every primitive keeps its waiting operations in an intrusive FIFO: the node lives inside the
// awaiter, which lives in the suspended coroutine's frame, so waiting costs no allocation and
// a cancelled waiter (a destroyed frame) unlinks itself in O(1). The list is not thread-safe;
// each primitive guards its list with its own mutex.
//
// Wakers are woken after that mutex is released, so a woken task running on another thread
// never immediately contends the lock its waker still holds. `WakeList` collects them; a
// release that wakes more waiters than it holds does so in batches, unlocking in between.

#include <array>
#include <cassert>
#include <cstddef>
#include <utility>
#include <weft/runtime/waker.hpp>

namespace weft::sync::detail {

/// Links of a node in an `IntrusiveList`. Derive from it.
struct ListNode {
    ListNode* prev = nullptr;
    ListNode* next = nullptr;
};

/// A doubly linked FIFO of nodes it does not own. `T` derives from `ListNode`.
template <class T>
class IntrusiveList {
public:
    IntrusiveList() noexcept = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;
    ~IntrusiveList() { assert(empty() && "a sync primitive was destroyed while tasks wait on it"); }

    bool empty() const noexcept { return head_ == nullptr; }
    T* front() const noexcept { return static_cast<T*>(head_); }

    void push_back(T* node) noexcept {
        ListNode* n = node;
        n->next = nullptr;
        n->prev = tail_;
        if (tail_)
            tail_->next = n;
        else
            head_ = n;
        tail_ = n;
    }

    T* pop_front() noexcept {
        ListNode* n = head_;
        if (!n) return nullptr;
        head_ = n->next;
        if (head_)
            head_->prev = nullptr;
        else
            tail_ = nullptr;
        n->prev = n->next = nullptr;
        return static_cast<T*>(n);
    }

    /// Unlinks `node`, which must be in this list.
    void remove(T* node) noexcept {
        ListNode* n = node;
        if (n->prev)
            n->prev->next = n->next;
        else
            head_ = n->next;
        if (n->next)
            n->next->prev = n->prev;
        else
            tail_ = n->prev;
        n->prev = n->next = nullptr;
    }

private:
    ListNode* head_ = nullptr;
    ListNode* tail_ = nullptr;
};

/// Wakers gathered under a lock, woken after it is released.
///
/// Fixed capacity so that collecting costs no allocation; `full()` tells the caller to unlock,
/// `wake_all()`, relock and carry on. 32 is Tokio's batch size too: enough that a typical
/// release finishes in one batch, small enough to live on the stack.
class WakeList {
public:
    static constexpr std::size_t capacity = 32;

    bool full() const noexcept { return len_ == capacity; }
    bool empty() const noexcept { return len_ == 0; }
    void push(Waker w) noexcept {
        assert(!full());
        wakers_[len_++] = std::move(w);
    }
    void wake_all() noexcept {
        for (std::size_t i = 0; i < len_; ++i) wakers_[i].wake_and_reset();
        len_ = 0;
    }
    ~WakeList() { wake_all(); }

private:
    std::array<Waker, capacity> wakers_;
    std::size_t len_ = 0;
};

}  // namespace weft::sync::detail
