#pragma once

#include <optional>
#include <stdexcept>
#include <utility>
#include <weft/detail/into_task.hpp>
#include <weft/error.hpp>
#include <weft/task.hpp>
#include <weft/time/sleep.hpp>

namespace weft::time {

namespace detail {
template <class T>
struct TimeoutOutput {
    using type = Result<T>;
    static type wrap(Task<T>& t) {
        if constexpr (std::is_void_v<T>) {
            t.take_result();
            return {};
        } else {
            return t.take_result();
        }
    }
};
// A task that already returns Result<U> is not wrapped twice: the timeout is one more error.
template <class U>
struct TimeoutOutput<Result<U>> {
    using type = Result<U>;
    static type wrap(Task<Result<U>>& t) { return t.take_result(); }
};
}  // namespace detail

/// Awaits a task with a deadline. Produced by `timeout` and `timeout_at`.
///
/// The task runs inside the awaiting task (no spawn). If the deadline passes first, the task's
/// frame is destroyed, releasing every registration it held, before the `co_await` returns
/// `weft::Errc::timed_out` (test it with `weft::is_timeout`).
///
/// Cancel safety: as the inner task's; destroying a pending timeout destroys both the inner
/// task and the timer. A named one given up by a `select` may be awaited again; once it has
/// returned, awaiting it again throws `std::logic_error`.
template <class T>
class [[nodiscard]] Timeout final : public weft::detail::PendingLeaf {
public:
    using Output = typename detail::TimeoutOutput<T>::type;

    Timeout(Instant deadline, Task<T> task) : task_(std::move(task)), deadline_(deadline) {}
    Timeout(Timeout&&) = default;

    /// Spent (it returned once): straight to `await_resume`, which says so.
    bool await_ready() const noexcept { return spent_; }

    template <weft::detail::HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) {
        weft::detail::TaskContext& parent = *h.promise().context;
        child_.wakeable = parent.wakeable;
        task_.handle().promise().context = &child_;
        child_.poll(task_.handle());
        if (task_.done()) return false;
        sleep_.emplace(deadline_);
        if (sleep_->await_ready() || !sleep_->await_suspend(h)) return false;  // past the deadline
        // Sleep recorded itself as pending; the timeout is what the parent waits on.
        continuation = h;
        parent.pending = this;
        return true;
    }

    Output await_resume() {
        // Single use: its task's output (or the task itself, on a timeout) is gone.
        if (std::exchange(spent_, true))
            throw std::logic_error("weft::time::timeout awaited again after it completed");
        if (task_.done()) return detail::TimeoutOutput<T>::wrap(task_);
        task_ = Task<T>{};  // cancel: destroy the frame before returning
        sleep_.reset();
        return std::unexpected(make_error_code(Errc::timed_out));
    }

    bool ready() noexcept override {
        // Asked again after it reported ready (an enclosing combinator checks, then polls):
        // the task is done, whatever the timer says.
        if (task_.done()) return true;
        if (child_.pending && child_.pending->ready()) {
            child_.poll(task_.handle());
            if (task_.done()) return true;
        }
        return sleep_->ready();
    }
    const char* describe() const noexcept override { return "timeout"; }
    void describe_detail(std::string& out) const override {
        if (sleep_) sleep_->describe_detail(out);
        if (const weft::detail::PendingLeaf* leaf = child_.waiting_on()) {
            out += " on ";
            out += leaf->describe();
            leaf->describe_detail(out);
        }
    }

private:
    Task<T> task_;
    Instant deadline_;
    weft::detail::TaskContext child_;
    std::optional<Sleep> sleep_;
    bool spent_ = false;
};

/// Runs `task` with a time limit of `d`.
///
///     weft::Result<std::string> body = co_await weft::time::timeout(5s, fetch(url));
///     if (!body && weft::is_timeout(body.error())) std::println("too slow");
///
/// A task returning `Result<U>` yields `Result<U>`; any other `T` yields `Result<T>`. Besides
/// tasks it takes any awaitable (a channel receive, `TaskTracker::wait()`, ...).
template <class A>
auto timeout(Duration d, A&& task) {
    return Timeout<weft::detail::TaskValue<A>>(now() + d, weft::detail::into_task(std::forward<A>(task)));
}

/// Runs `task` until `deadline`.
template <class A>
auto timeout_at(Instant deadline, A&& task) {
    return Timeout<weft::detail::TaskValue<A>>(deadline, weft::detail::into_task(std::forward<A>(task)));
}

}  // namespace weft::time
