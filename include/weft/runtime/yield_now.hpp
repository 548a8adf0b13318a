#pragma once

#include <weft/runtime/context.hpp>

namespace weft {

/// Gives other tasks a turn: the current task goes to the back of its runtime's run queue.
///
///     for (auto& row : rows) {
///         process(row);
///         co_await weft::yield_now();   // a long loop stays fair, and cancellable
///     }
///
/// Cancel safety: nothing to lose; a task destroyed while yielded simply never resumes.
class YieldNow final : public detail::LeafAwaiter {
public:
    bool await_ready() const noexcept { return false; }
    template <detail::HasTaskContext P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        detail::TaskContext& ctx = suspend_here(h);
        ctx.wakeable->wake_by_ref();  // the task is running: it is requeued when this poll ends
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override { return true; }
    const char* describe() const noexcept override { return "yield_now"; }
};

inline YieldNow yield_now() noexcept { return {}; }

namespace detail {
/// Spends one unit of the coop budget, and yields once it is spent. Operations that may
/// complete without ever waiting (a read from a socket with data queued) start with it.
class CoopPoint final : public LeafAwaiter {
public:
    bool await_ready() const noexcept { return coop::poll_proceed(); }
    template <HasTaskContext P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        yield_here(h);
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override { return true; }
    const char* describe() const noexcept override { return "coop yield"; }
};
inline CoopPoint coop_point() noexcept { return {}; }
}  // namespace detail

}  // namespace weft
