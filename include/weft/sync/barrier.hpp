#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/waiter_list.hpp>

namespace weft::sync {

namespace detail {
/// A task waiting at a `Barrier`. Lives in the awaiter.
struct BarrierWaiter : ListNode {
    Waker waker;
    std::uint64_t generation = 0;
    bool linked = false;  ///< under the barrier's mutex
    std::atomic<bool> released{false};
};
}  // namespace detail

/// What `Barrier::wait` yields: exactly one task of each generation is the leader.
struct BarrierWaitResult {
    bool leader = false;
    bool is_leader() const noexcept { return leader; }
};

/// Makes `n` tasks wait for each other: each `co_await barrier.wait()` completes once `n` tasks
/// are waiting, then the barrier resets for the next round.
///
///     weft::sync::Barrier phase(workers);
///     for (auto& step : steps) {
///         co_await compute(step);
///         if ((co_await phase.wait()).is_leader()) publish(step);   // one task per round
///     }
///
/// The task whose arrival completes a round is its leader; it does not wait.
///
/// Thread safety: every member may be called from any thread of any runtime.
/// Cancel safety: destroying a pending `wait()` withdraws its arrival, so the round still needs
/// `n` tasks that are really waiting. One destroyed after the round completed changes nothing.
class Barrier {
public:
    /// A barrier for `n` tasks (`n` of 0 behaves as 1: every wait completes at once).
    explicit Barrier(std::size_t n) noexcept : n_(n == 0 ? 1 : n) {}
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    class [[nodiscard]] Wait final : public weft::detail::LeafAwaiter, detail::BarrierWaiter {
    public:
        explicit Wait(Barrier* b) noexcept : b_(b) {}
        Wait(const Wait&) = delete;
        ~Wait() {
            if (linked_once_) b_->withdraw(*this);
        }
        /// True only for a named awaiter released while its await was abandoned (a `select` it
        /// lost): awaited again, it completes with the round it was counted in.
        bool await_ready() const noexcept { return released.load(std::memory_order_acquire); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            leader_ = false;
            weft::detail::TaskContext& ctx = suspend_here(h);
            if (b_->arrive(*this, ctx.waker())) {
                ctx.pending = nullptr;  // completed the round: the leader goes on at once
                leader_ = true;
                return false;
            }
            linked_once_ = true;
            return true;
        }
        BarrierWaitResult await_resume() noexcept {
            released.store(false, std::memory_order_relaxed);  // consumed: a new await joins a new round
            return {leader_};
        }
        bool ready() noexcept override { return released.load(std::memory_order_acquire); }
        const char* describe() const noexcept override { return "barrier wait"; }

    private:
        Barrier* b_;
        bool leader_ = false;
        bool linked_once_ = false;
    };

    /// Waits until `n` tasks wait.
    Wait wait() noexcept { return Wait(this); }

private:
    /// True when this arrival completes the round (then it is not queued).
    bool arrive(detail::BarrierWaiter& w, Waker waker) noexcept;
    void withdraw(detail::BarrierWaiter& w) noexcept;

    const std::size_t n_;
    std::mutex mutex_;
    std::size_t arrived_ = 0;
    std::uint64_t generation_ = 0;
    sync::detail::IntrusiveList<detail::BarrierWaiter> waiters_;
};

}  // namespace weft::sync
