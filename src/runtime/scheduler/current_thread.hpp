#pragma once

// The current-thread scheduler: every task of the runtime runs on the thread that calls
// `block_on`, so tasks need not be thread-safe (`spawn_local`).
//
// Queues: a local FIFO touched only by the runtime thread, and a remote FIFO (mutex) for wakes
// from other threads, which also unpark the thread through the I/O driver's eventfd when it is
// blocked in epoll_wait. The loop alternates: poll the `block_on` root when it was woken, run up
// to `event_interval` tasks, then turn the drivers (without blocking if work is left).

#include <atomic>
#include <memory>
#include <mutex>
#include <weft/runtime/context.hpp>
#include <weft/runtime/metrics.hpp>

#include "io/driver.hpp"
#include "runtime/core.hpp"
#include "runtime/scheduler/counters.hpp"
#include "runtime/task/owned_tasks.hpp"
#include "runtime/task/queue.hpp"
#include "time/driver.hpp"

namespace weft::detail {

struct CurrentThreadConfig {
    bool start_paused = false;
    BlockingPool::Config blocking;
    bool poll_time_histogram = false;
};

class CurrentThreadScheduler final : public RuntimeCore {
public:
    explicit CurrentThreadScheduler(const CurrentThreadConfig& config);

    // Scheduler
    void bind(TaskHeader* task) override;
    void schedule(TaskHeader* task) noexcept override;
    void release(TaskHeader* task) noexcept override;

    // RuntimeCore
    time::detail::TimeDriver& time() noexcept override { return time_; }
    io::detail::IoDriver& io() noexcept override { return io_; }
    BlockingPool& blocking() noexcept override { return *blocking_; }

    /// Drives `root` (with everything spawned) until `start` is done.
    void block_on(TaskContext& root, std::coroutine_handle<> start) override;
    /// Cancels every task, joins the blocking pool; the runtime is closed afterwards.
    void shutdown() noexcept override;

    RuntimeMetrics metrics() const override;
    void dump(std::string& out) const override;

private:
    class RootWaker final : public Wakeable {
    public:
        explicit RootWaker(CurrentThreadScheduler& s) : scheduler_(s) {}
        void wake_by_ref() noexcept override;
        void add_ref() noexcept override { scheduler_.add_scheduler_ref(); }
        void release() noexcept override { scheduler_.release_scheduler_ref(); }

    private:
        CurrentThreadScheduler& scheduler_;
    };

    void destroy() noexcept override { delete this; }
    ~CurrentThreadScheduler() override;

    bool on_runtime_thread() const noexcept { return RuntimeCore::current() == this; }
    void push_remote(TaskHeader* task) noexcept;
    TaskHeader* next_task() noexcept;
    void park(bool has_work);
    bool has_local_work() const noexcept;

    // Tokio's current-thread values: drivers every 61 polls, remote queue every 31.
    static constexpr unsigned event_interval = 61;
    static constexpr unsigned global_queue_interval = 31;

    io::detail::IoDriver io_;
    time::detail::TimeDriver time_;
    std::unique_ptr<BlockingPool> blocking_;
    RootWaker root_waker_{*this};

    // Cache lines grouped by writer: a remote spawn or wake takes the remote lock and bumps two
    // counters, which must not take the line of what the runtime thread writes every poll.

    // The runtime thread's own, written every poll.
    alignas(64) TaskQueue local_;
    std::uint64_t tick_ = 0;
    std::atomic<std::uint64_t> spawned_local_{0};
    std::atomic<std::uint64_t> polls_{0};
    std::atomic<std::uint64_t> parks_{0};
    const bool time_polls_;
    PollTimeHistogram poll_times_;

    // Shared with the threads that spawn and wake from outside.
    alignas(64) mutable std::mutex remote_mutex_;
    TaskQueue remote_;
    bool parked_ = false;
    bool closed_ = false;
    bool running_ = false;
    std::atomic<bool> root_notified_{false};
    std::atomic<std::uint64_t> spawned_remote_{0};    // a locked add: any thread
    std::atomic<std::uint64_t> remote_schedules_{0};  // under remote_mutex_

    OwnedTasks owned_;
};

}  // namespace weft::detail
