#pragma once

#include <cstddef>
#include <cstdint>

namespace weft {

/// A snapshot of a runtime's counters. Cheap to take; the counters are always on.
///
///     auto m = rt.metrics();
///     std::println("{} live tasks, {} polls", m.live_tasks, m.polls);
struct RuntimeMetrics {
    std::size_t workers = 1;
    std::size_t live_tasks = 0;          ///< spawned and not yet complete
    std::uint64_t spawned_total = 0;
    std::uint64_t polls = 0;             ///< task polls, the block_on root excluded
    std::uint64_t remote_schedules = 0;  ///< wakes that came from another thread
    std::uint64_t parks = 0;             ///< times the thread blocked waiting for events
    std::size_t local_queue_depth = 0;
    std::size_t remote_queue_depth = 0;
    std::size_t io_registrations = 0;    ///< file descriptors registered with the I/O driver
    std::size_t active_timers = 0;       ///< timers in the wheel
    std::size_t blocking_threads = 0;
    std::size_t blocking_idle_threads = 0;
    std::size_t blocking_queue_depth = 0;
    std::uint64_t blocking_threads_spawned = 0;
};

}  // namespace weft
