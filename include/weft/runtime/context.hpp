#pragma once

// How a suspended task is resumed.
//
// Every weft coroutine promise carries a pointer to a `TaskContext`: the context of the task it
// runs in. A `Task` passes its context to the child it awaits, so the leaf at the bottom of a
// chain of `co_await`s (a timer, a socket, a channel) knows which task to wake.
//
// A leaf that cannot complete at once records itself as the context's `pending` leaf and
// registers the context's waker with whatever will complete it. When the task is polled again
// the executor asks the pending leaf `ready()` before resuming: a wake that was stale or
// spurious (a registration raced with its cancellation) costs one check and no resumption.
//
// A combinator (`timeout`, later `select`) gives its child a context of its own and polls it
// itself: contexts nest, and the child's waker is the parent's.

#include <coroutine>
#include <weft/runtime/waker.hpp>

namespace weft::detail {

/// A leaf awaiter that the task is suspended on.
class PendingLeaf {
public:
    /// True when the awaiting coroutine may be resumed. Called on the task's thread.
    virtual bool ready() noexcept = 0;
    /// One line saying what the task waits for (for diagnostics and task dumps).
    virtual const char* describe() const noexcept { return "leaf"; }

    std::coroutine_handle<> continuation;

protected:
    ~PendingLeaf() = default;
};

/// What a running chain of coroutines shares: who to wake, and where it is suspended.
struct TaskContext {
    Wakeable* wakeable = nullptr;   ///< not owning: the context lives inside what it wakes
    PendingLeaf* pending = nullptr; ///< set while suspended on a leaf
    bool started = false;           ///< the chain's first coroutine has been resumed

    Waker waker() const noexcept { return Waker(wakeable); }

    /// Resumes the chain if it may make progress; returns false when it is still pending.
    /// `start` is resumed on the first poll. A chain suspended on an awaiter that is not a weft
    /// leaf (so nothing is pending) can never be resumed by a wake, and stays put.
    bool poll(std::coroutine_handle<> start) {
        std::coroutine_handle<> next;
        if (pending) {
            if (!pending->ready()) return false;
            next = pending->continuation;
            pending = nullptr;
        } else if (!started) {
            started = true;
            next = start;
        } else {
            return false;
        }
        next.resume();
        return true;
    }
};

/// Promise types whose coroutines can await weft leaves.
template <class P>
concept HasTaskContext = requires(P& p) {
    { p.context } -> std::convertible_to<TaskContext*>;
};

/// Base for leaf awaiters: records the suspension in the awaiting coroutine's context.
class LeafAwaiter : public PendingLeaf {
protected:
    template <HasTaskContext P>
    TaskContext& suspend_here(std::coroutine_handle<P> h) noexcept {
        TaskContext& ctx = *h.promise().context;
        continuation = h;
        ctx.pending = this;
        return ctx;
    }
    ~LeafAwaiter() = default;
};

}  // namespace weft::detail
