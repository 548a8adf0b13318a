#pragma once

// An async counting semaphore, and the base of `Mutex`.
//
// Permits live in `permits_` and waiting acquires in an intrusive FIFO, both under one mutex.
// Invariant: while anyone waits, `permits_` is 0. A waiter at the head takes whatever permits
// are free when it queues and is assigned released permits as they come (`remaining` counts
// down); a waiter behind it gets nothing until the head is satisfied. So a large
// `acquire_many` is not starved by a stream of small ones, and nobody overtakes the queue:
// `try_acquire` fails while waiters are queued, because there are no free permits to take.
//
// Cancellation: a destroyed waiter hands back what it was assigned (partly or fully), and
// those permits go to the next waiters exactly as a release would.

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <mutex>
#include <utility>
#include <weft/error.hpp>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/waiter_list.hpp>
#include <weft/sync/error.hpp>

namespace weft::sync {

class Semaphore;

/// Permits held from a `Semaphore`; they go back to it when the permit is destroyed.
///
///     auto permit = co_await sem.acquire_many(4);   // Result<SemaphorePermit>
///     permit->count();                               // 4
///
/// Thread safety: one owner; it may be moved to and released on any thread.
/// Cancel safety: a permit held by a cancelled task is released with its frame.
class [[nodiscard]] SemaphorePermit {
public:
    SemaphorePermit() noexcept = default;
    SemaphorePermit(SemaphorePermit&& o) noexcept
        : sem_(std::exchange(o.sem_, nullptr)), count_(std::exchange(o.count_, 0)) {}
    SemaphorePermit& operator=(SemaphorePermit&& o) noexcept {
        if (this != &o) {
            release();
            sem_ = std::exchange(o.sem_, nullptr);
            count_ = std::exchange(o.count_, 0);
        }
        return *this;
    }
    ~SemaphorePermit() { release(); }

    /// How many permits this holds.
    std::size_t count() const noexcept { return count_; }
    /// Drops the permits without returning them: the semaphore has that many fewer for good.
    void forget() noexcept {
        sem_ = nullptr;
        count_ = 0;
    }
    /// Returns the permits now (as destruction would).
    void release() noexcept;

private:
    friend class Semaphore;
    SemaphorePermit(Semaphore* sem, std::size_t n) noexcept : sem_(sem), count_(n) {}
    Semaphore* sem_ = nullptr;
    std::size_t count_ = 0;
};

namespace detail {
/// An acquire waiting in a semaphore's queue. Lives in the awaiter.
struct SemaphoreWaiter : ListNode {
    enum State : std::uint8_t {
        idle,     ///< not queued (never, or its outcome was taken)
        queued,   ///< in the list, `remaining` permits still to come
        granted,  ///< all its permits were assigned to it
        closed,   ///< the semaphore closed while it waited (its partial permits went back)
    };
    Waker waker;
    std::size_t requested = 0;  ///< what the acquire asked for
    std::size_t remaining = 0;  ///< still to be assigned; under the semaphore's mutex
    std::atomic<State> state{idle};
};
}  // namespace detail

/// A counting semaphore for tasks: `acquire()` waits without blocking the thread.
///
///     weft::sync::Semaphore limit{100};
///     auto permit = co_await limit.acquire();   // at most 100 holders at once
///     co_await fetch(url);                       // permit released at scope exit
///
/// Waiters are served in arrival order: a large `acquire_many` at the head of the queue blocks
/// later small ones until it is satisfied, so it cannot be starved. `close()` fails every
/// waiting and future acquire with `weft::Errc::closed`.
///
/// The semaphore must outlive its waiters and permits; destroying it while tasks wait is a bug
/// (asserted in debug builds).
///
/// Thread safety: every member may be called from any thread of any runtime (or none).
/// Cancel safety: destroying a pending `acquire()` gives up its place in the queue and never
/// loses a permit: permits already assigned to it (some of an `acquire_many`, or all of them
/// just before it was destroyed) pass to the next waiters.
class Semaphore {
public:
    /// The most permits a semaphore can hold (as in Tokio, a few bits below the word size).
    static constexpr std::size_t max_permits = std::numeric_limits<std::size_t>::max() >> 3;

    /// Throws std::invalid_argument above `max_permits`.
    explicit Semaphore(std::size_t permits);
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    ~Semaphore() = default;

    /// Awaits permits; yields `Result<SemaphorePermit>` (`Errc::closed` after `close()`).
    class [[nodiscard]] Acquire final : public weft::detail::LeafAwaiter, detail::SemaphoreWaiter {
    public:
        Acquire(Semaphore* sem, std::size_t n) noexcept : sem_(sem), n_(n) {}
        Acquire(const Acquire&) = delete;
        ~Acquire() {
            if (state.load(std::memory_order_acquire) != idle) sem_->abandon(*this);
        }
        bool await_ready() noexcept {
            // Granted (or closed out) already: a named awaiter awaited again after an abandoned
            // await (a `select` it lost) takes what was assigned to it.
            if (state.load(std::memory_order_acquire) >= granted) {
                outcome_ = Outcome::wait;
                return true;
            }
            if (!weft::detail::coop::poll_proceed()) return false;  // await_suspend yields
            outcome_ = sem_->try_take(n_);
            return outcome_ != Outcome::wait;
        }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            weft::detail::TaskContext& ctx = suspend_here(h);
            outcome_ = sem_->take_or_enqueue(*this, n_, ctx.waker(), weft::detail::coop::exhausted());
            switch (outcome_) {
                case Outcome::wait:
                    return true;
                case Outcome::yield:
                    // Out of coop budget: the permits are assigned to us (state granted, so a
                    // cancellation hands them on); take them when the task runs again.
                    outcome_ = Outcome::wait;
                    yield_here(h);
                    return true;
                default:
                    ctx.pending = nullptr;  // got the permits (or saw close): not suspended
                    return false;
            }
        }
        Result<SemaphorePermit> await_resume() {
            if (outcome_ == Outcome::wait) {
                outcome_ =
                    state.load(std::memory_order_acquire) == granted ? Outcome::acquired : Outcome::closed;
                state.store(idle, std::memory_order_relaxed);
            }
            if (outcome_ == Outcome::closed) return std::unexpected(make_error_code(Errc::closed));
            return SemaphorePermit(sem_, n_);
        }
        bool ready() noexcept override { return state.load(std::memory_order_acquire) >= granted; }
        const char* describe() const noexcept override { return "semaphore acquire"; }

    private:
        Semaphore* sem_;
        std::size_t n_;
        enum class Outcome : std::uint8_t { wait, acquired, closed, yield } outcome_ = Outcome::wait;
        friend class Semaphore;
    };

    /// Waits for one permit.
    Acquire acquire() noexcept { return Acquire(this, 1); }
    /// Waits for `n` permits at once (all or nothing for the caller; see the class comment for
    /// how they are assigned). Throws std::invalid_argument above `max_permits`.
    Acquire acquire_many(std::size_t n);

    /// Takes `n` permits if they are free now and nobody is queued; never waits.
    std::expected<SemaphorePermit, TryAcquireError> try_acquire(std::size_t n = 1);

    /// Adds `n` permits (to the waiters first). Throws std::overflow_error past `max_permits`.
    void add_permits(std::size_t n);
    /// Removes up to `n` free permits for good; returns how many it removed.
    std::size_t forget_permits(std::size_t n) noexcept;
    /// Free permits now (0 while anyone waits).
    std::size_t available_permits() const noexcept { return available_.load(std::memory_order_relaxed); }

    /// Fails every waiting and future acquire with `Errc::closed`. Permits already held stay
    /// valid and are returned as usual.
    void close() noexcept;
    bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

private:
    friend class SemaphorePermit;
    using Outcome = Acquire::Outcome;
    using Lock = std::unique_lock<std::mutex>;

    Outcome try_take(std::size_t n) noexcept;
    Outcome take_or_enqueue(detail::SemaphoreWaiter& w, std::size_t n, Waker waker,
                            bool budget_spent) noexcept;
    void abandon(detail::SemaphoreWaiter& w) noexcept;
    void release(std::size_t n) noexcept;
    void release_locked(std::size_t n, Lock& lock, sync::detail::WakeList& wakes) noexcept;
    void set_permits(std::size_t n) noexcept {
        permits_ = n;
        available_.store(n, std::memory_order_relaxed);
    }

    mutable std::mutex mutex_;
    std::size_t permits_ = 0;
    std::atomic<std::size_t> available_{0};  ///< mirror of permits_, for lock-free reading
    std::atomic<bool> closed_{false};
    sync::detail::IntrusiveList<detail::SemaphoreWaiter> waiters_;
};

inline void SemaphorePermit::release() noexcept {
    if (sem_ && count_ > 0) sem_->release(count_);
    sem_ = nullptr;
    count_ = 0;
}

}  // namespace weft::sync
