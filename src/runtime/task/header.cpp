#include <thread>
#include <weft/runtime/task/header.hpp>

namespace weft::detail {

TaskHeader::TaskHeader(Scheduler* scheduler, std::uint64_t id, const char* name,
                       std::source_location location) noexcept
    // Three references to start: the scheduler's owned list, the JoinHandle, and the run
    // queue entry that the spawn creates (the task starts NOTIFIED).
    : state_(NOTIFIED | 3 * REF_ONE), scheduler_(scheduler), id_(id), name_(name), location_(location) {
    context.wakeable = this;
    scheduler_->add_scheduler_ref();
}

void TaskHeader::add_ref() noexcept { state_.fetch_add(REF_ONE, std::memory_order_relaxed); }

void TaskHeader::release() noexcept {
    auto prev = state_.fetch_sub(REF_ONE, std::memory_order_acq_rel);
    if ((prev & ~FLAGS) == REF_ONE) {
        Scheduler* scheduler = scheduler_;
        deallocate();
        scheduler->release_scheduler_ref();
    }
}

void TaskHeader::wake_by_ref() noexcept {
    auto s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & (COMPLETE | NOTIFIED)) return;
        if (s & RUNNING) {
            // The poll in progress sees NOTIFIED when it ends and reschedules.
            if (state_.compare_exchange_weak(s, s | NOTIFIED, std::memory_order_acq_rel)) return;
            continue;
        }
        if (state_.compare_exchange_weak(s, (s | NOTIFIED) + REF_ONE, std::memory_order_acq_rel)) {
            scheduler_->schedule(this);
            return;
        }
    }
}

void TaskHeader::abort() noexcept {
    auto s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & (COMPLETE | CANCELLED)) return;
        if (s & (RUNNING | NOTIFIED)) {
            if (state_.compare_exchange_weak(s, s | CANCELLED | NOTIFIED, std::memory_order_acq_rel)) return;
            continue;
        }
        if (state_.compare_exchange_weak(s, (s | CANCELLED | NOTIFIED) + REF_ONE,
                                         std::memory_order_acq_rel)) {
            scheduler_->schedule(this);
            return;
        }
    }
}

TaskState TaskHeader::state() const noexcept {
    auto s = state_.load(std::memory_order_acquire);
    if (s & COMPLETE) return TaskState::complete;
    if (s & RUNNING) return TaskState::running;
    if (s & NOTIFIED) return TaskState::scheduled;
    return TaskState::idle;
}

void TaskHeader::run() noexcept {
    auto s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & COMPLETE) {  // shut down while queued: only the queue's reference is left
            release();
            return;
        }
        if (s & RUNNING) {  // a task dump is reading it: a few microseconds
            std::this_thread::yield();
            s = state_.load(std::memory_order_acquire);
            continue;
        }
        if (state_.compare_exchange_weak(s, (s & ~NOTIFIED) | RUNNING, std::memory_order_acq_rel)) break;
    }

    bool finished;
    if (s & CANCELLED) {
        cancel_frame();
        finished = true;
    } else {
        try {
            finished = poll_frame();
        } catch (...) {
            // The cell stores exceptions of the task body; this is a defect in weft itself.
            std::terminate();
        }
    }

    if (finished) {
        complete();
        release();  // the queue's reference
        return;
    }

    s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & NOTIFIED) {
            // Woken (or aborted) while running: go back to the queue with the same reference.
            if (state_.compare_exchange_weak(s, s & ~RUNNING, std::memory_order_acq_rel)) {
                scheduler_->yield(this);
                return;
            }
            continue;
        }
        if (state_.compare_exchange_weak(s, s & ~RUNNING, std::memory_order_acq_rel)) break;
    }
    release();
}

bool TaskHeader::begin_inspection(bool& was_notified) noexcept {
    auto s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & (RUNNING | COMPLETE)) return false;
        if (state_.compare_exchange_weak(s, s | RUNNING, std::memory_order_acq_rel)) {
            was_notified = s & NOTIFIED;
            return true;
        }
    }
}

void TaskHeader::end_inspection(bool was_notified) noexcept {
    auto s = state_.load(std::memory_order_acquire);
    while (!state_.compare_exchange_weak(s, s & ~RUNNING, std::memory_order_acq_rel)) {
    }
    // A wake during the inspection saw RUNNING and only set NOTIFIED: queue it now.
    if ((s & NOTIFIED) && !was_notified) {
        add_ref();
        scheduler_->schedule(this);
    }
}

void TaskHeader::shutdown() noexcept {
    auto s = state_.load(std::memory_order_acquire);
    if (s & COMPLETE) return;
    cancel_frame();
    complete();
}

void TaskHeader::complete() noexcept {
    state_.fetch_or(COMPLETE, std::memory_order_acq_rel);
    state_.fetch_and(~RUNNING, std::memory_order_acq_rel);
    lock_join();
    Waker joiner = std::move(join_waker_);
    unlock_join();
    // Leave the owned set before the joiner runs: whoever observes the join sees the task gone
    // from the runtime's live count. The caller's reference keeps the header alive.
    scheduler_->release(this);
    joiner.wake();
}

void TaskHeader::lock_join() noexcept {
    auto s = state_.load(std::memory_order_relaxed);
    for (;;) {
        if (s & JOIN_LOCK) {
            std::this_thread::yield();
            s = state_.load(std::memory_order_relaxed);
        } else if (state_.compare_exchange_weak(s, s | JOIN_LOCK, std::memory_order_acquire,
                                                std::memory_order_relaxed)) {
            return;
        }
    }
}

bool TaskHeader::set_join_waker(Waker waker) noexcept {
    lock_join();
    bool complete = is_complete();
    if (!complete) join_waker_ = std::move(waker);
    unlock_join();
    return !complete;
}

void TaskHeader::clear_join_waker() noexcept {
    lock_join();
    Waker old = std::move(join_waker_);
    unlock_join();
}

}  // namespace weft::detail

namespace weft::detail {
std::uint64_t next_task_id() noexcept {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace weft::detail
