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
#include <string>
#include <weft/runtime/waker.hpp>

namespace weft::detail {

/// Symmetric transfer (an `await_suspend` returning the next coroutine to run) only keeps the
/// stack flat when the compiler turns the resumption into a tail call. Clang always does; GCC
/// only at -O2 and without sanitizers, which a header cannot detect. So with GCC weft transfers
/// through a trampoline: the coroutine is parked in a thread-local slot, control returns to
/// `run_chain`, which resumes it. Same order of execution, constant stack in every build; at -O2
/// it measured as fast as the direct transfer (10 M awaits of a ready task, 0.24 s user either
/// way). Define WEFT_ASSUME_TAIL_CALLS to use direct transfer with GCC anyway.
#if (defined(__clang__) || defined(WEFT_ASSUME_TAIL_CALLS)) && !defined(WEFT_FORCE_TRAMPOLINE)
inline constexpr bool direct_transfer = true;
#else
inline constexpr bool direct_transfer = false;
#endif

inline thread_local std::coroutine_handle<> trampoline_next;

/// What an `await_suspend` returns to hand control to `next`.
inline std::coroutine_handle<> transfer_to(std::coroutine_handle<> next) noexcept {
    if constexpr (direct_transfer) {
        return next;
    } else {
        trampoline_next = next;
        return std::noop_coroutine();
    }
}

/// Resumes `h` and whatever it transfers to, until the chain suspends or ends. Every place that
/// resumes a chain from outside goes through here (translation units may disagree about
/// `direct_transfer`, so the loop is always present).
inline void run_chain(std::coroutine_handle<> h) {
    h.resume();
    while (trampoline_next) std::exchange(trampoline_next, nullptr).resume();
}

/// A leaf awaiter that the task is suspended on.
class PendingLeaf {
public:
    /// True when the awaiting coroutine may be resumed. Called on the task's thread, after a
    /// wake and whenever an enclosing combinator polls its branches. When it returns false the
    /// task's waker must be registered with the source: a wake can be stale (its state already
    /// consumed) and still have used up the only registration, so a leaf whose source hands its
    /// waker out separately from the state change registers again here.
    virtual bool ready() noexcept = 0;
    /// A short label saying what the task waits for (for diagnostics and task dumps).
    virtual const char* describe() const noexcept { return "leaf"; }
    /// Optional detail appended after the label in a task dump (an fd, a deadline, ...).
    /// Called while the task cannot run, so it may read the leaf's fields.
    virtual void describe_detail(std::string& out) const { (void)out; }

    std::coroutine_handle<> continuation;

protected:
    ~PendingLeaf() = default;
};

/// The `pending` leaf of a chain that has not started: its next poll resumes the chain's first
/// coroutine. A sentinel rather than a flag, so a task's context is two pointers (the flag cost
/// eight bytes of padding, and put the task cell in the next malloc size class). It is known by
/// its empty `continuation` (every other leaf sets one before it is published as pending), not
/// by its address: a shared library built with hidden symbols would have a copy of its own.
class NotStartedLeaf final : public PendingLeaf {
public:
    bool ready() noexcept override { return true; }
    const char* describe() const noexcept override { return "not started"; }
};
inline constinit NotStartedLeaf not_started_leaf;

/// What a running chain of coroutines shares: who to wake, and where it is suspended.
struct TaskContext {
    Wakeable* wakeable = nullptr;  ///< not owning: the context lives inside what it wakes
    /// The leaf the chain is suspended on; `&not_started_leaf` before the first poll; null
    /// while it runs, or when it is suspended on something that is not a weft leaf.
    PendingLeaf* pending = &not_started_leaf;

    Waker waker() const noexcept { return Waker(wakeable); }
    bool started() const noexcept { return !pending || pending->continuation; }
    /// The leaf a started chain waits on, for diagnostics; null when it waits on none.
    const PendingLeaf* waiting_on() const noexcept { return started() ? pending : nullptr; }

    /// Resumes the chain if it may make progress; returns false when it is still pending.
    /// `start` is resumed on the first poll. A chain suspended on an awaiter that is not a weft
    /// leaf (so nothing is pending) can never be resumed by a wake, and stays put.
    bool poll(std::coroutine_handle<> start) {
        PendingLeaf* leaf = pending;
        if (!leaf) return false;
        std::coroutine_handle<> next = leaf->continuation;
        if (!next) {
            next = start;  // not started
        } else if (!leaf->ready()) {
            return false;
        }
        pending = nullptr;
        run_chain(next);
        return true;
    }
};

/// Cooperative budgeting: a task that keeps finding its resources ready would never suspend and
/// starve every other task on its thread. The scheduler grants each poll a budget; leaves spend
/// one unit per operation that completes without waiting and, once it is spent, suspend anyway
/// (after waking their own task) so the task goes to the back of the queue.
namespace coop {
/// Tokio's value (tokio/src/runtime/coop.rs): large enough that the yield is rare on real work.
inline constexpr int initial_budget = 128;
/// Remaining budget of the poll running on this thread; negative: unconstrained.
inline thread_local int budget = -1;

/// Spends one unit; false when the budget is spent and the operation should yield instead.
inline bool poll_proceed() noexcept {
    if (budget < 0) return true;
    if (budget == 0) return false;
    --budget;
    return true;
}
inline bool exhausted() noexcept { return budget == 0; }

/// Installs a budget for the duration of one task poll.
class BudgetScope {
public:
    explicit BudgetScope(int b) noexcept : saved_(budget) { budget = b; }
    ~BudgetScope() { budget = saved_; }
    BudgetScope(const BudgetScope&) = delete;
    BudgetScope& operator=(const BudgetScope&) = delete;

private:
    int saved_;
};
}  // namespace coop

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
    /// For a leaf whose resource is ready but whose task has spent its coop budget: requeue the
    /// task (it is running, so the wake takes effect after this poll) and suspend.
    template <HasTaskContext P>
    void yield_here(std::coroutine_handle<P> h) noexcept {
        suspend_here(h).wakeable->wake_by_ref();
    }
    /// For `await_suspend` when the resource turned out ready: resume at once, unless the coop
    /// budget is spent (then yield). Returns what `await_suspend` should return.
    template <HasTaskContext P>
    bool yield_if_budget_spent(std::coroutine_handle<P> h) noexcept {
        if (!coop::exhausted()) return false;
        yield_here(h);
        return true;
    }
    ~LeafAwaiter() = default;
};

}  // namespace weft::detail
