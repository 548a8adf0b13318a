#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/waiter_list.hpp>

namespace weft::sync {

namespace detail {
/// A `notified()` waiting in a `Notify`'s queue. Lives in the awaiter.
struct NotifyWaiter : ListNode {
    enum State : std::uint8_t {
        idle,          ///< not queued (never, or its notification was taken)
        queued,        ///< in the list
        notified_one,  ///< chosen by notify_one (forwarded if it is destroyed unconsumed)
        notified_all,  ///< released by notify_waiters
    };
    Waker waker;
    std::uint64_t generation = 0;  ///< notify_waiters calls seen when it was created
    std::atomic<State> state{idle};
};
}  // namespace detail

/// Wakes tasks without sending data: a building block for "something changed, look again".
///
///     weft::sync::Notify ready;
///     // consumer                                 // producer
///     co_await ready.notified();                  queue.push(x);   // under its own lock
///                                                 ready.notify_one();
///
/// `notify_one()` wakes the first waiting task, or, if none waits, stores one permit that the
/// next `notified()` consumes at once (several calls still store one permit), so a
/// notification sent just before the consumer starts waiting is not lost.
/// `notify_waiters()` wakes every task waiting now, and every `notified()` created before the
/// call even if not yet awaited; it stores no permit.
///
/// Thread safety: every member may be called from any thread of any runtime.
/// Cancel safety: destroying a pending `notified()` gives up its place; if `notify_one` had
/// already chosen it, the notification passes to the next waiter (or becomes the permit), so
/// it is never lost.
class Notify {
public:
    Notify() noexcept = default;
    Notify(const Notify&) = delete;
    Notify& operator=(const Notify&) = delete;
    ~Notify() = default;

    /// Completes when notified; see the class comment for which notifications count.
    class [[nodiscard]] Notified final : public weft::detail::LeafAwaiter, detail::NotifyWaiter {
    public:
        explicit Notified(Notify* n) noexcept : n_(n) {
            generation = n->generation_.load(std::memory_order_acquire);
        }
        Notified(const Notified&) = delete;
        ~Notified() {
            if (state.load(std::memory_order_acquire) != idle) n_->abandon(*this);
        }
        bool await_ready() noexcept {
            // Notified already: a named awaiter awaited again after an abandoned await (a
            // `select` it lost) keeps the notification it was chosen for.
            if (state.load(std::memory_order_acquire) >= notified_one) return true;
            return n_->try_take(*this);
        }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            weft::detail::TaskContext& ctx = suspend_here(h);
            if (!n_->take_or_enqueue(*this, ctx.waker())) return true;
            ctx.pending = nullptr;  // notified meanwhile: not suspended after all
            return false;
        }
        void await_resume() noexcept { state.store(idle, std::memory_order_relaxed); }
        bool ready() noexcept override { return state.load(std::memory_order_acquire) >= notified_one; }
        const char* describe() const noexcept override { return "notified"; }

    private:
        Notify* n_;
    };

    /// An awaitable for the next notification. Creating it already registers it for
    /// `notify_waiters` (not for `notify_one`, which only sees it once it is awaited).
    Notified notified() noexcept { return Notified(this); }

    /// Wakes the first waiting task, or stores a permit if none waits.
    void notify_one() noexcept;
    /// Wakes every waiting task (and every `notified()` created before this call).
    void notify_waiters() noexcept;

private:
    using Waiter = detail::NotifyWaiter;
    bool try_take(Waiter& w) noexcept;
    bool take_or_enqueue(Waiter& w, Waker waker) noexcept;
    void abandon(Waiter& w) noexcept;
    Waker notify_one_locked() noexcept;

    std::mutex mutex_;
    bool permit_ = false;
    std::atomic<std::uint64_t> generation_{0};  ///< notify_waiters calls; written under the lock
    sync::detail::IntrusiveList<Waiter> waiters_;
};

}  // namespace weft::sync
