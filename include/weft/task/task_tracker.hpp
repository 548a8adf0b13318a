#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <source_location>
#include <vector>
#include <weft/runtime/runtime.hpp>
#include <weft/sync/detail/waiter_list.hpp>

namespace weft {

namespace detail {
/// A `wait()` suspended on a tracker. Lives in the awaiter; `linked` under the state's mutex.
struct TrackerWaiter : sync::detail::ListNode {
    Waker waker;
    bool linked = false;
};

struct TaskTrackerState {
    std::mutex mutex;
    std::size_t live = 0;
    bool closed = false;
    sync::detail::IntrusiveList<TrackerWaiter> waiters;

    bool idle_locked() const noexcept { return closed && live == 0; }
    /// Unlinks every waiter and hands its waker to `out`, to be woken after the lock.
    void wake_if_idle_locked(std::vector<Waker>& out) {
        if (!idle_locked()) return;
        while (TrackerWaiter* w = waiters.pop_front()) {
            w->linked = false;
            out.push_back(std::move(w->waker));
        }
    }
};
}  // namespace detail

/// Counts tasks so that a shutdown can wait for all of them, without collecting their results.
///
///     weft::TaskTracker tracker;
///     tracker.spawn(handle(conn));                 // for every connection
///     tracker.close();                             // no more after this
///     auto r = co_await weft::time::timeout(10s, tracker.wait());
///     if (!r) log("{} tasks still running after 10 s", tracker.len());
///
/// A task counts from `track`/`spawn` until its frame is gone: finished, failed or cancelled.
/// `wait()` completes once the tracker is closed and no task is left.
///
/// Thread safety: all members may be used from any thread. Cancel safety: a destroyed pending
/// `wait()` only unregisters (a `timeout(1s, tracker.wait())` in a loop holds nothing).
class TaskTracker {
public:
    TaskTracker() = default;

    /// Wraps `task` so that it counts while it exists.
    template <class T>
    Task<T> track(Task<T> task) {
        Token token(state_);
        return tracked(std::move(task), std::move(token));
    }
    /// `weft::spawn(track(task))`.
    template <class T>
    JoinHandle<T> spawn(Task<T> task, const char* name = nullptr,
                        std::source_location loc = std::source_location::current()) {
        return weft::spawn(track(std::move(task)), name, loc);
    }

    /// No more tasks are expected: `wait()` may complete.
    void close() { set_closed(true); }
    void reopen() { set_closed(false); }
    bool is_closed() const {
        std::lock_guard lock(state_->mutex);
        return state_->closed;
    }
    std::size_t len() const {
        std::lock_guard lock(state_->mutex);
        return state_->live;
    }

    class WaitAwaiter;
    /// Completes when the tracker is closed and every tracked task is gone.
    WaitAwaiter wait() const;

private:
    class Token {
    public:
        explicit Token(const std::shared_ptr<detail::TaskTrackerState>& s) : s_(s) {
            std::lock_guard lock(s_->mutex);
            ++s_->live;
        }
        Token(Token&& o) noexcept : s_(std::move(o.s_)) {}
        Token(const Token&) = delete;
        ~Token() {
            if (!s_) return;
            std::vector<Waker> wake;
            {
                std::lock_guard lock(s_->mutex);
                --s_->live;
                s_->wake_if_idle_locked(wake);
            }
            for (auto& w : wake) w.wake_and_reset();
        }

    private:
        std::shared_ptr<detail::TaskTrackerState> s_;
    };

    template <class T>
    static Task<T> tracked(Task<T> task, Token token) {
        (void)token;  // lives in the frame: released when the frame goes, however it ends
        co_return co_await std::move(task);
    }
    void set_closed(bool closed) {
        std::vector<Waker> wake;
        {
            std::lock_guard lock(state_->mutex);
            state_->closed = closed;
            state_->wake_if_idle_locked(wake);
        }
        for (auto& w : wake) w.wake_and_reset();
    }

    std::shared_ptr<detail::TaskTrackerState> state_ = std::make_shared<detail::TaskTrackerState>();
};

class TaskTracker::WaitAwaiter final : public detail::LeafAwaiter, detail::TrackerWaiter {
public:
    explicit WaitAwaiter(std::shared_ptr<detail::TaskTrackerState> s) : s_(std::move(s)) {}
    /// Only before it is awaited (an adaptor such as `timeout` may take it by value).
    WaitAwaiter(WaitAwaiter&& o) noexcept : s_(std::move(o.s_)) { assert(!o.context_); }
    WaitAwaiter& operator=(WaitAwaiter&&) = delete;
    ~WaitAwaiter() {
        if (!context_) return;
        Waker dropped;  // released after the lock
        std::lock_guard lock(s_->mutex);
        if (linked) s_->waiters.remove(this);
        linked = false;
        dropped = std::move(waker);
    }
    bool await_ready() {
        std::lock_guard lock(s_->mutex);
        return s_->idle_locked();
    }
    template <detail::HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) {
        std::lock_guard lock(s_->mutex);
        if (s_->idle_locked()) return false;
        context_ = h.promise().context;
        link_locked();
        suspend_here(h);
        return true;
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override {
        std::lock_guard lock(s_->mutex);
        if (s_->idle_locked()) return true;
        // Woken as the tracker went idle, then not idle again before this poll (a task tracked
        // after close, a reopen): the waker went with that wake, so register again.
        if (!linked) link_locked();
        return false;
    }
    const char* describe() const noexcept override { return "TaskTracker::wait"; }

private:
    /// Still linked when a named awaiter is awaited again after an abandoned await (a `select`
    /// it lost): then only its waker changes.
    void link_locked() {
        waker = context_->waker();
        if (linked) return;
        linked = true;
        s_->waiters.push_back(this);
    }
    std::shared_ptr<detail::TaskTrackerState> s_;
    detail::TaskContext* context_ = nullptr;  ///< set once suspended (then it stays put)
};

inline TaskTracker::WaitAwaiter TaskTracker::wait() const { return WaitAwaiter(state_); }

}  // namespace weft
