#pragma once

// A single-value channel: the sender replaces the value, receivers see the latest one.
//
// The value sits under a reader-writer lock (receivers borrow it shared, sends take it
// exclusive) together with a version number bumped by every send. Each receiver remembers the
// version it last saw; `changed()` completes when the shared version differs. Waiting receivers
// are an intrusive list under a second mutex, so a send that nobody waits for never touches it
// beyond one lock. The list is ordered by the version its waiters saw, which lets a send wake
// them in batches without waking one that queued after the send (it already saw the new value).

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <expected>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <weft/error.hpp>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/waiter_list.hpp>

namespace weft::sync::watch {

template <class T>
class Sender;
template <class T>
class Receiver;

namespace detail {

using sync::detail::IntrusiveList;
using sync::detail::ListNode;
using sync::detail::WakeList;

/// A receiver waiting in `changed()`. Lives in the awaiter; `linked` under the list's mutex.
struct ChangeWaiter : ListNode {
    Waker waker;
    std::uint64_t seen = 0;
    bool linked = false;
};

template <class T>
struct Shared {
    explicit Shared(T v) : value(std::move(v)) {}

    mutable std::shared_mutex value_mutex;
    T value;                                ///< under value_mutex
    std::atomic<std::uint64_t> version{0};  ///< bumped under value_mutex (exclusive)
    std::atomic<bool> closed{false};        ///< the sender is gone
    std::atomic<std::size_t> receivers{1};
    std::atomic<std::size_t> refs{2};

    std::mutex mutex;  ///< guards the two below
    IntrusiveList<ChangeWaiter> waiters;
    Waker tx_waker;  ///< the sender awaiting closed()

    void release() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    /// Wakes the waiters that saw a version older than `v` (all of them when closing).
    void wake_waiters(std::uint64_t v, bool all) noexcept {
        WakeList wakes;
        std::unique_lock lock(mutex);
        while (ChangeWaiter* w = waiters.front()) {
            if (!all && w->seen >= v) break;  // queued after this send: it saw `v` already
            if (wakes.full()) {
                lock.unlock();
                wakes.wake_all();
                lock.lock();
                continue;
            }
            waiters.pop_front();
            w->linked = false;
            wakes.push(std::move(w->waker));
        }
    }

    void drop_receiver() noexcept {
        if (receivers.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            Waker tx;
            {
                std::lock_guard lock(mutex);
                tx = std::move(tx_waker);
            }
            tx.wake_and_reset();
        }
        release();
    }
};

}  // namespace detail

/// A borrowed view of the current value; holds a shared lock on it.
///
/// Keep it short: while any `Ref` lives, a send waits (blocking its thread), so never hold one
/// across a `co_await`, and never send on the thread that holds one (it would deadlock).
///
/// Thread safety: a `Ref` is a shared lock; release it on the thread that took it.
template <class T>
class Ref {
public:
    const T& operator*() const noexcept { return *value_; }
    const T* operator->() const noexcept { return value_; }

private:
    friend class Sender<T>;
    friend class Receiver<T>;
    Ref(std::shared_lock<std::shared_mutex> lock, const T* value) noexcept
        : lock_(std::move(lock)), value_(value) {}
    std::shared_lock<std::shared_mutex> lock_;
    const T* value_;
};

/// The receiving half of a `watch` channel: reads the latest value and waits for changes.
///
///     auto [tx, rx] = weft::sync::watch::channel(Config{});
///     while (weft::Result<void> r = co_await rx.changed()) apply(*rx.borrow_and_update());
///
/// Receivers are copyable; each copy tracks on its own which version it has seen. A receiver
/// only ever sees the latest value: sends in quick succession coalesce.
///
/// Thread safety: each receiver is one owner (copy it for another task or thread); the value
/// may be borrowed from any thread.
/// Cancel safety: destroying a pending `changed()` only unregisters it; the change stays unseen
/// for the next `changed()`.
template <class T>
class Receiver {
    using Shared = detail::Shared<T>;

public:
    Receiver() noexcept = default;
    Receiver(const Receiver& o) noexcept : s_(o.s_), seen_(o.seen_) {
        if (s_) {
            s_->receivers.fetch_add(1, std::memory_order_relaxed);
            s_->refs.fetch_add(1, std::memory_order_relaxed);
        }
    }
    Receiver(Receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)), seen_(o.seen_) {}
    Receiver& operator=(Receiver o) noexcept {
        std::swap(s_, o.s_);
        std::swap(seen_, o.seen_);
        return *this;
    }
    ~Receiver() {
        if (s_) s_->drop_receiver();
    }

    /// The current value, without marking it seen.
    Ref<T> borrow() const { return Ref<T>(std::shared_lock(s_->value_mutex), &s_->value); }

    /// The current value, marking it seen: `changed()` then waits for the next send.
    Ref<T> borrow_and_update() {
        std::shared_lock lock(s_->value_mutex);
        seen_ = s_->version.load(std::memory_order_relaxed);  // stable under the shared lock
        return Ref<T>(std::move(lock), &s_->value);
    }

    /// True when a value was sent since this receiver last looked.
    bool has_changed() const noexcept { return s_->version.load(std::memory_order_acquire) != seen_; }
    /// True once the sender is gone.
    bool is_closed() const noexcept { return s_->closed.load(std::memory_order_acquire); }

    class [[nodiscard]] Changed final : public weft::detail::LeafAwaiter, detail::ChangeWaiter {
    public:
        explicit Changed(Receiver* rx) noexcept : rx_(rx) {}
        Changed(const Changed&) = delete;
        ~Changed() {
            if (!registered_) return;
            Waker old;
            std::lock_guard lock(rx_->s_->mutex);
            if (linked) rx_->s_->waiters.remove(this);
            old = std::move(waker);
        }
        bool await_ready() const noexcept { return done(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(rx_->s_->mutex);
            if (done()) return false;
            // A named awaiter awaited again after an abandoned await (a `select` it lost) is
            // still linked: queue it afresh, behind waiters that saw no more than it has now
            // (a send stops at the first waiter that saw its version).
            if (linked) rx_->s_->waiters.remove(this);
            seen = rx_->seen_;
            waker = h.promise().context->waker();
            linked = registered_ = true;
            rx_->s_->waiters.push_back(this);
            suspend_here(h);
            return true;
        }
        /// Marks the new value seen; `Errc::closed` when the sender is gone and nothing is new.
        Result<void> await_resume() noexcept {
            auto v = rx_->s_->version.load(std::memory_order_acquire);
            if (v != rx_->seen_) {
                rx_->seen_ = v;
                return {};
            }
            return std::unexpected(make_error_code(Errc::closed));
        }
        bool ready() noexcept override { return done(); }
        const char* describe() const noexcept override { return "watch changed"; }

    private:
        bool done() const noexcept { return rx_->has_changed() || rx_->is_closed(); }
        Receiver* rx_;
        bool registered_ = false;
    };

    /// Waits until a value newer than the last seen one is sent, and marks it seen.
    Changed changed() noexcept { return Changed(this); }

    bool valid() const noexcept { return s_ != nullptr; }

private:
    friend class Sender<T>;
    template <class U>
    friend std::pair<Sender<U>, Receiver<U>> channel(U);
    Receiver(Shared* s, std::uint64_t seen) noexcept : s_(s), seen_(seen) {}

    Shared* s_ = nullptr;
    std::uint64_t seen_ = 0;
};

/// The sending half of a `watch` channel: replaces the value and wakes every waiting receiver.
///
///     auto [tx, rx] = weft::sync::watch::channel(0);
///     tx.send_replace(1);                        // always stores
///     tx.send_modify([](int& v) { ++v; });       // in place
///
/// Thread safety: one owner (not copyable); it may be moved to and used on any thread. Sends
/// take the value's lock exclusively, waiting (blocking the thread) for open `Ref`s.
/// Cancel safety: destroying a pending `closed()` only unregisters it.
template <class T>
class Sender {
    using Shared = detail::Shared<T>;

public:
    Sender() noexcept = default;
    Sender(Sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Sender& operator=(Sender&& o) noexcept {
        Sender gone(std::move(*this));
        s_ = std::exchange(o.s_, nullptr);
        return *this;
    }
    ~Sender() {
        if (!s_) return;
        s_->closed.store(true, std::memory_order_release);
        s_->wake_waiters(0, true);
        s_->release();
    }

    /// Stores `value` if any receiver is left; otherwise gives it back.
    std::expected<void, T> send(T value) {
        if (receiver_count() == 0) return std::unexpected(std::move(value));
        (void)send_replace(std::move(value));
        return {};
    }

    /// Stores `value` whether or not anyone listens; returns the previous one.
    T send_replace(T value) {
        send_modify([&](T& v) { std::swap(v, value); });
        return value;
    }

    /// Changes the value in place and notifies the receivers.
    template <class F>
    void send_modify(F&& modify) {
        send_if_modified([&](T& v) {
            std::forward<F>(modify)(v);
            return true;
        });
    }

    /// Changes the value in place; notifies only if `modify` returns true.
    template <class F>
    bool send_if_modified(F&& modify) {
        std::uint64_t v;
        {
            std::unique_lock lock(s_->value_mutex);
            if (!std::forward<F>(modify)(s_->value)) return false;
            v = s_->version.load(std::memory_order_relaxed) + 1;
            s_->version.store(v, std::memory_order_release);
        }
        s_->wake_waiters(v, false);
        return true;
    }

    /// The current value.
    Ref<T> borrow() const { return Ref<T>(std::shared_lock(s_->value_mutex), &s_->value); }

    /// A new receiver that has seen the current value.
    Receiver<T> subscribe() const {
        s_->receivers.fetch_add(1, std::memory_order_relaxed);
        s_->refs.fetch_add(1, std::memory_order_relaxed);
        std::shared_lock lock(s_->value_mutex);
        return Receiver<T>(s_, s_->version.load(std::memory_order_relaxed));
    }

    std::size_t receiver_count() const noexcept { return s_->receivers.load(std::memory_order_acquire); }
    /// True when every receiver is gone.
    bool is_closed() const noexcept { return receiver_count() == 0; }

    class [[nodiscard]] Closed final : public weft::detail::LeafAwaiter {
    public:
        explicit Closed(Shared* s) noexcept : s_(s) {}
        Closed(const Closed&) = delete;
        ~Closed() {
            if (!registered_) return;
            Waker old;
            std::lock_guard lock(s_->mutex);
            old = std::move(s_->tx_waker);
        }
        bool await_ready() const noexcept { return ready_now(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(s_->mutex);
            if (ready_now()) return false;
            context_ = h.promise().context;
            s_->tx_waker = context_->waker();
            registered_ = true;
            suspend_here(h);
            return true;
        }
        void await_resume() const noexcept {}
        bool ready() noexcept override {
            std::lock_guard lock(s_->mutex);
            if (ready_now()) return true;
            // The last receiver went (its drop took the waker) and `subscribe` brought one back
            // before this poll: wait on, registered again. A waker still there is this task's.
            if (!s_->tx_waker) s_->tx_waker = context_->waker();
            return false;
        }
        const char* describe() const noexcept override { return "watch sender closed"; }

    private:
        bool ready_now() const noexcept { return s_->receivers.load(std::memory_order_acquire) == 0; }
        Shared* s_;
        weft::detail::TaskContext* context_ = nullptr;
        bool registered_ = false;
    };

    /// Completes once every receiver is gone.
    Closed closed() const noexcept { return Closed(s_); }

    bool valid() const noexcept { return s_ != nullptr; }

private:
    template <class U>
    friend std::pair<Sender<U>, Receiver<U>> channel(U);
    explicit Sender(Shared* s) noexcept : s_(s) {}
    Shared* s_ = nullptr;
};

/// A channel holding one value that the sender replaces and receivers watch for changes
/// (configuration, state, "the latest reading").
///
///     auto [tx, rx] = weft::sync::watch::channel(std::string("v1"));
///     weft::spawn(watcher(rx));        // co_await rx.changed(); rx.borrow()->...
///     tx.send_replace("v2");
///
/// The initial value counts as seen by the first receiver. One allocation per channel.
///
/// Thread safety: see `Sender` and `Receiver`; the halves may be on different threads.
/// Cancel safety: `changed()` and `closed()` are cancel-safe.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(T initial) {
    auto* s = new detail::Shared<T>(std::move(initial));
    return {Sender<T>(s), Receiver<T>(s, 0)};
}

}  // namespace weft::sync::watch
