#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <source_location>
#include <string>
#include <weft/runtime/join_handle.hpp>
#include <weft/runtime/metrics.hpp>
#include <weft/task.hpp>

namespace weft {

namespace detail {
class RuntimeCore;
/// The scheduler of the runtime running on this thread; throws std::logic_error without one,
/// and, when `local` is set, on a multi-thread runtime (whose tasks move between threads).
Scheduler& current_scheduler(const char* operation, bool local);

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
/// `current_thread()` runs every task on the thread that calls `block_on`; `multi_thread()`
/// runs them on a pool of worker threads that steal work from each other.
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
    RuntimeBuilder&& thread_keep_alive(std::chrono::milliseconds d) && {
        return std::move(thread_keep_alive(d));
    }

    /// Worker threads of a multi-thread runtime (default: one per CPU).
    RuntimeBuilder& worker_threads(std::size_t n) & {
        worker_threads_ = n;
        return *this;
    }
    RuntimeBuilder&& worker_threads(std::size_t n) && { return std::move(worker_threads(n)); }
    /// A poll that holds a worker longer than this is reported (default 100 ms; 0 disables).
    /// Multi-thread runtime only: a current-thread runtime has no second thread to notice.
    RuntimeBuilder& blocked_worker_threshold(std::chrono::milliseconds d) & {
        blocked_threshold_ = d;
        return *this;
    }
    RuntimeBuilder&& blocked_worker_threshold(std::chrono::milliseconds d) && {
        return std::move(blocked_worker_threshold(d));
    }
    /// Receives blocked-worker reports instead of the default line on stderr.
    RuntimeBuilder& on_blocked_worker(std::function<void(const BlockedWorkerReport&)> f) & {
        on_blocked_ = std::move(f);
        return *this;
    }
    RuntimeBuilder&& on_blocked_worker(std::function<void(const BlockedWorkerReport&)> f) && {
        return std::move(on_blocked_worker(std::move(f)));
    }
    /// Records every poll's duration in `RuntimeMetrics::poll_time_histogram` (two clock reads
    /// per poll, so off by default).
    RuntimeBuilder& enable_poll_time_histogram(bool on = true) & {
        poll_time_histogram_ = on;
        return *this;
    }
    RuntimeBuilder&& enable_poll_time_histogram(bool on = true) && {
        return std::move(enable_poll_time_histogram(on));
    }

    /// Creates the runtime. Throws std::system_error when the OS refuses a resource (epoll,
    /// eventfd, threads) and std::logic_error for an invalid combination (paused time on the
    /// multi-thread flavour: pausing needs one thread that decides when time moves).
    Runtime build() const;

private:
    friend class Runtime;
    explicit RuntimeBuilder(Flavor f) : flavor_(f) {}
    Flavor flavor_;
    bool start_paused_ = false;
    std::size_t max_blocking_threads_ = 512;
    std::chrono::milliseconds keep_alive_ = std::chrono::seconds(10);
    std::size_t worker_threads_ = 0;
    std::chrono::milliseconds blocked_threshold_{100};
    std::function<void(const BlockedWorkerReport&)> on_blocked_;
    bool poll_time_histogram_ = false;
};

/// A cheap, copyable reference to a runtime, for spawning onto it from any thread.
///
///     weft::Handle h = rt.handle();
///     std::thread([h] { h.spawn(work()).detach(); }).join();
///
/// Keeps the runtime's scheduler alive; spawning after the runtime shut down cancels the task at
/// once (awaiting its handle yields `JoinError::Kind::cancelled`).
class Handle {
public:
    Handle() noexcept = default;
    Handle(const Handle& o) noexcept;
    Handle& operator=(Handle o) noexcept {
        std::swap(core_, o.core_);
        return *this;
    }
    ~Handle();

    /// Spawns `task`, which may run on any worker thread (it must be safe to move between
    /// threads: no thread-local state held across a co_await, shared data synchronised).
    template <class T>
    JoinHandle<T> spawn(Task<T> task, const char* name = nullptr,
                        std::source_location loc = std::source_location::current()) const {
        return detail::spawn_on(scheduler(), std::move(task), name, loc);
    }

private:
    friend class Runtime;
    explicit Handle(detail::RuntimeCore* core) noexcept;
    detail::Scheduler& scheduler() const;
    detail::RuntimeCore* core_ = nullptr;
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

    /// Spawns a task on this current-thread runtime; it runs whenever the runtime is driven. The
    /// task need not be thread-safe: it only ever runs on the runtime's thread. Throws
    /// std::logic_error on a multi-thread runtime (use `spawn`).
    template <class T>
    JoinHandle<T> spawn_local(Task<T> task, const char* name = nullptr,
                              std::source_location loc = std::source_location::current()) {
        return detail::spawn_on(local_scheduler(), std::move(task), name, loc);
    }

    /// Spawns a task; on a multi-thread runtime it may run on any worker (see `Handle::spawn`).
    template <class T>
    JoinHandle<T> spawn(Task<T> task, const char* name = nullptr,
                        std::source_location loc = std::source_location::current()) {
        return detail::spawn_on(scheduler(), std::move(task), name, loc);
    }

    Handle handle() const;
    /// A snapshot of the counters (see RuntimeMetrics). Safe from any thread while the runtime
    /// runs.
    RuntimeMetrics metrics() const;
    /// One line per live task: id, name or spawn location, state (scheduled, running, idle),
    /// and what it is suspended on (fd readable, a sleep and its deadline, a join, ...).
    ///
    ///     std::fputs(rt.dump().c_str(), stderr);   // "why does it hang?"
    ///
    /// Safe from any thread while the runtime runs.
    std::string dump() const;

private:
    friend class RuntimeBuilder;
    explicit Runtime(detail::RuntimeCore* core) noexcept : core_(core) {}
    void run_root(detail::TaskContext& root, std::coroutine_handle<> start);
    detail::Scheduler& scheduler() const;
    detail::Scheduler& local_scheduler() const;
    void reset() noexcept;

    detail::RuntimeCore* core_ = nullptr;
};

/// Spawns `task` on the runtime running on this thread (like `tokio::task::spawn_local`).
///
///     auto h = weft::spawn_local(serve(std::move(conn)));
///
/// Throws std::logic_error outside a runtime, and on a multi-thread runtime (use `spawn`).
template <class T>
JoinHandle<T> spawn_local(Task<T> task, const char* name = nullptr,
                          std::source_location loc = std::source_location::current()) {
    return detail::spawn_on(detail::current_scheduler("weft::spawn_local", true), std::move(task), name, loc);
}

/// Spawns `task` on the runtime running on this thread (like `tokio::spawn`). On a multi-thread
/// runtime the task may run on, and move between, any of its workers.
///
///     auto h = weft::spawn(handle_connection(std::move(conn)), "conn");
///
/// Throws std::logic_error outside a runtime.
template <class T>
JoinHandle<T> spawn(Task<T> task, const char* name = nullptr,
                    std::source_location loc = std::source_location::current()) {
    return detail::spawn_on(detail::current_scheduler("weft::spawn", false), std::move(task), name, loc);
}

}  // namespace weft
