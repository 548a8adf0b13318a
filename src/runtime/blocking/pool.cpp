#include <algorithm>
#include <weft/runtime/blocking/pool.hpp>

#include "runtime/core.hpp"

namespace weft::detail {

BlockingPool::BlockingPool(Config config) : config_(config) {
    if (config_.max_threads == 0) config_.max_threads = 1;
}

BlockingPool::~BlockingPool() {
    std::unique_lock lock(mutex_);
    shutdown_ = true;
    work_ready_.notify_all();
    all_exited_.wait(lock, [&] { return alive_ == 0; });
    std::vector<std::thread> threads = std::move(threads_);
    lock.unlock();
    for (auto& t : threads) t.join();
}

void BlockingPool::submit(Job work) {
    std::unique_lock lock(mutex_);
    queue_.push_back(std::move(work));
    if (idle_ > queue_.size() - 1) {
        work_ready_.notify_one();
        return;
    }
    if (alive_ < config_.max_threads) {
        join_exited_locked(lock);
        ++alive_;
        ++spawned_total_;
        threads_.emplace_back([this] { worker_loop(); });
    }
}

void BlockingPool::join_exited_locked(std::unique_lock<std::mutex>&) {
    // Threads that retired after their keep-alive: join them so their resources go back.
    for (auto id : exited_) {
        auto it = std::find_if(threads_.begin(), threads_.end(), [&](auto& t) { return t.get_id() == id; });
        if (it != threads_.end()) {
            it->join();  // it has left worker_loop; the join returns at once
            threads_.erase(it);
        }
    }
    exited_.clear();
}

void BlockingPool::worker_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        while (!queue_.empty()) {
            auto work = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            Waker done = work();
            work = nullptr;  // destroy captures off the lock
            if (done) {
                lock.lock();
                ++idle_;  // available before the waiter learns it may submit more
                lock.unlock();
                done.wake_and_reset();
                lock.lock();
                --idle_;
            } else {
                lock.lock();
            }
        }
        if (shutdown_) break;
        ++idle_;
        bool woke =
            work_ready_.wait_for(lock, config_.keep_alive, [&] { return !queue_.empty() || shutdown_; });
        --idle_;
        if (!woke) break;  // idle for the whole keep-alive: retire
    }
    --alive_;
    if (!shutdown_) exited_.push_back(std::this_thread::get_id());
    all_exited_.notify_all();
}

BlockingPool::Stats BlockingPool::stats() const {
    std::lock_guard lock(mutex_);
    return Stats{alive_, idle_, queue_.size(), spawned_total_};
}

BlockingPool& BlockingPool::current() {
    if (auto* core = RuntimeCore::current()) return core->blocking();
    static BlockingPool global(Config{});
    return global;
}

}  // namespace weft::detail
