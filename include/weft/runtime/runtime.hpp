#pragma once

#include <chrono>
#include <cstddef>
#include <source_location>
#include <weft/runtime/join_handle.hpp>
#include <weft/runtime/metrics.hpp>
#include <weft/task.hpp>

namespace weft {

namespace detail {
class RuntimeCore;
/// The scheduler of the runtime running on this thread; throws std::logic_error without one.
Scheduler& current_scheduler(const char* operation);

template <class T>
JoinHandle<T> spawn_on(Scheduler& scheduler, Task<T> task, const char* name, std::source_location loc) {
    auto* cell = new TaskCell<T>(std::move(task), &scheduler, name, loc);
    scheduler.bind(cell);
    return JoinHandle<T>(cell);
}
}  // namespace detail

class Runtime;

/// Configures and creates a `Runtime`.
///
///     auto rt = weft::Runtime::Builder::current_thread().start_paused(true).build();
///
/// `current_thread()` runs every task on the thread that calls `block_on`. The builder names
/// the flavour so that `multi_thread()` (the work-stealing scheduler) slots in beside it.
class RuntimeBuilder {
public:
    enum class Flavor { current_thread, multi_thread };

    static RuntimeBuilder current_thread() { return RuntimeBuilder(Flavor::current_thread); }
    static RuntimeBuilder multi_thread() { return RuntimeBuilder(Flavor::multi_thread); }

    /// Starts with the clock paused (see `weft::time::pause`).
    RuntimeBuilder& start_paused(bool paused) & {
        start_paused_ = paused;
        return *this;
    }
    RuntimeBuilder&& start_paused(bool paused) && { return std::move(start_paused(paused)); }
    /// Cap of the blocking pool (default 512).
    RuntimeBuilder& max_blocking_threads(std::size_t n) & {
        max_blocking_threads_ = n;
        return *this;
    }
    RuntimeBuilder&& max_blocking_threads(std::size_t n) && { return std::move(max_blocking_threads(n)); }
    /// How long an idle blocking thread lives (default 10 s).
    RuntimeBuilder& thread_keep_alive(std::chrono::milliseconds d) & {
        keep_alive_ = d;
        return *this;
    }
    RuntimeBuilder&& thread_keep_alive(std::chrono::milliseconds d) && { return std::move(thread_keep_alive(d)); }

    /// Creates the runtime. Throws std::system_error when the OS refuses a resource (epoll,
    /// eventfd), and std::logic_error for a flavour this build does not provide.
    Runtime build() const;

private:
    friend class Runtime;
    explicit RuntimeBuilder(Flavor f) : flavor_(f) {}
    Flavor flavor_;
    bool start_paused_ = false;
    std::size_t max_blocking_threads_ = 512;
    std::chrono::milliseconds keep_alive_ = std::chrono::seconds(10);
};

/// An async runtime: a scheduler plus the I/O driver, the timer driver and a blocking pool.
///
///     weft::Runtime rt;                                  // current-thread flavour
///     int v = rt.block_on(compute());                    // runs until compute() finishes
///     auto h = rt.spawn_local(background());             // runs while block_on drives rt
///
/// Destroying the runtime cancels every task that is still alive (their frames are destroyed
/// on the destroying thread, which releases their sockets and timers) and waits for the
/// blocking pool's running work.
///
/// Thread safety: `block_on` and `spawn_local` on the thread that drives the runtime; task
/// wakers and `JoinHandle::abort` from anywhere.
class Runtime {
public:
    using Builder = RuntimeBuilder;

    /// A current-thread runtime with default settings.
    Runtime();
    ~Runtime();
    Runtime(Runtime&& other) noexcept;
    Runtime& operator=(Runtime&& other) noexcept;

    /// Runs `task` to completion on this thread, driving the runtime meanwhile; returns its
    /// result or rethrows its exception. Throws std::logic_error when called on a thread that
    /// already runs a runtime (use `co_await` there).
    template <class T>
    T block_on(Task<T> task) {
        detail::TaskContext root;
        task.handle().promise().context = &root;
        run_root(root, task.handle());
        return task.take_result();
    }

    /// Spawns a task on this runtime; it runs whenever the runtime is driven. The task need not
    /// be thread-safe: it only ever runs on the runtime's thread.
    template <class T>
    JoinHandle<T> spawn_local(Task<T> task, const char* name = nullptr,
                              std::source_location loc = std::source_location::current()) {
        return detail::spawn_on(scheduler(), std::move(task), name, loc);
    }

    RuntimeMetrics metrics() const;

private:
    friend class RuntimeBuilder;
    explicit Runtime(detail::RuntimeCore* core) noexcept : core_(core) {}
    void run_root(detail::TaskContext& root, std::coroutine_handle<> start);
    detail::Scheduler& scheduler() const;
    void reset() noexcept;

    detail::RuntimeCore* core_ = nullptr;
};

/// Spawns `task` on the runtime running on this thread (like `tokio::task::spawn_local`).
///
///     auto h = weft::spawn_local(serve(std::move(conn)));
///
/// Throws std::logic_error outside a runtime.
template <class T>
JoinHandle<T> spawn_local(Task<T> task, const char* name = nullptr,
                          std::source_location loc = std::source_location::current()) {
    return detail::spawn_on(detail::current_scheduler("weft::spawn_local"), std::move(task), name, loc);
}

}  // namespace weft
