#pragma once

// A multi-producer, multi-consumer channel where every receiver sees every message.
//
// The messages live in a ring of `capacity` slots (a power of two), each written once per lap;
// position `p` is in slot `p & mask` and is still there while `p >= tail - capacity`. Every
// receiver keeps the position it reads next. A receiver that falls more than a lap behind has
// lost the oldest messages: its next `recv` reports how many (`lagged`) and moves it to the
// oldest one still held. Senders never wait for slow receivers.
//
// One mutex guards the ring and the list of waiting receivers. The list is ordered by the
// position its waiters want (they only queue when they have read everything), so a send wakes
// exactly the ones its message satisfies, in batches, however the lock is dropped between them.

#include <atomic>
#include <bit>
#include <coroutine>
#include <cstdint>
#include <expected>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/waiter_list.hpp>
#include <weft/sync/error.hpp>
#include <weft/task.hpp>

namespace weft::sync::broadcast {

/// Why a receive produced no message.
struct RecvError {
    enum class Kind {
        closed,  ///< every sender is gone and this receiver has read everything
        lagged,  ///< `skipped` messages were overwritten before this receiver read them
        empty,   ///< (`try_recv` only) nothing new yet
    };
    Kind kind;
    std::uint64_t skipped = 0;

    bool is_closed() const noexcept { return kind == Kind::closed; }
    bool is_lagged() const noexcept { return kind == Kind::lagged; }
    bool is_empty() const noexcept { return kind == Kind::empty; }
};

template <class T>
class Sender;
template <class T>
class Receiver;

namespace detail {

using sync::detail::IntrusiveList;
using sync::detail::ListNode;
using sync::detail::WakeList;

/// A receiver waiting for position `next` to be written. Lives in the awaiter.
struct RecvWaiter : ListNode {
    Waker waker;
    std::uint64_t next = 0;
    bool linked = false;             ///< under the channel's mutex
    std::atomic<bool> woken{false};  ///< set when unlinked by a send or by the close
};

template <class T>
class Shared {
public:
    explicit Shared(std::size_t capacity) : slots_(capacity), mask_(capacity - 1) {}

    void add_sender() noexcept {
        std::lock_guard lock(mutex_);
        ++senders_;
        ++refs_;
    }
    void drop_sender() noexcept {
        WakeList wakes;
        {
            std::unique_lock lock(mutex_);
            if (--senders_ == 0) {
                closed_ = true;
                while (RecvWaiter* w = waiters_.front()) {  // everyone: nothing more will come
                    if (wakes.full()) {
                        lock.unlock();
                        wakes.wake_all();
                        lock.lock();
                        continue;
                    }
                    pop_and_wake(w, wakes);
                }
            }
        }
        wakes.wake_all();
        release();
    }
    /// Registers a receiver; returns the position it starts from (the next message sent).
    std::uint64_t add_receiver() noexcept {
        std::lock_guard lock(mutex_);
        ++receivers_;
        ++refs_;
        return tail_;
    }
    void drop_receiver() noexcept {
        {
            std::lock_guard lock(mutex_);
            --receivers_;
        }
        release();
    }
    std::size_t receiver_count() {
        std::lock_guard lock(mutex_);
        return receivers_;
    }

    /// Writes `value` at the tail if anyone listens; returns the receiver count, or 0 (then
    /// `value` is untouched).
    std::size_t send(T& value) {
        WakeList wakes;
        std::optional<T> overwritten;  // the lap-old message, destroyed after unlocking
        std::size_t receivers;
        {
            std::unique_lock lock(mutex_);
            receivers = receivers_;
            if (receivers == 0) return 0;
            auto& slot = slots_[tail_ & mask_];
            overwritten = std::move(slot);
            slot.emplace(std::move(value));
            ++tail_;
            while (RecvWaiter* w = waiters_.front()) {
                if (w->next >= tail_) break;  // queued later, waiting for a later message
                if (wakes.full()) {
                    lock.unlock();
                    wakes.wake_all();
                    lock.lock();
                    continue;
                }
                pop_and_wake(w, wakes);
            }
        }
        return receivers;
    }

    enum class Take : std::uint8_t { value, error, wait, later };

    /// Reads the message at `next` into `out` (advancing `next`), or the error; with `w`,
    /// queues it when nothing is there yet (`wait`, after calling `suspend()` under the lock).
    /// With `budget_spent` a readable message is left alone (`later`).
    template <class Suspend>
    Take take(std::uint64_t& next, std::optional<T>& out, RecvError& err, RecvWaiter* w, bool budget_spent,
              Suspend&& suspend) {
        std::lock_guard lock(mutex_);
        if (next < tail_) {
            std::uint64_t oldest = tail_ > slots_.size() ? tail_ - slots_.size() : 0;
            if (next < oldest) {
                err = RecvError{RecvError::Kind::lagged, oldest - next};
                next = oldest;
                return Take::error;
            }
            if (budget_spent) return Take::later;
            out.emplace(*slots_[next & mask_]);
            ++next;
            return Take::value;
        }
        if (closed_) {
            err = RecvError{RecvError::Kind::closed, 0};
            return Take::error;
        }
        if (!w) {
            err = RecvError{RecvError::Kind::empty, 0};
            return Take::error;
        }
        w->next = next;
        w->waker = suspend();
        w->linked = true;
        w->woken.store(false, std::memory_order_relaxed);  // a wake from an earlier await is spent
        waiters_.push_back(w);
        return Take::wait;
    }

    void unregister(RecvWaiter& w) noexcept {
        Waker old;
        std::lock_guard lock(mutex_);
        if (w.linked) {
            waiters_.remove(&w);
            w.linked = false;
        }
        old = std::move(w.waker);
    }

    std::uint64_t tail() {
        std::lock_guard lock(mutex_);
        return tail_;
    }
    std::size_t capacity() const noexcept { return slots_.size(); }

private:
    ~Shared() = default;
    void release() noexcept {
        bool last;
        {
            std::lock_guard lock(mutex_);
            last = --refs_ == 0;
        }
        if (last) delete this;
    }
    void pop_and_wake(RecvWaiter* w, WakeList& wakes) noexcept {
        waiters_.pop_front();
        w->linked = false;
        wakes.push(std::move(w->waker));
        w->woken.store(true, std::memory_order_release);
    }

    std::mutex mutex_;
    std::vector<std::optional<T>> slots_;
    const std::size_t mask_;
    std::uint64_t tail_ = 0;  ///< position of the next message
    std::size_t senders_ = 1;
    std::size_t receivers_ = 1;
    std::size_t refs_ = 2;  ///< senders + receivers (under the mutex: counted rarely)
    bool closed_ = false;
    IntrusiveList<RecvWaiter> waiters_;
};

}  // namespace detail

/// The receiving half of a broadcast channel: reads every message sent after it subscribed.
///
///     auto rx = tx.subscribe();
///     for (;;) {
///         std::expected<Event, broadcast::RecvError> e = co_await rx.recv();
///         if (e) handle(*e);
///         else if (e.error().is_lagged()) log_skipped(e.error().skipped);   // then go on
///         else break;                                                       // closed
///     }
///
/// `recv` hands out a copy of each message (`T` must be copyable). A receiver more than
/// `capacity` messages behind gets `lagged` with the number it missed, once, and then reads on
/// from the oldest message still held.
///
/// Thread safety: one owner (not copyable: use `resubscribe()` or `Sender::subscribe()`); it
/// may be moved to and used on any thread, one operation at a time.
/// Cancel safety: destroying a pending `recv()` loses nothing: the receiver's position moves
/// only when a `recv` returns.
template <class T>
class Receiver {
    using Shared = detail::Shared<T>;

public:
    Receiver() noexcept = default;
    Receiver(Receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)), next_(o.next_) {}
    Receiver& operator=(Receiver&& o) noexcept {
        Receiver gone(std::move(*this));
        s_ = std::exchange(o.s_, nullptr);
        next_ = o.next_;
        return *this;
    }
    ~Receiver() {
        if (s_) s_->drop_receiver();
    }

    class [[nodiscard]] RecvAwaiter final : public weft::detail::LeafAwaiter, detail::RecvWaiter {
    public:
        explicit RecvAwaiter(Receiver* rx) noexcept : rx_(rx) {}
        RecvAwaiter(const RecvAwaiter&) = delete;
        ~RecvAwaiter() {
            if (pending_ == Pending::registered) rx_->s_->unregister(*this);
        }
        bool await_ready() const noexcept { return false; }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            // A named awaiter awaited again (after a `select` it lost, or after it completed)
            // starts over: its old registration goes, and a message is taken either here or in
            // `await_resume`, never in both. Nothing sent meanwhile is lost, on any thread: the
            // receiver's position, not the wake, says what is there to read.
            if (std::exchange(pending_, Pending::none) == Pending::registered) rx_->s_->unregister(*this);
            out_.reset();
            bool spent = !weft::detail::coop::poll_proceed();
            auto r = rx_->s_->take(rx_->next_, out_, err_, this, spent, [&] {
                suspend_here(h);
                return h.promise().context->waker();
            });
            if (r == Shared::Take::wait) {
                pending_ = Pending::registered;
                return true;
            }
            if (r == Shared::Take::later) {
                pending_ = Pending::yielded;
                yield_here(h);
                return true;
            }
            return false;
        }
        std::expected<T, RecvError> await_resume() {
            if (pending_ != Pending::none) {
                if (pending_ == Pending::registered) rx_->s_->unregister(*this);  // drops the spent waker
                pending_ = Pending::none;
                auto r = rx_->s_->take(rx_->next_, out_, err_, nullptr, false, [] { return Waker{}; });
                (void)r;  // woken: a message (or a lag, or the close) is there
            }
            if (out_) return std::move(*out_);
            return std::unexpected(err_);
        }
        bool ready() noexcept override {
            return pending_ == Pending::yielded || woken.load(std::memory_order_acquire);
        }
        const char* describe() const noexcept override { return "broadcast receive"; }

    private:
        enum class Pending : std::uint8_t { none, registered, yielded };
        Receiver* rx_;
        std::optional<T> out_;
        RecvError err_{RecvError::Kind::empty, 0};
        Pending pending_ = Pending::none;
    };

    /// Waits for the next message; see the class comment for `lagged` and `closed`.
    RecvAwaiter recv() noexcept { return RecvAwaiter(this); }

    /// The next message if there is one; `RecvError::Kind::empty` otherwise. Never waits.
    std::expected<T, RecvError> try_recv() {
        std::optional<T> out;
        RecvError err{RecvError::Kind::empty, 0};
        s_->take(next_, out, err, nullptr, false, [] { return Waker{}; });
        if (out) return std::move(*out);
        return std::unexpected(err);
    }

    /// Waits on this thread, outside any runtime (from a plain std::thread). Throws
    /// std::logic_error on a runtime thread: `co_await recv()` there.
    std::expected<T, RecvError> blocking_recv() { return weft::block_on(recv_task(this)); }

    /// A new receiver on the same channel that starts with the next message sent.
    Receiver resubscribe() const { return Receiver(s_, s_->add_receiver()); }

    bool valid() const noexcept { return s_ != nullptr; }

private:
    friend class Sender<T>;
    template <class U>
    friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
    Receiver(Shared* s, std::uint64_t next) noexcept : s_(s), next_(next) {}
    static Task<std::expected<T, RecvError>> recv_task(Receiver* self) { co_return co_await self->recv(); }

    Shared* s_ = nullptr;
    std::uint64_t next_ = 0;  ///< position of the next message to read
};

/// The sending half of a broadcast channel. Copy it for more producers; the channel closes
/// when every copy is gone.
///
///     auto [tx, rx] = weft::sync::broadcast::channel<Event>(64);
///     auto rx2 = tx.subscribe();
///     tx.send(Event{...});   // both receivers get a copy
///
/// `send` never waits: it overwrites the oldest message when the ring is full (receivers that
/// had not read it see `lagged`). It fails, giving the value back, when no receiver is left.
///
/// Thread safety: every member may be called from any thread; copies may send concurrently.
/// Cancel safety: nothing waits.
template <class T>
class Sender {
    using Shared = detail::Shared<T>;

public:
    Sender() noexcept = default;
    Sender(const Sender& o) noexcept : s_(o.s_) {
        if (s_) s_->add_sender();
    }
    Sender(Sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Sender& operator=(Sender o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~Sender() {
        if (s_) s_->drop_sender();
    }

    /// Sends `value` to every current receiver; yields how many there were, or gives the
    /// value back when there are none.
    std::expected<std::size_t, SendError<T>> send(T value) {
        if (std::size_t n = s_->send(value)) return n;
        return std::unexpected(SendError<T>{std::move(value)});
    }

    /// A receiver of every message sent from now on.
    Receiver<T> subscribe() const { return Receiver<T>(s_, s_->add_receiver()); }

    std::size_t receiver_count() const { return s_->receiver_count(); }
    /// The ring's size (the capacity asked for, rounded up to a power of two).
    std::size_t capacity() const noexcept { return s_->capacity(); }
    bool valid() const noexcept { return s_ != nullptr; }

private:
    template <class U>
    friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
    explicit Sender(Shared* s) noexcept : s_(s) {}
    Shared* s_ = nullptr;
};

/// A broadcast channel retaining the last `capacity` messages (rounded up to a power of two).
///
///     auto [tx, rx] = weft::sync::broadcast::channel<std::string>(16);
///     auto rx2 = tx.subscribe();
///     (void)tx.send("hello");                     // rx and rx2 each receive "hello"
///
/// One allocation for the ring when the channel is made; sends and receives allocate nothing
/// beyond copying `T`. Throws std::invalid_argument for a capacity of 0.
///
/// Thread safety: see `Sender` and `Receiver`.
/// Cancel safety: `recv` is cancel-safe; sends never wait.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
    if (capacity == 0)
        throw std::invalid_argument("weft::sync::broadcast::channel: capacity must be at least 1");
    if (capacity > (std::size_t{1} << 40))
        throw std::invalid_argument("weft::sync::broadcast::channel: capacity too large");
    auto* s = new detail::Shared<T>(std::bit_ceil(capacity));
    return {Sender<T>(s), Receiver<T>(s, 0)};
}

}  // namespace weft::sync::broadcast
