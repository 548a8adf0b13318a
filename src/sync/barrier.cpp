#include <weft/sync/barrier.hpp>

namespace weft::sync {

bool Barrier::arrive(detail::BarrierWaiter& w, Waker waker) noexcept {
    detail::WakeList wakes;
    std::unique_lock lock(mutex_);
    if (w.linked) {  // awaited again while still counted in this round: keep its place
        w.waker = std::move(waker);
        return false;
    }
    if (w.released.load(std::memory_order_relaxed)) {
        // Awaited again, and released by another thread since its await_ready looked: it
        // suspends, and this wake polls it at once to complete with that round.
        waker.wake();
        return false;
    }
    if (arrived_ + 1 < n_) {
        ++arrived_;
        w.generation = generation_;
        w.waker = std::move(waker);
        w.linked = true;
        waiters_.push_back(&w);
        return false;
    }
    // The last arrival: release the round. Tasks arriving while the lock is dropped between
    // wake batches belong to a later generation and queue behind the ones released here (if
    // that round completes meanwhile, its releaser wakes what is left of this one too).
    arrived_ = 0;
    std::uint64_t released = generation_++;
    while (detail::BarrierWaiter* x = waiters_.front()) {
        if (x->generation > released) break;
        if (wakes.full()) {
            lock.unlock();
            wakes.wake_all();
            lock.lock();
            continue;
        }
        waiters_.pop_front();
        x->linked = false;
        wakes.push(std::move(x->waker));
        x->released.store(true, std::memory_order_release);
    }
    return true;
}

void Barrier::withdraw(detail::BarrierWaiter& w) noexcept {
    Waker old;
    std::lock_guard lock(mutex_);
    if (w.linked) {  // still waiting in its round: take the arrival back
        waiters_.remove(&w);
        w.linked = false;
        --arrived_;
    }
    old = std::move(w.waker);
}

}  // namespace weft::sync
