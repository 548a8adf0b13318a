#pragma once

#include <csignal>
#include <cstdint>
#include <weft/runtime/context.hpp>
#include <weft/task.hpp>

namespace weft::signal {

namespace detail {
/// How many times `signo` has been delivered since weft started listening for it. Installs the
/// handler on first use. Throws std::system_error if the handler cannot be installed.
std::uint64_t listen(int signo);
std::uint64_t delivered(int signo) noexcept;
/// Stores `waker` to be woken at the next delivery of `signo` after `seen`; false (nothing
/// stored) when that delivery already happened.
bool register_waiter(int signo, std::uint64_t seen, const Waker& waker);
void unregister_waiter(int signo, const Waker& waker) noexcept;
}  // namespace detail

/// Receives deliveries of one Unix signal, from the moment it was created.
///
///     weft::signal::Signal term(SIGTERM);
///     for (;;) {
///         co_await term.recv();
///         reload_config();
///     }
///
/// Any number of `Signal`s (in any runtimes, on any threads) may listen for the same signal;
/// each sees every delivery. Deliveries that arrive while nobody awaits are not lost: the next
/// `recv()` completes at once (several deliveries in between count as one, as in Tokio).
/// weft installs a handler for the signal on first use and keeps it for the process' life, so
/// the default action (terminating on SIGINT) no longer happens once a listener exists.
///
/// Thread safety: a `Signal` is used by one task; distinct `Signal`s are independent.
/// Cancel safety: a destroyed pending `recv()` loses nothing; the delivery stays unseen.
class Signal {
public:
    explicit Signal(int signo) : signo_(signo), seen_(detail::listen(signo)) {}

    class RecvAwaiter final : public weft::detail::LeafAwaiter {
    public:
        explicit RecvAwaiter(Signal& s) noexcept : s_(s) {}
        RecvAwaiter(RecvAwaiter&& o) noexcept : s_(o.s_) {}  // only before it is awaited
        ~RecvAwaiter() {
            if (waker_) detail::unregister_waiter(s_.signo_, waker_);
        }
        bool await_ready() const noexcept { return detail::delivered(s_.signo_) > s_.seen_; }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            waker_ = h.promise().context->waker();
            if (!detail::register_waiter(s_.signo_, s_.seen_, waker_)) {
                waker_.reset();
                return false;
            }
            suspend_here(h);
            return true;
        }
        void await_resume() noexcept { s_.seen_ = detail::delivered(s_.signo_); }
        bool ready() noexcept override { return await_ready(); }
        const char* describe() const noexcept override { return "signal"; }

    private:
        Signal& s_;
        Waker waker_;
    };

    /// Completes at the next delivery (or at once if one arrived since the last `recv`).
    RecvAwaiter recv() noexcept { return RecvAwaiter(*this); }
    int number() const noexcept { return signo_; }

private:
    int signo_;
    std::uint64_t seen_;
};

/// Completes at the next SIGINT (Ctrl-C) delivered after the call.
///
///     co_await weft::signal::ctrl_c();
///     std::puts("shutting down");
Task<> ctrl_c();

/// Completes at the next delivery of `signo` after the call.
Task<> recv(int signo);

}  // namespace weft::signal
