#pragma once

#include <atomic>
#include <coroutine>
#include <utility>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/waiter_list.hpp>

namespace weft::sync {

namespace detail {
struct CancelNode;
/// A task awaiting `cancelled()`. Lives in the awaiter; `linked` is guarded by the tree's lock.
struct CancelWaiter : ListNode {
    Waker waker;
    bool linked = false;
};
}  // namespace detail

/// A signal for cooperative cancellation, organised as a tree: cancelling a token cancels its
/// children (made by `child_token()`), never its parent.
///
///     weft::sync::CancellationToken shutdown;
///     weft::spawn(serve(listener, shutdown.child_token()));
///     ...
///     shutdown.cancel();                       // every server task sees it
///
///     // in serve():
///     co_await token.cancelled();              // or poll token.is_cancelled() in a loop
///
/// Copies share one state: cancelling any copy cancels them all. A token dropped while it has
/// children hands them to its own parent, so cancelling an ancestor still reaches them.
/// Cancellation is permanent.
///
/// Thread safety: every member may be called from any thread of any runtime; copies may be
/// used concurrently.
/// Cancel safety: destroying a pending `cancelled()` only unregisters it.
class CancellationToken {
public:
    /// A new, uncancelled root token.
    CancellationToken();
    CancellationToken(const CancellationToken& o) noexcept;
    CancellationToken(CancellationToken&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
    CancellationToken& operator=(const CancellationToken& o) noexcept;
    CancellationToken& operator=(CancellationToken&& o) noexcept;
    ~CancellationToken();

    /// A token cancelled when this one is (or on its own `cancel()`). Starts cancelled if
    /// this one already is.
    CancellationToken child_token() const;

    /// Cancels this token and all its descendants, waking every task awaiting `cancelled()`
    /// on them. Idempotent.
    void cancel() const noexcept;
    bool is_cancelled() const noexcept;

    /// Completes once the token is cancelled (at once if it already is).
    class Cancelled;
    Cancelled cancelled() const noexcept;

    /// Cancels the token when destroyed, unless disarmed: ties a group of tasks to a scope.
    class DropGuard;
    DropGuard drop_guard() const noexcept;

private:
    explicit CancellationToken(detail::CancelNode* node) noexcept : node_(node) {}
    bool register_waiter(detail::CancelWaiter& w, Waker waker) const noexcept;
    void unregister(detail::CancelWaiter& w) const noexcept;

    detail::CancelNode* node_;
};

/// Completes once the token is cancelled (at once if it already is). From `cancelled()`.
class [[nodiscard]] CancellationToken::Cancelled final : public weft::detail::LeafAwaiter,
                                                         detail::CancelWaiter {
public:
    explicit Cancelled(const CancellationToken& t) noexcept : token_(t) {}
    Cancelled(const Cancelled&) = delete;
    ~Cancelled() {
        if (registered_) token_.unregister(*this);
    }
    bool await_ready() const noexcept { return token_.is_cancelled(); }
    template <weft::detail::HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) {
        weft::detail::TaskContext& ctx = suspend_here(h);
        registered_ = token_.register_waiter(*this, ctx.waker());
        if (registered_) return true;
        ctx.pending = nullptr;  // cancelled meanwhile: not suspended after all
        return false;
    }
    void await_resume() const noexcept {}
    bool ready() noexcept override { return token_.is_cancelled(); }
    const char* describe() const noexcept override { return "cancellation token"; }

private:
    CancellationToken token_;  // keeps the node alive while awaited
    bool registered_ = false;
};

/// Cancels its token when destroyed, unless disarmed. From `drop_guard()`.
///
///     auto guard = token.drop_guard();   // leaving the scope (even by exception) cancels
class [[nodiscard]] CancellationToken::DropGuard {
public:
    explicit DropGuard(CancellationToken t) noexcept : token_(std::move(t)), armed_(true) {}
    DropGuard(DropGuard&& o) noexcept : token_(std::move(o.token_)), armed_(std::exchange(o.armed_, false)) {}
    DropGuard& operator=(DropGuard&&) = delete;
    ~DropGuard() {
        if (armed_) token_.cancel();
    }
    /// Gives the token back without cancelling it.
    CancellationToken disarm() noexcept {
        armed_ = false;
        return std::move(token_);
    }

private:
    CancellationToken token_;
    bool armed_;
};

inline CancellationToken::Cancelled CancellationToken::cancelled() const noexcept { return Cancelled(*this); }
inline CancellationToken::DropGuard CancellationToken::drop_guard() const noexcept {
    return DropGuard(*this);
}

}  // namespace weft::sync
