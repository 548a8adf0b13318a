#include "runtime/scheduler/current_thread.hpp"

#include <chrono>
#include <stdexcept>

#include "runtime/scheduler/counters.hpp"
#include "runtime/task/dump.hpp"

namespace weft::detail {

CurrentThreadScheduler::CurrentThreadScheduler(const CurrentThreadConfig& config)
    : time_([this] { io_.unpark(); }),
      blocking_(std::make_unique<BlockingPool>(config.blocking)),
      time_polls_(config.poll_time_histogram) {
    if (config.start_paused) time_.pause();
}

CurrentThreadScheduler::~CurrentThreadScheduler() = default;

void CurrentThreadScheduler::bind(TaskHeader* task) {
    if (on_runtime_thread())
        bump(spawned_local_);
    else
        spawned_remote_.fetch_add(1, std::memory_order_relaxed);
    if (!owned_.insert(task)) {  // shut down: cancelled before it ever runs
        task->shutdown();
        task->release();  // the queue reference the spawn created
        return;
    }
    schedule(task);
}

void CurrentThreadScheduler::schedule(TaskHeader* task) noexcept {
    if (on_runtime_thread()) {
        local_.push(task);
        return;
    }
    push_remote(task);
}

void CurrentThreadScheduler::push_remote(TaskHeader* task) noexcept {
    bool unpark = false;
    bool closed;
    {
        std::lock_guard lock(remote_mutex_);
        closed = closed_;
        if (!closed) {
            // Counted before the push (once the lock is released the runtime thread may run the
            // task, complete it and wake a reader of the metrics), and under the lock, which
            // every writer holds: no locked add.
            bump(remote_schedules_);
            remote_.push(task);
            unpark = std::exchange(parked_, false);
        }
    }
    if (closed) {
        task->release();  // the runtime is gone: the task is COMPLETE (or about to be)
        return;
    }
    if (unpark) io_.unpark();
}

void CurrentThreadScheduler::release(TaskHeader* task) noexcept {
    owned_.remove(task);
    task->release();
}

void CurrentThreadScheduler::RootWaker::wake_by_ref() noexcept {
    if (scheduler_.root_notified_.exchange(true, std::memory_order_acq_rel)) return;
    if (scheduler_.on_runtime_thread()) return;
    bool unpark;
    {
        std::lock_guard lock(scheduler_.remote_mutex_);
        unpark = std::exchange(scheduler_.parked_, false);
    }
    if (unpark) scheduler_.io_.unpark();
}

TaskHeader* CurrentThreadScheduler::next_task() noexcept {
    // Every `global_queue_interval` polls the remote queue goes first, so wakes from other
    // threads are never starved by a busy local queue.
    bool remote_first = (tick_ % global_queue_interval) == 0;
    if (!remote_first) {
        if (auto* t = local_.pop()) return t;
    }
    {
        std::lock_guard lock(remote_mutex_);
        local_.append(remote_);
    }
    return local_.pop();
}

bool CurrentThreadScheduler::has_local_work() const noexcept {
    return !local_.empty() || root_notified_.load(std::memory_order_acquire);
}

void CurrentThreadScheduler::park(bool has_work) {
    int timeout_ms = 0;
    if (!has_work && !time_.paused()) timeout_ms = time_.begin_park();
    if (timeout_ms != 0) {
        std::lock_guard lock(remote_mutex_);
        if (!remote_.empty() || root_notified_.load(std::memory_order_acquire))
            timeout_ms = 0;
        else
            parked_ = true;
    }
    if (timeout_ms != 0) bump(parks_);
    std::size_t events = io_.turn(timeout_ms);
    if (timeout_ms != 0) {
        std::lock_guard lock(remote_mutex_);
        parked_ = false;
    }
    time_.end_park();
    std::size_t fired = time_.process();

    if (time_.paused() && !has_work && events == 0 && fired == 0 && !has_local_work()) {
        bool remote_empty;
        {
            std::lock_guard lock(remote_mutex_);
            remote_empty = remote_.empty();
        }
        // Paused and idle: jump to the next timer instead of waiting for it. With no timer
        // either, block until I/O or a remote wake arrives.
        if (remote_empty) {
            if (time_.auto_advance()) {
                time_.process();
            } else {
                {
                    std::lock_guard lock(remote_mutex_);
                    if (!remote_.empty() || root_notified_.load(std::memory_order_acquire)) return;
                    parked_ = true;
                }
                bump(parks_);
                io_.turn(-1);
                std::lock_guard lock(remote_mutex_);
                parked_ = false;
            }
        }
    }
}

void CurrentThreadScheduler::block_on(TaskContext& root, std::coroutine_handle<> start) {
    Enter enter(this, "weft::Runtime::block_on");
    SchedulerRefReserve refs(*this);
    if (running_) throw std::logic_error("weft::Runtime::block_on: this runtime is already running");
    {
        std::lock_guard lock(remote_mutex_);
        if (closed_) throw std::logic_error("weft::Runtime::block_on: the runtime was shut down");
    }
    running_ = true;
    struct Stop {
        bool& running;
        ~Stop() { running = false; }
    } stop{running_};

    root.wakeable = &root_waker_;
    root_notified_.store(true, std::memory_order_release);
    for (;;) {
        if (root_notified_.exchange(false, std::memory_order_acq_rel)) {
            coop::BudgetScope budget(coop::initial_budget);
            root.poll(start);
            if (start.done()) return;
        }
        for (unsigned i = 0; i < event_interval; ++i) {
            TaskHeader* task = next_task();
            if (!task) break;
            ++tick_;
            bump(polls_);
            coop::BudgetScope budget(coop::initial_budget);
            if (time_polls_) {
                const std::uint64_t start = PollTimeHistogram::now_us();
                task->run();
                poll_times_.record(PollTimeHistogram::now_us() - start);
            } else {
                task->run();
            }
        }
        park(has_local_work());
    }
}

void CurrentThreadScheduler::shutdown() noexcept {
    Enter enter(this, Enter::nested_ok);
    {
        std::lock_guard lock(remote_mutex_);
        if (closed_) return;
    }
    // Destroy every task's frame on this thread. Destructors may wake tasks (they are complete,
    // so nothing runs) or spawn new ones (cancelled at once: the owned list is closed).
    owned_.close_and_shutdown_all();
    {
        std::lock_guard lock(remote_mutex_);
        closed_ = true;
        local_.append(remote_);
    }
    while (auto* task = local_.pop()) task->run();  // COMPLETE: only drops the queue's reference
    blocking_.reset();                              // waits for running blocking work
}

void CurrentThreadScheduler::dump(std::string& out) const {
    owned_.for_each([&](TaskHeader* t) { append_task_dump(out, *t); });
}

RuntimeMetrics CurrentThreadScheduler::metrics() const {
    RuntimeMetrics m;
    m.workers = 1;
    m.live_tasks = owned_.size();
    m.spawned_total =
        spawned_local_.load(std::memory_order_relaxed) + spawned_remote_.load(std::memory_order_relaxed);
    m.polls = polls_.load(std::memory_order_relaxed);
    m.remote_schedules = remote_schedules_.load(std::memory_order_relaxed);
    m.parks = parks_.load(std::memory_order_relaxed);
    m.local_queue_depth = local_.size();
    poll_times_.add_to(m.poll_time_histogram);
    {
        std::lock_guard lock(remote_mutex_);
        m.remote_queue_depth = remote_.size();
    }
    fill_driver_metrics(m, io_, time_, blocking_.get());
    return m;
}

}  // namespace weft::detail
