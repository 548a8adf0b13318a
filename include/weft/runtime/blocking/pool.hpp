#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>
#include <weft/runtime/waker.hpp>

namespace weft::detail {

/// Threads for blocking work: created on demand up to a cap, reused, retired when idle.
///
/// Work submitted while every thread is busy and the cap is reached waits in a FIFO queue.
/// Destroying the pool waits for queued and running work, then joins every thread.
class BlockingPool {
public:
    struct Config {
        std::size_t max_threads = 512;                                    // Tokio's default cap
        std::chrono::milliseconds keep_alive = std::chrono::seconds(10);  // Tokio's default
    };
    struct Stats {
        std::size_t threads = 0;        ///< alive now
        std::size_t idle = 0;           ///< alive and waiting for work
        std::size_t queued = 0;         ///< waiting for a thread
        std::size_t spawned_total = 0;  ///< threads ever started
    };

    explicit BlockingPool(Config config);
    ~BlockingPool();
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    /// A job returns the waker to notify of its completion (or an empty one). The pool wakes it
    /// only after the thread counts as available again, so a caller that submits its next job
    /// as soon as it is woken reuses this thread instead of starting another.
    using Job = std::move_only_function<Waker()>;

    void submit(Job work);
    Stats stats() const;

    /// The pool of the runtime running on this thread, or the process-wide one outside runtimes.
    static BlockingPool& current();

private:
    void worker_loop();
    void join_exited_locked(std::unique_lock<std::mutex>& lock);

    Config config_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable all_exited_;
    std::deque<Job> queue_;
    std::vector<std::thread> threads_;
    std::vector<std::thread::id> exited_;
    std::size_t alive_ = 0;
    std::size_t idle_ = 0;
    std::size_t spawned_total_ = 0;
    bool shutdown_ = false;
};

}  // namespace weft::detail
