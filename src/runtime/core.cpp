#include "runtime/core.hpp"

#include <stdexcept>
#include <string>

#include "io/driver.hpp"
#include "time/driver.hpp"

namespace weft::detail {

namespace {
thread_local RuntimeCore* current_core = nullptr;
}

RuntimeCore* RuntimeCore::current() noexcept { return current_core; }

RuntimeCore::Enter::Enter(RuntimeCore* core, const char* operation) : previous_(current_core) {
    if (current_core) {
        throw std::logic_error(
            std::string(operation) +
            " called on a thread that is already running a weft runtime: blocking here would "
            "stall every task of that runtime (and deadlock if they feed the blocked one). "
            "Inside a task, use co_await instead; for blocking code, use weft::spawn_blocking; "
            "to run a separate runtime, start it on its own std::thread.");
    }
    current_core = core;
}

RuntimeCore::Enter::Enter(RuntimeCore* core, NestedOk) noexcept : previous_(current_core) {
    current_core = core;
}

RuntimeCore::Enter::~Enter() { current_core = previous_; }

void fill_driver_metrics(RuntimeMetrics& m, const io::detail::IoDriver& io,
                         const time::detail::TimeDriver& time, const BlockingPool* blocking) {
    m.io_registrations = io.registered();
    m.active_timers = time.active_timers();
    if (!blocking) return;
    auto b = blocking->stats();
    m.blocking_threads = b.threads;
    m.blocking_idle_threads = b.idle;
    m.blocking_queue_depth = b.queued;
    m.blocking_threads_spawned = b.spawned_total;
}

}  // namespace weft::detail
