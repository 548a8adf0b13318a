#include <stdexcept>
#include <weft/sync/semaphore.hpp>

namespace weft::sync {

using Waiter = detail::SemaphoreWaiter;

Semaphore::Semaphore(std::size_t permits) {
    if (permits > max_permits)
        throw std::invalid_argument("weft::sync::Semaphore: more than max_permits permits");
    set_permits(permits);
}

Semaphore::Acquire Semaphore::acquire_many(std::size_t n) {
    if (n > max_permits)
        throw std::invalid_argument("weft::sync::Semaphore::acquire_many: more than max_permits");
    return Acquire(this, n);
}

std::expected<SemaphorePermit, TryAcquireError> Semaphore::try_acquire(std::size_t n) {
    switch (try_take(n)) {
        case Outcome::acquired:
            return SemaphorePermit(this, n);
        case Outcome::closed:
            return std::unexpected(TryAcquireError::closed);
        default:
            return std::unexpected(TryAcquireError::no_permits);
    }
}

Semaphore::Outcome Semaphore::try_take(std::size_t n) noexcept {
    std::lock_guard lock(mutex_);
    if (closed_.load(std::memory_order_relaxed)) return Outcome::closed;
    if (permits_ < n) return Outcome::wait;  // also when anyone waits: permits_ is 0 then
    set_permits(permits_ - n);
    return Outcome::acquired;
}

Semaphore::Outcome Semaphore::take_or_enqueue(Waiter& w, std::size_t n, Waker waker,
                                              bool budget_spent) noexcept {
    std::lock_guard lock(mutex_);
    switch (w.state.load(std::memory_order_relaxed)) {
        case Waiter::queued:
            w.waker = std::move(waker);  // awaited again, still in line: keep its place and permits
            return Outcome::wait;
        case Waiter::granted:  // awaited again, and granted since its await_ready looked
            w.state.store(Waiter::idle, std::memory_order_relaxed);
            return Outcome::acquired;
        case Waiter::closed:
            w.state.store(Waiter::idle, std::memory_order_relaxed);
            return Outcome::closed;
        default:
            break;
    }
    if (closed_.load(std::memory_order_relaxed)) return Outcome::closed;
    if (permits_ >= n) {  // free now (released since await_ready, or it never looked)
        set_permits(permits_ - n);
        if (!budget_spent) return Outcome::acquired;
        w.requested = n;  // assigned but not yet taken: abandon() returns them
        w.state.store(Waiter::granted, std::memory_order_relaxed);
        return Outcome::yield;
    }
    // Not enough: queue, taking what is free (only possible when the queue is empty).
    w.requested = n;
    w.remaining = n - permits_;
    set_permits(0);
    w.waker = std::move(waker);
    w.state.store(Waiter::queued, std::memory_order_relaxed);
    waiters_.push_back(&w);
    return Outcome::wait;
}

void Semaphore::abandon(Waiter& w) noexcept {
    detail::WakeList wakes;
    Lock lock(mutex_);
    std::size_t give_back = 0;
    switch (w.state.load(std::memory_order_relaxed)) {
        case Waiter::queued:
            waiters_.remove(&w);
            give_back = w.requested - w.remaining;
            break;
        case Waiter::granted:
            give_back = w.requested;
            break;
        default:  // closed: its partial permits went back when it was closed out
            break;
    }
    w.state.store(Waiter::idle, std::memory_order_relaxed);
    if (give_back > 0) release_locked(give_back, lock, wakes);
}

void Semaphore::add_permits(std::size_t n) {
    detail::WakeList wakes;
    Lock lock(mutex_);
    // While anyone waits permits_ is 0, so permits_ + n bounds what will be free afterwards.
    if (n > max_permits - permits_)
        throw std::overflow_error("weft::sync::Semaphore::add_permits: past max_permits");
    release_locked(n, lock, wakes);
}

void Semaphore::release(std::size_t n) noexcept {
    detail::WakeList wakes;
    Lock lock(mutex_);
    release_locked(n, lock, wakes);
}

void Semaphore::release_locked(std::size_t n, Lock& lock, detail::WakeList& wakes) noexcept {
    // Assign to waiters in order; the head may take several releases to be satisfied.
    while (n > 0) {
        Waiter* head = waiters_.front();
        if (!head) {
            set_permits(permits_ + n);
            return;
        }
        std::size_t take = std::min(n, head->remaining);
        head->remaining -= take;
        n -= take;
        if (head->remaining > 0) return;  // n is 0: all went to the head
        waiters_.pop_front();
        wakes.push(std::move(head->waker));
        head->state.store(Waiter::granted, std::memory_order_release);
        if (wakes.full()) {
            // Keep the permits still in hand; nobody can take them meanwhile, and a waiter
            // queued in the gap is served in order when the loop resumes.
            lock.unlock();
            wakes.wake_all();
            lock.lock();
        }
    }
}

std::size_t Semaphore::forget_permits(std::size_t n) noexcept {
    std::lock_guard lock(mutex_);
    std::size_t taken = std::min(n, permits_);
    set_permits(permits_ - taken);
    return taken;
}

void Semaphore::close() noexcept {
    detail::WakeList wakes;
    Lock lock(mutex_);
    closed_.store(true, std::memory_order_release);
    while (Waiter* w = waiters_.front()) {
        if (wakes.full()) {
            lock.unlock();
            wakes.wake_all();
            lock.lock();
            continue;
        }
        waiters_.pop_front();
        // Permits it had been assigned go back, so that a count taken after close adds up.
        set_permits(permits_ + (w->requested - w->remaining));
        wakes.push(std::move(w->waker));
        w->state.store(Waiter::closed, std::memory_order_release);
    }
}

}  // namespace weft::sync
