#pragma once

// The multi-thread work-stealing scheduler.
//
// Each worker runs tasks from, in order: its LIFO slot (the task most recently woken by the task
// it is running, so message passing stays on one core and in cache), its local ring, the global
// inject queue, and other workers' rings (stealing half). Fairness:
//   - the inject queue is checked first every `global_queue_interval` ticks, so tasks woken from
//     outside are never starved by a busy local queue;
//   - at most `max_lifo_polls` tasks run from the LIFO slot in a row, and they share the first
//     task's coop budget, so two tasks ping-ponging cannot monopolise a worker;
//   - a LIFO slot whose owner has been stuck in one poll for `lifo_steal_after` can be stolen by
//     an idle worker (Tokio's cannot, tokio#4941);
//   - the drivers are turned every `event_interval` ticks even when there is always work.
// Idle workers park; at most half of them search for work at once, and the last searcher to
// park re-checks every queue (otherwise a task queued just then would wait for the next wake).
// A parking worker that can take the driver lock blocks in epoll_wait (and fires timers); the
// others wait on a condition variable.
//
// A monitor thread samples each worker's poll counter to detect a task that blocks its worker
// (a `sleep_for` inside a task), without putting a clock read on the hot path.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#include <weft/runtime/metrics.hpp>

#include "io/driver.hpp"
#include "runtime/core.hpp"
#include "runtime/scheduler/multi_thread/inject.hpp"
#include "runtime/scheduler/multi_thread/local_queue.hpp"
#include "runtime/scheduler/multi_thread/parker.hpp"
#include "runtime/task/owned_tasks.hpp"
#include "time/driver.hpp"

namespace weft::detail {

struct MultiThreadConfig {
    std::size_t workers = 0;  // 0: number of CPUs
    BlockingPool::Config blocking;
    std::chrono::milliseconds blocked_threshold{100};                  // 0 disables detection
    std::function<void(const weft::BlockedWorkerReport&)> on_blocked;  // default: a line on stderr
    bool poll_time_histogram = false;
};

class MultiThreadScheduler final : public RuntimeCore {
public:
    explicit MultiThreadScheduler(MultiThreadConfig config);

    void bind(TaskHeader* task) override;
    void schedule(TaskHeader* task) noexcept override;
    void yield(TaskHeader* task) noexcept override;
    void release(TaskHeader* task) noexcept override;

    time::detail::TimeDriver& time() noexcept override { return time_; }
    io::detail::IoDriver& io() noexcept override { return io_; }
    BlockingPool& blocking() noexcept override { return *blocking_; }
    void block_on(TaskContext& root, std::coroutine_handle<> start) override;
    void shutdown() noexcept override;
    RuntimeMetrics metrics() const override;
    bool is_multi_thread() const noexcept override { return true; }
    void dump(std::string& out) const override;

private:
    struct Worker;

    void destroy() noexcept override { delete this; }
    ~MultiThreadScheduler() override;

    void run_worker(Worker& w);
    TaskHeader* next_task(Worker& w);
    TaskHeader* steal_work(Worker& w);
    void run_task(Worker& w, TaskHeader* task);
    void poll_one(Worker& w, TaskHeader* task);
    void push_local(Worker& w, TaskHeader* task) noexcept;
    void park(Worker& w);
    bool drive(Worker& w, Parker& parker);
    void maintenance(Worker& w);
    void notify_parked() noexcept;
    void unpark_worker(std::size_t index) noexcept;
    bool has_work_anywhere() const noexcept;
    void monitor_loop();

    // Idle coordination (see the file comment).
    bool transition_to_searching() noexcept;
    bool transition_from_searching() noexcept;  // true: was the last searcher
    bool transition_to_parked(Worker& w, bool searching);
    enum class Wakeup { stay_parked, notified, own_work };
    Wakeup transition_from_parked(Worker& w);  // notified: a notifier counted it as searching

    MultiThreadConfig config_;
    io::detail::IoDriver io_;
    time::detail::TimeDriver time_;
    std::unique_ptr<BlockingPool> blocking_;
    std::vector<std::unique_ptr<Worker>> workers_;
    InjectQueue inject_;
    OwnedTasks owned_;
    std::mutex driver_mutex_;

    // Cache lines grouped by who writes them. A counter a remote spawner bumps once shared the
    // line of `shutdown_` (read by every turn of every worker) and `num_searching_` (read by
    // every wake): spawn_many_remote on one worker ran at less than half its speed.

    // Read by every worker turn; written once.
    alignas(64) std::atomic<bool> shutdown_{false};

    // Idle coordination: written when a worker parks, unparks or searches; read by every wake.
    alignas(64) std::atomic<std::uint32_t> num_searching_{0};
    std::atomic<std::uint32_t> num_unparked_{0};
    std::mutex sleepers_mutex_;
    std::vector<std::size_t> sleepers_;

    // Written by threads outside the runtime, per remote spawn or wake.
    alignas(64) std::atomic<std::uint64_t> spawned_total_{0};
    std::atomic<std::uint64_t> remote_schedules_{0};

    // Written by the monitor.
    alignas(64) std::atomic<std::uint64_t> blocked_polls_{0};

    std::thread monitor_;
    std::mutex monitor_mutex_;
    std::condition_variable monitor_cv_;
};

}  // namespace weft::detail
