#include <thread>
#include <utility>
#include <weft/runtime/task/header.hpp>

namespace weft::detail {

TaskHeader::TaskHeader(Scheduler* scheduler, std::uint64_t id, const char* name,
                       std::source_location location) noexcept
    // Three references to start: the scheduler's owned list, the JoinHandle, and the run
    // queue entry that the spawn creates (the task starts NOTIFIED).
    : state_(NOTIFIED | 3 * REF_ONE), scheduler_(scheduler), id_(id), name_(name), location_(location) {
    context.wakeable = this;
    SchedulerRefReserve::take(*scheduler_);
}

void TaskHeader::add_ref() noexcept { state_.fetch_add(REF_ONE, std::memory_order_relaxed); }

void TaskHeader::release() noexcept {
    auto prev = state_.fetch_sub(REF_ONE, std::memory_order_acq_rel);
    if ((prev & ~FLAGS) == REF_ONE) free_cell();
}

void TaskHeader::free_cell() noexcept {
    Scheduler* scheduler = scheduler_;
    deallocate();
    SchedulerRefReserve::give(*scheduler);
}

namespace {

struct RefReserve {
    Scheduler* owner;
    std::size_t count;  // references on `owner` held for this thread's tasks
};
constinit thread_local RefReserve ref_reserve{};
// Taken from the shared count this many at a time; once the reserve holds twice that, a batch
// goes back, so a thread that only frees (the tasks of a storm completing) keeps it bounded.
constexpr std::size_t ref_batch = 64;

}  // namespace

SchedulerRefReserve::SchedulerRefReserve(Scheduler& scheduler) noexcept
    : previous_(ref_reserve.owner), previous_count_(ref_reserve.count) {
    ref_reserve = {&scheduler, 0};
}

SchedulerRefReserve::~SchedulerRefReserve() {
    RefReserve& r = ref_reserve;
    // Never the last reference: whoever runs the scheduler keeps it alive meanwhile.
    if (r.count != 0) r.owner->release_scheduler_refs(r.count);
    r = {previous_, previous_count_};
}

void SchedulerRefReserve::take(Scheduler& scheduler) noexcept {
    RefReserve& r = ref_reserve;
    if (r.owner != &scheduler) {
        scheduler.add_scheduler_ref();
        return;
    }
    if (r.count == 0) {
        scheduler.add_scheduler_refs(ref_batch);
        r.count = ref_batch;
    }
    --r.count;
}

void SchedulerRefReserve::give(Scheduler& scheduler) noexcept {
    RefReserve& r = ref_reserve;
    if (r.owner != &scheduler) {
        scheduler.release_scheduler_ref();
        return;
    }
    if (++r.count == 2 * ref_batch) {
        // Not the last: the reserve keeps ref_batch.
        scheduler.release_scheduler_refs(ref_batch);
        r.count -= ref_batch;
    }
}

namespace {
// The task this thread is polling, and whether that poll woke its own task (`yield_now`, a spent
// coop budget, a leaf that completed at once): such a wake needs no atomic operation of its
// own, since `run` requeues the task in the same compare-and-swap that ends the poll. That is
// one locked instruction of the four a yield costs.
struct Polling {
    TaskHeader* task;
    bool self_woken;
};
constinit thread_local Polling polling{};
}  // namespace

void TaskHeader::wake_by_ref() noexcept {
    Polling& p = polling;
    if (p.task == this) {
        p.self_woken = true;
        return;
    }
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

void TaskHeader::wake_by_val() noexcept {
    Polling& p = polling;
    if (p.task == this) {  // the poll holds a reference: this one is not the last
        p.self_woken = true;
        state_.fetch_sub(REF_ONE, std::memory_order_release);
        return;
    }
    auto s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & (COMPLETE | NOTIFIED)) {
            release();
            return;
        }
        if (s & RUNNING) {
            // Requeued when the poll ends. The poll (or a task dump, while the owned set's
            // reference is held) keeps the task alive: this reference is not the last.
            if (state_.compare_exchange_weak(s, (s | NOTIFIED) - REF_ONE, std::memory_order_acq_rel)) return;
            continue;
        }
        // Idle. On a thread that runs this task's scheduler, the waker's reference becomes the
        // run queue's. Anywhere else the queue gets a reference of its own and the waker's is
        // dropped after `schedule` returns: once the task is queued it may run, complete and
        // free its cell, and the cell's reference was all that kept the scheduler alive while
        // `schedule` still touches it (the remote count, the unpark, the parked workers).
        if (ref_reserve.owner == scheduler_) {
            if (state_.compare_exchange_weak(s, s | NOTIFIED, std::memory_order_acq_rel)) {
                scheduler_->schedule(this);
                return;
            }
        } else if (state_.compare_exchange_weak(s, (s | NOTIFIED) + REF_ONE, std::memory_order_acq_rel)) {
            scheduler_->schedule(this);
            release();
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

    std::uint64_t output;
    bool self_woken = false;
    if (s & CANCELLED) {
        cancel_frame();
        output = OUTPUT_CANCELLED;
    } else {
        // Polls do not nest, but whatever a poll runs (a destructor, another runtime's
        // shutdown) finds the outer poll's record as it left it.
        const Polling outer = std::exchange(polling, Polling{this, false});
        try {
            output = poll_frame();
        } catch (...) {
            // The cell stores exceptions of the task body; this is a defect in weft itself.
            std::terminate();
        }
        self_woken = polling.self_woken;
        polling = outer;
    }

    if (output) {
        complete(output, /*drop_queue_ref=*/true);
        return;
    }

    s = state_.load(std::memory_order_acquire);
    for (;;) {
        if ((s & NOTIFIED) || self_woken) {
            // Woken (or aborted) while running: go back to the queue with the same reference.
            if (state_.compare_exchange_weak(s, (s & ~RUNNING) | NOTIFIED, std::memory_order_acq_rel)) {
                scheduler_->yield(this);
                return;
            }
            continue;
        }
        // Idle: give RUNNING and the queue's reference back in one step.
        if (state_.compare_exchange_weak(s, (s & ~RUNNING) - REF_ONE, std::memory_order_acq_rel)) {
            if ((s & ~FLAGS) == REF_ONE) free_cell();
            return;
        }
    }
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
    complete(OUTPUT_CANCELLED, /*drop_queue_ref=*/false);
}

void TaskHeader::complete(std::uint64_t output, bool drop_queue_ref) noexcept {
    const std::uint64_t dropped = drop_queue_ref ? REF_ONE : 0;
    auto s = state_.load(std::memory_order_relaxed);
    while (!state_.compare_exchange_weak(s, ((s & ~RUNNING) | COMPLETE | output) - dropped,
                                         std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
    // JOIN_WAKER was set before COMPLETE: the joiner can no longer clear it, so the waker is
    // ours to take. The owned set's reference keeps the cell alive until the release below.
    Waker joiner;
    if (s & JOIN_WAKER) joiner = std::move(join_waker_);
    // Leave the owned set before the joiner runs: whoever observes the join sees the task gone
    // from the runtime's live count. This may free the cell.
    scheduler_->release(this);
    joiner.wake_and_reset();
}

bool TaskHeader::set_join_waker(Waker waker) noexcept {
    auto s = state_.load(std::memory_order_acquire);
    if (s & COMPLETE) return false;
    // A waker from an earlier await: take the field back before replacing it.
    if ((s & JOIN_WAKER) && !unset_join_waker()) return false;
    join_waker_ = std::move(waker);
    s = state_.load(std::memory_order_relaxed);
    for (;;) {
        if (s & COMPLETE) {
            // The completer saw no waker and never touches the field: drop ours here.
            join_waker_ = Waker{};
            return false;
        }
        if (state_.compare_exchange_weak(s, s | JOIN_WAKER, std::memory_order_acq_rel,
                                         std::memory_order_relaxed))
            return true;
    }
}

bool TaskHeader::unset_join_waker() noexcept {
    auto s = state_.load(std::memory_order_acquire);
    for (;;) {
        if (s & COMPLETE) return false;
        if (state_.compare_exchange_weak(s, s & ~JOIN_WAKER, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
            return true;
    }
}

void TaskHeader::clear_join_waker() noexcept {
    auto s = state_.load(std::memory_order_acquire);
    // Complete: the completer took the waker. No JOIN_WAKER: the field is already empty.
    if ((s & COMPLETE) || !(s & JOIN_WAKER)) return;
    if (unset_join_waker()) join_waker_ = Waker{};
}

}  // namespace weft::detail

namespace weft::detail {
std::uint64_t next_task_id() noexcept {
    // Each thread takes ids in blocks: unique, increasing per thread, and no shared counter
    // touched on every spawn. Blocks start at multiples of 256, which OwnedTasks shards by;
    // id 0 is never handed out.
    constexpr std::uint64_t block = 256;
    static std::atomic<std::uint64_t> next{0};
    thread_local std::uint64_t cur = 0, end = 0;
    if (cur == end) {
        cur = next.fetch_add(block, std::memory_order_relaxed);
        end = cur + block;
        if (cur == 0) cur = 1;
    }
    return cur++;
}
}  // namespace weft::detail
