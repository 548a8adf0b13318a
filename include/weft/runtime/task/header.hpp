#pragma once

// The header of a spawned task, and its state word.
//
// One atomic 64-bit word holds the reference count (high bits) and the state flags:
//
//   RUNNING    set by the scheduler while it polls the task; it alone touches the frame then
//   COMPLETE   the frame has finished or been destroyed; the output is readable
//   NOTIFIED   the task is in a run queue, or must go back to one when its poll ends
//   CANCELLED  abort() was requested; the next poll destroys the frame instead of resuming it
//   JOIN_WAKER the joiner's waker is stored and the completer may take it; while it is clear the
//              joiner alone owns the waker field (no lock: the joiner sets the bit after writing
//              the waker, and clears it before replacing or dropping it)
//   OUTPUT_*   which output the cell holds once the frame is gone (value, error, cancelled);
//              published together with COMPLETE, in the same transition
//
// Invariants: a task is in at most one run queue (only the idle -> NOTIFIED transition enqueues
// it); the frame is resumed and destroyed only by the thread that owns the task, under
// RUNNING; a waker holds a reference, so waking a task that is gone is impossible and waking
// one that is COMPLETE does nothing.
//
//   from                 event                 to                          side effect
//   idle                 wake / abort          NOTIFIED (+ref)             schedule
//                        (a wake by value on a thread running the task's scheduler gives the
//                        waker's reference to the queue instead; elsewhere it drops it after
//                        `schedule`, which the reference keeps safe)
//   RUNNING              wake / abort          RUNNING|NOTIFIED            none: rescheduled after poll
//                        (a wake from its own poll only sets a thread-local flag: the CAS that
//                        ends the poll sets NOTIFIED)
//   NOTIFIED             poll starts           RUNNING                     queue's ref moves to the poll
//   RUNNING              poll returns pending  idle or NOTIFIED            reschedule if NOTIFIED, else
//                                                                          drop the queue's ref (same CAS)
//   RUNNING              poll finishes         COMPLETE|OUTPUT_* (-ref)    wake the joiner
//   any but COMPLETE     CANCELLED at poll     COMPLETE                    frame destroyed
//
// The same word serves the multi-thread scheduler: every transition is a CAS. Each transition
// is one atomic read-modify-write where it can be (a poll costs two, a completion one): locked
// operations are the largest part of a spawn on some CPUs.

#include <atomic>
#include <cstdint>
#include <source_location>
#include <weft/runtime/context.hpp>
#include <weft/runtime/waker.hpp>

namespace weft::detail {

class TaskHeader;

/// What a scheduler provides to the tasks it owns.
///
/// Reference counted: the runtime holds one reference and every task header another, so a
/// late wake (from a thread that still holds a waker) never reaches a destroyed scheduler.
class Scheduler {
public:
    /// Adopts a new task (state NOTIFIED, three references) and queues its first poll.
    virtual void bind(TaskHeader* task) = 0;
    /// Enqueues a notified task; the queue takes over one reference.
    virtual void schedule(TaskHeader* task) noexcept = 0;
    /// The task completed: forget it (drops the scheduler's own reference).
    virtual void release(TaskHeader* task) noexcept = 0;
    /// The task woke itself during its poll (`yield_now`, a spent budget): requeue it behind
    /// the others rather than in any fast path. The queue takes over one reference.
    virtual void yield(TaskHeader* task) noexcept { schedule(task); }

    void add_scheduler_ref() noexcept { add_scheduler_refs(1); }
    void release_scheduler_ref() noexcept { release_scheduler_refs(1); }
    void add_scheduler_refs(std::size_t n) noexcept { refs_.count.fetch_add(n, std::memory_order_relaxed); }
    void release_scheduler_refs(std::size_t n) noexcept {
        if (refs_.count.fetch_sub(n, std::memory_order_acq_rel) == n) destroy();
    }

protected:
    virtual void destroy() noexcept = 0;
    virtual ~Scheduler() = default;

private:
    // A cache line of its own: a thread spawning from outside the runtime adds a reference per
    // task, and next to the vtable pointer (which every virtual call by a worker reads) each
    // add took the line from the worker and back (7% of the CPU of spawn_many_remote on one
    // worker, docs/benchmarks.md).
    struct alignas(64) RefCount {
        std::atomic<std::size_t> count{1};
    };
    RefCount refs_;
};

/// A thread's reserve of references on one scheduler, for the reference every task holds.
///
/// A task bound on a thread that holds the reserve takes its reference from it, and a task
/// freed there puts it back: the shared count moves only in batches. One locked instruction
/// per spawn and per free, on a line every worker writes, was a sixth of a spawn storm. The
/// threads that run a scheduler hold its reserve while they do (a scoped object: the
/// scheduler must outlive it); tasks freed on any other thread give their reference back to
/// the shared count.
class SchedulerRefReserve {
public:
    explicit SchedulerRefReserve(Scheduler& scheduler) noexcept;
    ~SchedulerRefReserve();
    SchedulerRefReserve(const SchedulerRefReserve&) = delete;
    SchedulerRefReserve& operator=(const SchedulerRefReserve&) = delete;

    /// A new task's reference on `scheduler`.
    static void take(Scheduler& scheduler) noexcept;
    /// A freed task's reference on `scheduler` (which this may destroy).
    static void give(Scheduler& scheduler) noexcept;

private:
    Scheduler* previous_;
    std::size_t previous_count_;
};

/// Snapshot of a task for diagnostics.
enum class TaskState { idle, scheduled, running, complete };

class TaskHeader : public Wakeable {
public:
    static constexpr std::uint64_t RUNNING = 1u << 0;
    static constexpr std::uint64_t COMPLETE = 1u << 1;
    static constexpr std::uint64_t NOTIFIED = 1u << 2;
    static constexpr std::uint64_t CANCELLED = 1u << 3;
    static constexpr std::uint64_t JOIN_WAKER = 1u << 4;
    static constexpr std::uint64_t OUTPUT_VALUE = 1u << 5;
    static constexpr std::uint64_t OUTPUT_ERROR = 1u << 6;
    static constexpr std::uint64_t OUTPUT_CANCELLED = 1u << 7;
    static constexpr std::uint64_t OUTPUTS = OUTPUT_VALUE | OUTPUT_ERROR | OUTPUT_CANCELLED;
    static constexpr std::uint64_t REF_ONE = 1u << 8;
    static constexpr std::uint64_t FLAGS = REF_ONE - 1;

    TaskHeader(Scheduler* scheduler, std::uint64_t id, const char* name,
               std::source_location location) noexcept;

    // Wakeable
    void wake_by_ref() noexcept override;
    void wake_by_val() noexcept override;
    void add_ref() noexcept override;
    void release() noexcept override;

    /// Requests cancellation; the owning thread destroys the frame at its next poll.
    void abort() noexcept;

    /// Runs one poll (called by the scheduler with the queue's reference, which it consumes).
    void run() noexcept;

    /// Destroys the frame of a task that never completed (runtime shutdown), on its thread.
    void shutdown() noexcept;

    Scheduler& scheduler() const noexcept { return *scheduler_; }
    bool is_complete() const noexcept { return state_.load(std::memory_order_acquire) & COMPLETE; }
    TaskState state() const noexcept;
    std::uint64_t id() const noexcept { return id_; }
    const char* name() const noexcept { return name_; }
    const std::source_location& location() const noexcept { return location_; }

    /// For task dumps: takes RUNNING so that the frame stays put while its pending leaf is
    /// read. False when the task is running or complete. `was_notified` goes to `end_inspection`.
    bool begin_inspection(bool& was_notified) noexcept;
    /// Gives RUNNING back; schedules the task if it was woken meanwhile.
    void end_inspection(bool was_notified) noexcept;

    /// Registers the waker of a task awaiting this one; false if it completed already.
    bool set_join_waker(Waker waker) noexcept;
    void clear_join_waker() noexcept;

    TaskContext context;
    // Intrusive links owned by the scheduler.
    TaskHeader* queue_next = nullptr;
    TaskHeader* owned_prev = nullptr;
    TaskHeader* owned_next = nullptr;

protected:
    ~TaskHeader() = default;

    // The frame and output, implemented by the cell (one vtable pointer serves these and
    // Wakeable's).
    /// Resumes the frame once. 0 while it is pending; once it finished, the OUTPUTS bit that
    /// says which output the cell now holds (published with COMPLETE by the caller).
    virtual std::uint64_t poll_frame() = 0;
    /// Destroys the frame without finishing it (cancellation); the output is OUTPUT_CANCELLED.
    virtual void cancel_frame() noexcept = 0;
    /// Frees the memory of the task (called when the last reference goes).
    virtual void deallocate() noexcept = 0;

    /// The OUTPUTS bit set, or 0 while the frame is alive.
    std::uint64_t output() const noexcept { return state_.load(std::memory_order_acquire) & OUTPUTS; }

private:
    /// RUNNING -> COMPLETE with `output`; drops the queue's reference in the same step when
    /// `drop_queue_ref`. Leaves the owned set, then wakes the joiner.
    void complete(std::uint64_t output, bool drop_queue_ref) noexcept;
    /// Clears JOIN_WAKER so the joiner owns the waker field again; false once COMPLETE.
    bool unset_join_waker() noexcept;
    /// The last reference is gone: free the cell, then drop its reference on the scheduler.
    void free_cell() noexcept;

private:
    std::atomic<std::uint64_t> state_;
    Scheduler* scheduler_;
    std::uint64_t id_;
    const char* name_;
    std::source_location location_;
    Waker join_waker_;
};

}  // namespace weft::detail
