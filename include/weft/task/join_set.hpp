#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <weft/runtime/join_handle.hpp>
#include <weft/runtime/runtime.hpp>

namespace weft {

namespace detail {
/// Where the tasks of a JoinSet report that they finished (or were cancelled).
struct JoinSetShared {
    std::mutex mutex;
    std::deque<std::uint64_t> finished;
    Waker waiter;
    // Keys below this belong to tasks given up by `detach_all`: their reports are dropped, so
    // a set that detaches and never joins again does not collect them.
    std::uint64_t detached_below = 0;

    void report(std::uint64_t key) {
        Waker w;
        {
            std::lock_guard lock(mutex);
            if (key < detached_below) return;
            finished.push_back(key);
            w = std::move(waiter);
        }
        w.wake_and_reset();
    }
};

/// Reports `key` to the set when destroyed: on completion, on exception and on cancellation.
struct FinishReport {
    std::shared_ptr<JoinSetShared> shared;
    std::uint64_t key;
    FinishReport(std::shared_ptr<JoinSetShared> s, std::uint64_t k) noexcept : shared(std::move(s)), key(k) {}
    FinishReport(FinishReport&& o) noexcept : shared(std::move(o.shared)), key(o.key) {}
    FinishReport(const FinishReport&) = delete;
    ~FinishReport() {
        if (shared) shared->report(key);  // moved-from: nothing to report
    }
};

class JoinSetReady final : public LeafAwaiter {
public:
    explicit JoinSetReady(JoinSetShared& s) noexcept : s_(s) {}
    JoinSetReady(const JoinSetReady&) = delete;
    ~JoinSetReady() {
        if (!registered_) return;
        Waker old;
        std::lock_guard lock(s_.mutex);
        old = std::move(s_.waiter);
    }
    bool await_ready() { return ready(); }
    template <HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) {
        std::lock_guard lock(s_.mutex);
        if (!s_.finished.empty()) return false;
        s_.waiter = h.promise().context->waker();
        registered_ = true;
        suspend_here(h);
        return true;
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override {
        std::lock_guard lock(s_.mutex);
        return !s_.finished.empty();
    }
    const char* describe() const noexcept override { return "JoinSet::join_next"; }

private:
    JoinSetShared& s_;
    bool registered_ = false;
};
}  // namespace detail

/// A set of spawned tasks whose results are collected in completion order.
///
///     weft::JoinSet<int> set;
///     for (auto& url : urls) set.spawn(fetch_size(url));
///     while (auto r = co_await set.join_next()) total += r->value_or(0);
///
/// Destroying the set aborts every task still in it (like Tokio's `JoinSet`); `detach_all`
/// lets them run on instead.
///
/// Thread safety: one task owns a JoinSet (it is not itself thread-safe); its tasks run wherever
/// the runtime puts them. Cancel safety: a destroyed pending `join_next` loses no result; the
/// next call returns it.
template <class T>
class JoinSet {
public:
    using Output = std::expected<T, JoinError>;

    JoinSet() = default;
    JoinSet(JoinSet&&) noexcept = default;
    JoinSet& operator=(JoinSet&&) noexcept = default;
    ~JoinSet() { abort_all(); }

    /// Spawns `task` on the current runtime (`weft::spawn`) and adds it to the set.
    void spawn(Task<T> task, const char* name = nullptr,
               std::source_location loc = std::source_location::current()) {
        std::uint64_t key = next_key_++;
        handles_.emplace(
            key, weft::spawn(tracked(std::move(task), detail::FinishReport(shared_, key)), name, loc));
    }

    /// Waits for the next task to finish and returns its output; nullopt when the set is empty.
    Task<std::optional<Output>> join_next() {
        if (handles_.empty()) co_return std::nullopt;
        typename std::map<std::uint64_t, JoinHandle<T>>::iterator it;
        std::uint64_t key;
        for (;;) {
            co_await detail::JoinSetReady(*shared_);
            {
                std::lock_guard lock(shared_->mutex);
                key = shared_->finished.front();
                shared_->finished.pop_front();
            }
            it = handles_.find(key);
            if (it != handles_.end()) break;
            // A task given up by `detach_all` still reports when it ends: not ours any more.
        }
        // The await below can suspend: a task reports just before it is marked complete (on
        // another worker it may not be yet), and a spent coop budget yields. A join_next
        // destroyed there puts the task back, so the next call returns it.
        Taking taking{*this, shared_, key, std::move(it->second)};
        handles_.erase(it);
        Output out = co_await taking.handle;
        taking.handle.detach();  // joined
        co_return std::move(out);
    }

    /// Asks every task to stop; their outputs (cancelled) still come out of `join_next`.
    void abort_all() noexcept {
        for (auto& [key, h] : handles_) h.abort();
    }
    /// Aborts every task and waits until all have finished.
    Task<> shutdown() {
        abort_all();
        // Not `while (co_await join_next())`: GCC 12 miscompiles a co_await used directly as
        // a loop condition (the loop never saw the set drain and the task hung).
        for (;;) {
            auto next = join_next();
            auto joined = co_await std::move(next);
            if (!joined) break;
        }
    }
    /// Forgets every task, leaving them running.
    void detach_all() noexcept {
        handles_.clear();
        if (!shared_) return;  // moved from
        std::lock_guard lock(shared_->mutex);
        shared_->detached_below = next_key_;  // every key handed out so far
        shared_->finished.clear();
    }

    std::size_t size() const noexcept { return handles_.size(); }
    /// Finished tasks whose output `join_next` has not taken yet.
    std::size_t finished_count() const noexcept {
        if (!shared_) return 0;
        std::lock_guard lock(shared_->mutex);
        return shared_->finished.size();
    }
    bool empty() const noexcept { return handles_.empty(); }

private:
    /// A finished task taken out of the set by `join_next` while it awaits the output.
    struct Taking {
        JoinSet& set;
        std::shared_ptr<detail::JoinSetShared> shared;  ///< the set's, to tell a moved set
        std::uint64_t key;
        JoinHandle<T> handle;  ///< detached once joined
        ~Taking() {
            if (!handle.valid() || set.shared_ != shared) return;  // joined, or the set moved
            {
                std::lock_guard lock(shared->mutex);
                if (key < shared->detached_below) return;  // given up meanwhile: stays so
                shared->finished.push_front(key);
            }
            try {
                set.handles_.emplace(key, std::move(handle));
            } catch (...) {  // out of memory: the task is detached, and its report skipped
            }
        }
    };

    // The report lives in the wrapper's frame: it fires when the frame goes, however it ends.
    static Task<T> tracked(Task<T> task, detail::FinishReport report) {
        (void)report;
        co_return co_await std::move(task);
    }

    std::shared_ptr<detail::JoinSetShared> shared_ = std::make_shared<detail::JoinSetShared>();
    std::map<std::uint64_t, JoinHandle<T>> handles_;
    std::uint64_t next_key_ = 0;
};

}  // namespace weft
