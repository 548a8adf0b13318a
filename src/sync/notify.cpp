#include <weft/sync/notify.hpp>

namespace weft::sync {

bool Notify::try_take(Waiter& w) noexcept {
    if (generation_.load(std::memory_order_acquire) != w.generation) return true;
    std::lock_guard lock(mutex_);
    if (generation_.load(std::memory_order_relaxed) != w.generation) return true;
    return std::exchange(permit_, false);
}

bool Notify::take_or_enqueue(Waiter& w, Waker waker) noexcept {
    std::lock_guard lock(mutex_);
    if (generation_.load(std::memory_order_relaxed) != w.generation) return true;
    switch (w.state.load(std::memory_order_relaxed)) {
        case Waiter::queued:
            w.waker = std::move(waker);  // awaited again, still in line: keep its place
            return false;
        case Waiter::notified_one:
        case Waiter::notified_all:
            return true;  // awaited again, and notified since its await_ready looked
        default:
            break;
    }
    if (std::exchange(permit_, false)) return true;
    w.waker = std::move(waker);
    w.state.store(Waiter::queued, std::memory_order_relaxed);
    waiters_.push_back(&w);
    return false;
}

Waker Notify::notify_one_locked() noexcept {
    Waiter* w = waiters_.pop_front();
    if (!w) {
        permit_ = true;
        return {};
    }
    Waker waker = std::move(w->waker);
    w->state.store(Waiter::notified_one, std::memory_order_release);
    return waker;
}

void Notify::notify_one() noexcept {
    Waker waker;
    {
        std::lock_guard lock(mutex_);
        waker = notify_one_locked();
    }
    waker.wake_and_reset();
}

void Notify::notify_waiters() noexcept {
    detail::WakeList wakes;
    std::unique_lock lock(mutex_);
    std::uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
    generation_.store(gen, std::memory_order_release);
    // Waiters queued before the bump hold an older generation and sit ahead of any queued
    // while the lock is dropped between batches (those saw `gen` and must keep waiting).
    while (Waiter* w = waiters_.front()) {
        if (w->generation >= gen) break;
        if (wakes.full()) {
            lock.unlock();
            wakes.wake_all();
            lock.lock();
            continue;
        }
        waiters_.pop_front();
        wakes.push(std::move(w->waker));
        w->state.store(Waiter::notified_all, std::memory_order_release);
    }
}

void Notify::abandon(Waiter& w) noexcept {
    Waker next;
    {
        std::lock_guard lock(mutex_);
        switch (w.state.load(std::memory_order_relaxed)) {
            case Waiter::queued:
                waiters_.remove(&w);
                break;
            case Waiter::notified_one:
                next = notify_one_locked();  // chosen but never resumed: pass it on
                break;
            default:
                break;
        }
        w.state.store(Waiter::idle, std::memory_order_relaxed);
    }
    next.wake_and_reset();
}

}  // namespace weft::sync
