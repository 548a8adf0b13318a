#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <expected>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <weft/error.hpp>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/context.hpp>
#include <weft/sync/error.hpp>
#include <weft/task.hpp>

namespace weft::sync {

namespace detail {

// The state both ends share: one allocation per channel, freed by whichever end goes last.
//
// `flags` is written under `mutex` and read without it: once COMPLETE is set the sender
// touches nothing else, so the receiver may read the value after an acquire load of COMPLETE.
template <class T>
struct OneshotState {
    static constexpr std::uint8_t COMPLETE = 1;   ///< the sender sent, failed to, or was dropped
    static constexpr std::uint8_t VALUE = 2;      ///< a value is stored and not yet taken
    static constexpr std::uint8_t RX_CLOSED = 4;  ///< the receiver closed or was dropped

    std::mutex mutex;
    std::atomic<std::uint8_t> flags{0};
    std::optional<T> value;
    Waker rx_waker;  ///< the task awaiting the receiver
    Waker tx_waker;  ///< the task awaiting `closed()` on the sender
    std::atomic<std::uint32_t> refs{2};

    std::uint8_t load() const noexcept { return flags.load(std::memory_order_acquire); }
    void release() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    /// Takes the value once COMPLETE (or RX_CLOSED) has been seen. Receiver side only.
    Result<T> take() {
        if (!(load() & VALUE)) return std::unexpected(make_error_code(Errc::closed));
        flags.fetch_and(static_cast<std::uint8_t>(~VALUE), std::memory_order_relaxed);
        Result<T> out(std::move(*value));
        value.reset();
        return out;
    }
};

}  // namespace detail

template <class T>
class OneshotReceiver;

/// The sending half of a `oneshot` channel: sends at most one value.
///
///     auto [tx, rx] = weft::sync::oneshot<int>();
///     if (auto r = tx.send(42); !r) std::println("receiver gone, got {} back", r.error());
///
/// `send` consumes the sender: afterwards it is empty, and a second `send` throws
/// std::logic_error. Dropping the sender without sending makes the receiver see
/// `weft::Errc::closed`.
///
/// Thread safety: the sender may be moved to and used on any thread; it is one owner (not
/// copyable), so don't call it from two threads at once.
/// Cancel safety: `closed()` may be destroyed while pending; it only unregisters. A named one
/// may be awaited again (after a `select` it lost), also after `send`.
template <class T>
class OneshotSender {
public:
    OneshotSender() noexcept = default;
    OneshotSender(OneshotSender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    OneshotSender& operator=(OneshotSender&& o) noexcept {
        if (this != &o) {
            finish();
            s_ = std::exchange(o.s_, nullptr);
        }
        return *this;
    }
    ~OneshotSender() { finish(); }

    /// Sends `value`, or gives it back when the receiver was dropped or closed. Never waits.
    std::expected<void, T> send(T value) {
        if (!s_) throw std::logic_error("weft::sync::OneshotSender::send: this sender was already used");
        Waker rx;
        bool sent = false;
        {
            std::lock_guard lock(s_->mutex);
            if (!(s_->load() & State::RX_CLOSED)) {
                s_->value.emplace(std::move(value));
                sent = true;
            }
            s_->flags.fetch_or(sent ? State::COMPLETE | State::VALUE : State::COMPLETE,
                               std::memory_order_release);
            rx = std::move(s_->rx_waker);
        }
        rx.wake_and_reset();
        std::exchange(s_, nullptr)->release();
        if (!sent) return std::unexpected(std::move(value));
        return {};
    }

    /// True once the receiver was dropped or closed: a send would fail.
    bool is_closed() const noexcept { return !s_ || (s_->load() & State::RX_CLOSED); }

    /// Waits until the receiver is dropped or closed (to stop computing an unwanted value).
    auto closed() noexcept {
        assert(s_ && "closed() on an empty OneshotSender");
        return ClosedAwaiter{s_};
    }

    /// False for a moved-from or used sender.
    bool valid() const noexcept { return s_ != nullptr; }

private:
    using State = detail::OneshotState<T>;
    template <class U>
    friend std::pair<OneshotSender<U>, OneshotReceiver<U>> oneshot();
    explicit OneshotSender(State* s) noexcept : s_(s) {}

    class ClosedAwaiter final : public weft::detail::LeafAwaiter {
    public:
        // It holds a reference of its own: a named `closed()` (still registered after a
        // `select` it lost) may outlive the `send` that gives up the sender's reference, and the
        // receiver then frees the channel.
        explicit ClosedAwaiter(State* s) noexcept : s_(s) {
            s_->refs.fetch_add(1, std::memory_order_relaxed);
        }
        ClosedAwaiter(const ClosedAwaiter&) = delete;
        ~ClosedAwaiter() {
            if (registered_) {
                Waker old;
                std::lock_guard lock(s_->mutex);
                old = std::move(s_->tx_waker);
            }
            s_->release();
        }
        bool await_ready() const noexcept { return s_->load() & State::RX_CLOSED; }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(s_->mutex);
            if (s_->load() & State::RX_CLOSED) return false;
            s_->tx_waker = h.promise().context->waker();
            registered_ = true;
            suspend_here(h);
            return true;
        }
        void await_resume() noexcept {}
        bool ready() noexcept override { return s_->load() & State::RX_CLOSED; }
        const char* describe() const noexcept override { return "oneshot sender closed"; }

    private:
        State* s_;
        bool registered_ = false;
    };

    void finish() noexcept {
        State* s = std::exchange(s_, nullptr);
        if (!s) return;
        Waker rx;
        {
            std::lock_guard lock(s->mutex);
            s->flags.fetch_or(State::COMPLETE, std::memory_order_release);
            rx = std::move(s->rx_waker);
        }
        rx.wake_and_reset();
        s->release();
    }

    State* s_ = nullptr;
};

/// The receiving half of a `oneshot` channel: `co_await rx` yields the value, or
/// `weft::Errc::closed` when the sender was dropped without sending (or after `close()`).
///
///     auto [tx, rx] = weft::sync::oneshot<std::string>();
///     weft::spawn_local(produce(std::move(tx)));
///     weft::Result<std::string> v = co_await rx;
///
/// The value is taken by the first `co_await` (or `try_recv`) that sees it; later ones yield
/// `Errc::closed`.
///
/// Thread safety: the receiver may be moved to and awaited on any thread; it is one owner, so
/// don't await or `try_recv` it from two tasks at once. The sender may be on any thread.
/// Cancel safety: destroying a pending `co_await rx` loses nothing: a value sent meanwhile
/// stays in the channel, and the receiver can be awaited again (or `try_recv`'d). Dropping the
/// receiver destroys a value sent but not received.
template <class T>
class OneshotReceiver {
    using State = detail::OneshotState<T>;

public:
    OneshotReceiver() noexcept = default;
    OneshotReceiver(OneshotReceiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    OneshotReceiver& operator=(OneshotReceiver&& o) noexcept {
        if (this != &o) {
            drop();
            s_ = std::exchange(o.s_, nullptr);
        }
        return *this;
    }
    ~OneshotReceiver() { drop(); }

    class Awaiter final : public weft::detail::LeafAwaiter {
    public:
        explicit Awaiter(State* s) noexcept : s_(s) {}
        Awaiter(const Awaiter&) = delete;
        ~Awaiter() {
            if (!registered_) return;
            Waker old;
            std::lock_guard lock(s_->mutex);
            old = std::move(s_->rx_waker);
        }
        bool await_ready() const noexcept { return done() && weft::detail::coop::poll_proceed(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(s_->mutex);
            // Ready but out of coop budget: yield first; the value waits in the channel.
            if (done()) return yield_if_budget_spent(h);
            s_->rx_waker = h.promise().context->waker();
            registered_ = true;
            suspend_here(h);
            return true;
        }
        Result<T> await_resume() {
            // The sender moves the waker out when it completes: nothing left to unregister.
            if (s_->load() & State::COMPLETE) registered_ = false;
            return s_->take();
        }
        bool ready() noexcept override { return done(); }
        const char* describe() const noexcept override { return "oneshot receive"; }

    private:
        bool done() const noexcept { return s_->load() & (State::COMPLETE | State::RX_CLOSED); }
        State* s_;
        bool registered_ = false;
    };

    Awaiter operator co_await() & noexcept {
        assert(s_ && "co_await on an empty OneshotReceiver");
        return Awaiter{s_};
    }
    Awaiter operator co_await() && noexcept {
        assert(s_ && "co_await on an empty OneshotReceiver");
        return Awaiter{s_};
    }

    /// Takes the value if it was sent; never waits.
    std::expected<T, TryRecvError> try_recv() {
        auto f = s_->load();
        if (f & State::VALUE) return std::move(*s_->take());
        if (f & (State::COMPLETE | State::RX_CLOSED)) return std::unexpected(TryRecvError::closed);
        return std::unexpected(TryRecvError::empty);
    }

    /// Stops the sender from sending: a later `send` fails and gives its value back. A value
    /// sent before stays receivable.
    void close() noexcept {
        Waker tx;
        {
            std::lock_guard lock(s_->mutex);
            s_->flags.fetch_or(State::RX_CLOSED, std::memory_order_release);
            tx = std::move(s_->tx_waker);
        }
        tx.wake_and_reset();
    }

    /// Waits on this thread, outside any runtime (from a plain std::thread). Throws
    /// std::logic_error on a runtime thread: `co_await` there.
    Result<T> blocking_recv() { return weft::block_on(recv_task(this)); }

    bool valid() const noexcept { return s_ != nullptr; }

private:
    template <class U>
    friend std::pair<OneshotSender<U>, OneshotReceiver<U>> oneshot();
    explicit OneshotReceiver(State* s) noexcept : s_(s) {}

    static Task<Result<T>> recv_task(OneshotReceiver* self) { co_return co_await *self; }

    void drop() noexcept {
        State* s = std::exchange(s_, nullptr);
        if (!s) return;
        Waker tx;
        {
            std::lock_guard lock(s->mutex);
            s->flags.fetch_or(State::RX_CLOSED, std::memory_order_release);
            tx = std::move(s->tx_waker);
        }
        tx.wake_and_reset();
        // A sent value is the receiver's alone (the sender is done): destroy it now, unlocked.
        if (s->load() & State::VALUE) s->value.reset();
        s->release();
    }

    State* s_ = nullptr;
};

/// A channel for sending exactly one value between tasks (a "promise/future" pair).
///
///     auto [tx, rx] = weft::sync::oneshot<int>();
///     std::thread([tx = std::move(tx)]() mutable { (void)tx.send(compute()); }).detach();
///     int v = (co_await rx).value();
///
/// One allocation per channel; sending and receiving take no other.
///
/// Thread safety: the two halves may live on different threads (or runtimes).
/// Cancel safety: see `OneshotReceiver` and `OneshotSender`; nothing is lost by destroying
/// a pending receive.
template <class T>
std::pair<OneshotSender<T>, OneshotReceiver<T>> oneshot() {
    auto* s = new detail::OneshotState<T>();
    return {OneshotSender<T>(s), OneshotReceiver<T>(s)};
}

}  // namespace weft::sync
