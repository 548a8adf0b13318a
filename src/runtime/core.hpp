#pragma once

#include <string>
#include <weft/runtime/blocking/pool.hpp>
#include <weft/runtime/metrics.hpp>
#include <weft/runtime/task/header.hpp>

namespace weft::time::detail {
class TimeDriver;
}
namespace weft::io::detail {
class IoDriver;
}

namespace weft::detail {

/// What a runtime offers to the code running on its threads: drivers, the blocking pool, and
/// the scheduler that `spawn_local` binds new tasks to.
class RuntimeCore : public Scheduler {
public:
    /// The runtime whose thread this is, or null.
    static RuntimeCore* current() noexcept;

    virtual time::detail::TimeDriver& time() noexcept = 0;
    virtual io::detail::IoDriver& io() noexcept = 0;
    virtual BlockingPool& blocking() noexcept = 0;

    /// Drives the runtime on this thread until `start` (whose context is `root`) is done.
    virtual void block_on(TaskContext& root, std::coroutine_handle<> start) = 0;
    /// Cancels every remaining task on this thread and joins the runtime's threads.
    virtual void shutdown() noexcept = 0;
    virtual RuntimeMetrics metrics() const = 0;
    virtual bool is_multi_thread() const noexcept { return false; }
    /// Appends a line per live task: id, name or spawn location, state, what it waits for.
    virtual void dump(std::string& out) const = 0;

    /// Marks this thread as running `core` for the guard's lifetime. Entering a runtime from a
    /// thread that already runs one throws `std::logic_error` (see `block_on`).
    class Enter {
    public:
        Enter(RuntimeCore* core, const char* operation);
        /// For shutdown: destroying a runtime from inside another one is allowed.
        enum NestedOk { nested_ok };
        Enter(RuntimeCore* core, NestedOk) noexcept;
        ~Enter();
        Enter(const Enter&) = delete;
        Enter& operator=(const Enter&) = delete;

    private:
        RuntimeCore* previous_;
    };
};

/// The metrics both schedulers report the same way: drivers and blocking pool.
void fill_driver_metrics(RuntimeMetrics& m, const io::detail::IoDriver& io,
                         const time::detail::TimeDriver& time, const BlockingPool* blocking);

}  // namespace weft::detail
