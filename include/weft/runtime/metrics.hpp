#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <vector>

namespace weft {

/// Counters of one worker thread of a multi-thread runtime.
struct WorkerMetrics {
    std::uint64_t polls = 0;
    std::uint64_t steals = 0;  ///< tasks taken from other workers
    std::uint64_t steal_operations = 0;
    std::uint64_t parks = 0;
    std::uint64_t overflows = 0;  ///< local queue full: half moved to the global queue
    std::size_t local_queue_depth = 0;
};

/// A task that held a worker thread for longer than the runtime's threshold.
///
///     weft::Runtime::Builder::multi_thread().on_blocked_worker([](const weft::BlockedWorkerReport& r) {
///         log("task {} blocked worker {} for {} ms", r.task_id, r.worker, r.blocked_for.count());
///     });
struct BlockedWorkerReport {
    std::size_t worker = 0;
    std::uint64_t task_id = 0;
    const char* task_name = nullptr;  ///< the name given at spawn, or null
    std::source_location spawned_at;
    std::chrono::milliseconds blocked_for{0};
};

/// A snapshot of a runtime's counters. Cheap to take; the counters are always on.
///
///     auto m = rt.metrics();
///     std::println("{} live tasks, {} polls", m.live_tasks, m.polls);
struct RuntimeMetrics {
    std::size_t workers = 1;
    /// Spawned and not yet released. On the multi-thread runtime a worker releases a task just
    /// after its joiner is woken, so right after a join the count may still include it.
    std::size_t live_tasks = 0;
    std::uint64_t spawned_total = 0;
    /// Task polls, the block_on root excluded. Counted when each starts, so the poll that
    /// produced a result a joiner has seen is in the count.
    std::uint64_t polls = 0;
    /// Wakes from other threads that queued a task (one that lands while the task's poll is
    /// ending only marks it to run again, and is not counted).
    std::uint64_t remote_schedules = 0;
    std::uint64_t parks = 0;  ///< times the thread blocked waiting for events
    std::size_t local_queue_depth = 0;
    std::size_t remote_queue_depth = 0;
    std::size_t io_registrations = 0;  ///< file descriptors registered with the I/O driver
    std::size_t active_timers = 0;     ///< timers in the wheel
    std::size_t blocking_threads = 0;
    std::size_t blocking_idle_threads = 0;
    std::size_t blocking_queue_depth = 0;
    std::uint64_t blocking_threads_spawned = 0;
    std::uint64_t blocked_polls = 0;        ///< polls reported as blocking their worker
    std::vector<WorkerMetrics> per_worker;  ///< multi-thread runtime only
    /// Poll durations, when enabled on the builder: bucket i counts polls that took
    /// [2^i, 2^(i+1)) microseconds (bucket 0: under 2 us; the last: everything longer).
    /// A poll is added when it ends, so right after a join its last poll may be missing.
    std::array<std::uint64_t, 16> poll_time_histogram{};
};

}  // namespace weft
