#pragma once

// Multi-producer, single-consumer channels.
//
// One `Chan` per channel holds the queue (a ring buffer), the receiver's waker, and the FIFO of
// senders waiting for capacity, all under one mutex. Capacity is counted in slots:
//
//     queue.size() + permits_out <= capacity
//
// where `permits_out` counts slots granted to someone who has not filled them yet (a waiting
// `send` that was granted a slot but has not run again, or a `Permit` from `reserve`).
// Invariant: while senders wait, no slot is free; every slot that frees up (a receive, an
// unused permit dropped, a granted send destroyed) goes straight to the first waiting sender.
// So waiting senders are served in order and a new sender never overtakes them.
//
// A waiting `send` keeps its value in its own frame and moves it into the queue only when it
// resumes after being granted a slot. Destroying it before then can neither enqueue the value
// nor lose a slot: a granted slot is passed on. This is what makes `send` cancel-safe in the
// sense Tokio's is: a cancelled `send` did not send.

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <weft/detail/spin_lock.hpp>
#include <weft/error.hpp>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/context.hpp>
#include <weft/sync/detail/ring_buffer.hpp>
#include <weft/sync/detail/waiter_list.hpp>
#include <weft/sync/error.hpp>
#include <weft/task.hpp>

namespace weft::sync::mpsc {

template <class T>
class Sender;
template <class T>
class Receiver;
template <class T>
class UnboundedSender;
template <class T>
class UnboundedReceiver;
template <class T>
class Permit;

namespace detail {

using sync::detail::IntrusiveList;
using sync::detail::ListNode;
using sync::detail::RingBuffer;
using sync::detail::WakeList;

/// A sender waiting for a slot. Lives in the awaiter; linked while `queued`.
struct SlotWaiter : ListNode {
    enum State : std::uint8_t {
        idle,     ///< not waiting (never queued, or its slot was used)
        queued,   ///< in the channel's list
        granted,  ///< a slot was reserved for it (counted in permits_out)
        closed,   ///< the receiver closed while it waited
    };
    Waker waker;
    // Written under the channel's mutex; ready() reads it without.
    std::atomic<State> state{idle};
};

template <class T>
class Chan {
public:
    static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

    explicit Chan(std::size_t capacity) noexcept : capacity_(capacity) {}

    // --- handles ------------------------------------------------------------------------------

    void add_sender() noexcept {
        senders_.fetch_add(1, std::memory_order_relaxed);
        refs_.fetch_add(1, std::memory_order_relaxed);
    }
    void drop_sender() noexcept {
        if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            Waker rx;  // the last sender: a waiting receiver must see the end of the stream
            {
                std::lock_guard lock(mutex_);
                rx = std::move(rx_waker_);
            }
            rx.wake_and_reset();
        }
        release();
    }
    void drop_receiver() noexcept {
        {
            RingBuffer<T> unreceived;  // destroyed after the lock is released
            close_rx(&unreceived);
        }
        release();
    }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    // --- sending ------------------------------------------------------------------------------

    enum class Push : std::uint8_t {
        sent,     ///< the value is queued
        full,     ///< no room (try_push), or queued to wait for a slot (push_or_wait)
        closed,   ///< the receiver is gone or closed
        granted,  ///< a slot is reserved for it (room, but the task's coop budget is spent; or
                  ///< granted while an abandoned await held its place): fill it after a yield
    };

    /// Enqueues `value` if a slot is free and nobody waits ahead; otherwise leaves it alone.
    Push try_push(T& value) {
        Waker rx;
        {
            std::lock_guard lock(mutex_);
            if (rx_closed_) return Push::closed;
            if (!waiters_.empty() || !has_room()) return Push::full;
            queue_.push_back(std::move(value));
            rx = std::move(rx_waker_);
        }
        rx.wake_and_reset();
        return Push::sent;
    }

    /// Pushes `value` (or, when null, reserves a slot counted in permits_out); when that must
    /// wait, queues `w` with the waker that `suspend()` returns. `suspend` runs under the lock,
    /// so the task is recorded as suspended before any other thread can grant it a slot.
    /// With `budget_spent` a free slot is granted to `w` instead of used, so that the task can
    /// yield first and fill it when it runs again (or hand it on if it is cancelled meanwhile).
    template <class Suspend>
    Push push_or_wait(T* value, SlotWaiter& w, bool budget_spent, Suspend&& suspend) {
        Waker rx;
        {
            std::lock_guard lock(mutex_);
            // A named awaiter awaited again after an abandoned await (a `select` it lost) may
            // still be in line, or have been granted a slot since (read under the lock, so a
            // grant racing this await on another thread is seen): it keeps its place, or takes
            // that slot and no other.
            switch (w.state.load(std::memory_order_relaxed)) {
                case SlotWaiter::queued:
                    w.waker = suspend();
                    return Push::full;
                case SlotWaiter::granted:
                    return Push::granted;
                default:
                    break;  // idle, or closed out (rx_closed_ says so)
            }
            if (rx_closed_) return Push::closed;
            if (!waiters_.empty() || !has_room()) {
                w.waker = suspend();
                w.state.store(SlotWaiter::queued, std::memory_order_relaxed);
                waiters_.push_back(&w);
                return Push::full;
            }
            if (budget_spent) {
                ++permits_out_;
                w.state.store(SlotWaiter::granted, std::memory_order_relaxed);
                return Push::granted;
            }
            if (value) {
                queue_.push_back(std::move(*value));
                rx = std::move(rx_waker_);
            } else {
                ++permits_out_;
            }
        }
        rx.wake_and_reset();
        return Push::sent;
    }

    /// Fills a slot granted earlier with `value`. False (value untouched, slot returned) when
    /// the receiver closed meanwhile.
    bool fill_granted(T& value) {
        Waker rx;
        {
            std::lock_guard lock(mutex_);
            if (rx_closed_) {
                --permits_out_;
                return false;
            }
            queue_.push_back(std::move(value));
            --permits_out_;
            rx = std::move(rx_waker_);
        }
        rx.wake_and_reset();
        return true;
    }

    /// Gives back a granted slot that will not be filled; it goes to the next waiting sender.
    void return_slot() noexcept {
        Waker next;
        {
            std::lock_guard lock(mutex_);
            --permits_out_;
            next = grant_next();
        }
        next.wake_and_reset();
    }

    /// A waiting sender is being destroyed: leave the line, or pass on a slot granted to it.
    void abandon(SlotWaiter& w) noexcept {
        Waker next;
        {
            std::lock_guard lock(mutex_);
            switch (w.state.load(std::memory_order_relaxed)) {
                case SlotWaiter::queued:
                    waiters_.remove(&w);
                    break;
                case SlotWaiter::granted:
                    --permits_out_;
                    next = grant_next();
                    break;
                default:
                    break;
            }
            w.state.store(SlotWaiter::idle, std::memory_order_relaxed);
        }
        next.wake_and_reset();
    }

    // --- receiving (one receiver) -------------------------------------------------------------

    enum class Pop : std::uint8_t {
        value,   ///< popped into `out`
        empty,   ///< nothing queued (try_pop), or the receiver is registered (pop_or_wait)
        closed,  ///< nothing queued and nothing will come
        later,   ///< a message is there, but the coop budget is spent: yield, pop on resume
    };

    /// Pops the front message into `out`, granting the freed slot to the first waiting sender.
    Pop try_pop(std::optional<T>& out) {
        Waker sender;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) return closed_for_rx() ? Pop::closed : Pop::empty;
            out.emplace(queue_.pop_front());
            sender = grant_next();
        }
        sender.wake_and_reset();
        return Pop::value;
    }

    /// As `try_pop`, but when nothing is there and more may come, registers the waker that
    /// `suspend()` returns (called under the lock) and returns `empty`. With `budget_spent`
    /// a queued message is left in place (`later`): only this receiver pops, so it is still
    /// there when the task has yielded and runs again.
    template <class Suspend>
    Pop pop_or_wait(std::optional<T>& out, bool budget_spent, Suspend&& suspend) {
        Waker sender;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                if (closed_for_rx()) return Pop::closed;
                rx_waker_ = suspend();
                return Pop::empty;
            }
            if (budget_spent) return Pop::later;
            out.emplace(queue_.pop_front());
            sender = grant_next();
        }
        sender.wake_and_reset();
        return Pop::value;
    }

    /// After a wake: drops the receiver's registration and pops (or sees the end).
    Pop pop_after_wake(std::optional<T>& out) {
        Waker sender;
        Waker stale;
        {
            std::lock_guard lock(mutex_);
            stale = std::move(rx_waker_);  // normally already taken by whoever woke us
            if (queue_.empty()) return closed_for_rx() ? Pop::closed : Pop::empty;
            out.emplace(queue_.pop_front());
            sender = grant_next();
        }
        sender.wake_and_reset();
        return Pop::value;
    }

    bool can_pop() {
        std::lock_guard lock(mutex_);
        return !queue_.empty() || closed_for_rx();
    }

    void unregister_receiver() noexcept {
        Waker old;
        std::lock_guard lock(mutex_);
        old = std::move(rx_waker_);
    }

    /// Closes the receiving side: queued and future sends fail; queued messages stay
    /// receivable unless `drain` takes them.
    void close_rx(RingBuffer<T>* drain) noexcept {
        WakeList wakes;
        std::unique_lock lock(mutex_);
        rx_closed_ = true;
        if (drain) *drain = std::move(queue_);
        while (!waiters_.empty()) {
            if (wakes.full()) {
                lock.unlock();
                wakes.wake_all();
                lock.lock();
                continue;
            }
            SlotWaiter* w = waiters_.pop_front();
            wakes.push(std::move(w->waker));
            w->state.store(SlotWaiter::closed, std::memory_order_release);
        }
    }

    // --- inspection ---------------------------------------------------------------------------

    bool rx_closed() {
        std::lock_guard lock(mutex_);
        return rx_closed_;
    }
    std::size_t len() {
        std::lock_guard lock(mutex_);
        return queue_.size();
    }
    std::size_t free_slots() {
        std::lock_guard lock(mutex_);
        return has_room() && waiters_.empty() ? capacity_ - queue_.size() - permits_out_ : 0;
    }
    std::size_t capacity() const noexcept { return capacity_; }

private:
    ~Chan() = default;

    bool has_room() const noexcept { return queue_.size() + permits_out_ < capacity_; }
    bool closed_for_rx() const noexcept {
        return rx_closed_ || senders_.load(std::memory_order_acquire) == 0;
    }
    Waker grant_next() noexcept {
        if (waiters_.empty() || !has_room()) return {};
        SlotWaiter* w = waiters_.pop_front();
        ++permits_out_;
        Waker wk = std::move(w->waker);
        w->state.store(SlotWaiter::granted, std::memory_order_release);
        return wk;
    }

    // Nearly every critical section is a few loads and stores (wakes and frees happen after
    // it): a spin lock, whose unlock is a plain store, and where a sender and a receiver on two
    // workers meet without sleeping in the kernel (mpsc_1p1c on two workers: about 2x a
    // std::mutex). Pushing to an unbounded channel may grow its buffer under the lock; waiters
    // then back off to naps (see SpinLock).
    weft::detail::SpinLock mutex_;
    RingBuffer<T> queue_;
    const std::size_t capacity_;
    std::size_t permits_out_ = 0;
    IntrusiveList<SlotWaiter> waiters_;
    Waker rx_waker_;
    bool rx_closed_ = false;
    std::atomic<std::size_t> senders_{1};
    std::atomic<std::size_t> refs_{2};  ///< senders + receiver
};

/// What the two receivers share: `recv`, `try_recv`, `close`.
template <class T>
class ReceiverBase {
public:
    ReceiverBase() noexcept = default;
    ReceiverBase(ReceiverBase&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    ReceiverBase& operator=(ReceiverBase&& o) noexcept {
        if (this != &o) {
            if (c_) c_->drop_receiver();
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    ~ReceiverBase() {
        if (c_) c_->drop_receiver();
    }

    class RecvAwaiter final : public weft::detail::LeafAwaiter {
    public:
        explicit RecvAwaiter(Chan<T>* c) noexcept : c_(c) {}
        RecvAwaiter(const RecvAwaiter&) = delete;
        ~RecvAwaiter() {
            if (pending_ == Pending::registered) c_->unregister_receiver();
        }
        bool await_ready() const noexcept { return false; }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            // A named awaiter awaited again after an abandoned await (a `select` it lost)
            // starts over: its old registration goes, and a message is taken either here or in
            // `await_resume`, never in both.
            if (std::exchange(pending_, Pending::none) == Pending::registered) c_->unregister_receiver();
            out_.reset();  // completed before: what it handed out is not handed out again
            bool spent = !weft::detail::coop::poll_proceed();
            auto r = c_->pop_or_wait(out_, spent, [&] {
                suspend_here(h);
                return h.promise().context->waker();
            });
            if (r == Chan<T>::Pop::later) {
                yield_here(h);
                pending_ = Pending::yielded;
                return true;
            }
            if (r == Chan<T>::Pop::empty) {
                pending_ = Pending::registered;
                return true;
            }
            return false;
        }
        std::optional<T> await_resume() {
            if (pending_ != Pending::none) {
                pending_ = Pending::none;
                c_->pop_after_wake(out_);
            }
            // Rebuilt field by field, not copied whole: the pop just wrote the value and the
            // flag as two stores, and a 16-byte load of both stalls on store forwarding (a
            // quarter of a single-thread mpsc_1p1c).
            if (!out_) return std::nullopt;
            return std::optional<T>(std::move(*out_));
        }
        bool ready() noexcept override { return pending_ == Pending::yielded || c_->can_pop(); }
        const char* describe() const noexcept override { return "mpsc receive"; }

    private:
        enum class Pending : std::uint8_t { none, registered, yielded };
        Chan<T>* c_;
        std::optional<T> out_;
        Pending pending_ = Pending::none;
    };

    /// Waits for the next message; `std::nullopt` once every sender is gone (or the channel
    /// was closed) and the queue is drained.
    [[nodiscard]] RecvAwaiter recv() noexcept {
        assert(c_ && "recv() on an empty receiver");
        return RecvAwaiter{c_};
    }

    /// The next message if one is queued; never waits.
    std::expected<T, TryRecvError> try_recv() {
        std::optional<T> out;
        switch (c_->try_pop(out)) {
            case Chan<T>::Pop::value:
                return std::move(*out);
            case Chan<T>::Pop::empty:
                return std::unexpected(TryRecvError::empty);
            default:
                return std::unexpected(TryRecvError::closed);
        }
    }

    /// Waits on this thread, outside any runtime (from a plain std::thread). Throws
    /// std::logic_error on a runtime thread: `co_await recv()` there.
    std::optional<T> blocking_recv() { return weft::block_on(recv_task(this)); }

    /// Closes the channel from the receiving side: waiting and later sends fail (giving their
    /// values back), while messages already queued can still be received.
    void close() noexcept { c_->close_rx(nullptr); }

    /// Messages queued now.
    std::size_t len() const { return c_->len(); }
    bool is_empty() const { return len() == 0; }
    bool valid() const noexcept { return c_ != nullptr; }

protected:
    explicit ReceiverBase(Chan<T>* c) noexcept : c_(c) {}

private:
    static Task<std::optional<T>> recv_task(ReceiverBase* self) { co_return co_await self->recv(); }
    Chan<T>* c_ = nullptr;
};

/// What the two senders share: the handle's reference counting.
template <class T>
class SenderBase {
public:
    SenderBase() noexcept = default;
    SenderBase(const SenderBase& o) noexcept : c_(o.c_) {
        if (c_) c_->add_sender();
    }
    SenderBase(SenderBase&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    SenderBase& operator=(const SenderBase& o) noexcept {
        SenderBase copy(o);
        std::swap(c_, copy.c_);
        return *this;
    }
    SenderBase& operator=(SenderBase&& o) noexcept {
        if (this != &o) {
            if (c_) c_->drop_sender();
            c_ = std::exchange(o.c_, nullptr);
        }
        return *this;
    }
    ~SenderBase() {
        if (c_) c_->drop_sender();
    }

    /// True once the receiver was dropped or closed: sends fail.
    bool is_closed() const { return !c_ || c_->rx_closed(); }
    /// True when both senders feed the same channel.
    bool same_channel(const SenderBase& o) const noexcept { return c_ == o.c_; }
    bool valid() const noexcept { return c_ != nullptr; }

protected:
    explicit SenderBase(Chan<T>* c) noexcept : c_(c) {}
    Chan<T>* c_ = nullptr;
};

}  // namespace detail

/// A reserved slot in a bounded channel, from `Sender::reserve()`: `send` on it cannot wait
/// or fail for lack of capacity.
///
///     weft::Result<mpsc::Permit<Job>> p = co_await tx.reserve();   // wait for room first,
///     if (p) std::move(*p).send(make_job());                        // then build the message
///
/// Dropping an unused permit returns the slot (to the first waiting sender, if any). A permit
/// keeps the channel open: the receiver does not see the end of the stream while one exists.
///
/// Thread safety: one owner; may be moved to and used on any thread.
/// Cancel safety: nothing waits; a permit dropped by a cancelled task returns its slot.
template <class T>
class Permit {
public:
    Permit(Permit&& o) noexcept : tx_(std::move(o.tx_)), armed_(std::exchange(o.armed_, false)) {}
    Permit& operator=(Permit&& o) noexcept {
        if (this != &o) {
            give_back();
            tx_ = std::move(o.tx_);
            armed_ = std::exchange(o.armed_, false);
        }
        return *this;
    }
    ~Permit() { give_back(); }

    /// Enqueues `value` in the reserved slot. If the receiver closed meanwhile, `value` is
    /// dropped (as it would have been had it been queued). Consumes the permit.
    void send(T value) {
        assert(armed_ && "send on a used Permit");
        tx_.chan()->fill_granted(value);  // on a closed channel `value` is destroyed on return
        armed_ = false;
    }

private:
    friend class Sender<T>;
    explicit Permit(Sender<T> tx) noexcept : tx_(std::move(tx)), armed_(true) {}
    void give_back() noexcept {
        if (std::exchange(armed_, false)) tx_.chan()->return_slot();
    }
    Sender<T> tx_;
    bool armed_ = false;
};

/// The sending half of a bounded channel, from `mpsc::channel`. Copy it to get more producers;
/// the channel ends (for the receiver) when every copy is gone.
///
///     auto [tx, rx] = weft::sync::mpsc::channel<int>(64);
///     if (auto r = co_await tx.send(1); !r) { /* receiver gone; r.error().value == 1 */ }
///
/// `send` waits while the channel holds `capacity` messages (backpressure); waiting senders are
/// served in arrival order.
///
/// Thread safety: every member may be called from any thread; copies may be used concurrently
/// on different threads and runtimes. A sender must outlive its pending operations.
/// Cancel safety: destroying a pending `send` never enqueues its value (it is destroyed with
/// the operation) and never loses capacity: its place in line, or a slot already granted to
/// it, passes to the next waiting sender. To wait for room without handing over the value,
/// use `reserve()`; destroying a pending `reserve()` is equally safe.
template <class T>
class Sender : public detail::SenderBase<T> {
    using Chan = detail::Chan<T>;
    using Base = detail::SenderBase<T>;

public:
    /// An empty sender (as after a move); assign a real one before use.
    Sender() noexcept = default;
    Sender(const Sender&) = default;
    Sender(Sender&&) noexcept = default;
    Sender& operator=(const Sender&) = default;
    Sender& operator=(Sender&&) noexcept = default;

    class SendAwaiter final : public weft::detail::LeafAwaiter, detail::SlotWaiter {
    public:
        SendAwaiter(Chan* c, T&& value) : c_(c), value_(std::move(value)) {}
        SendAwaiter(const SendAwaiter&) = delete;
        ~SendAwaiter() {
            if (state.load(std::memory_order_acquire) != detail::SlotWaiter::idle) c_->abandon(*this);
        }
        bool await_ready() const noexcept { return false; }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            bool spent = !weft::detail::coop::poll_proceed();
            outcome_ = c_->push_or_wait(&value_, *this, spent, [&] {
                suspend_here(h);
                return h.promise().context->waker();
            });
            if (outcome_ == Chan::Push::granted) {
                yield_here(h);  // a slot is ours; fill it when the task runs again
                outcome_ = Chan::Push::full;
            }
            return outcome_ == Chan::Push::full;
        }
        std::expected<void, SendError<T>> await_resume() {
            if (outcome_ == Chan::Push::full) {
                // Woken: either granted a slot or closed out (ready() said so).
                auto s = state.load(std::memory_order_acquire);
                outcome_ = s == detail::SlotWaiter::granted && c_->fill_granted(value_) ? Chan::Push::sent
                                                                                        : Chan::Push::closed;
                state.store(detail::SlotWaiter::idle, std::memory_order_relaxed);
            }
            if (outcome_ == Chan::Push::sent) return {};
            return std::unexpected(SendError<T>{std::move(value_)});
        }
        bool ready() noexcept override {
            return state.load(std::memory_order_acquire) >= detail::SlotWaiter::granted;
        }
        const char* describe() const noexcept override { return "mpsc send (channel full)"; }

    private:
        Chan* c_;
        T value_;
        typename Chan::Push outcome_ = Chan::Push::full;
    };

    class ReserveAwaiter final : public weft::detail::LeafAwaiter, detail::SlotWaiter {
    public:
        explicit ReserveAwaiter(const Sender* tx) noexcept : tx_(tx) {}
        ReserveAwaiter(const ReserveAwaiter&) = delete;
        ~ReserveAwaiter() {
            if (state.load(std::memory_order_acquire) != detail::SlotWaiter::idle) tx_->c_->abandon(*this);
        }
        bool await_ready() const noexcept { return false; }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            bool spent = !weft::detail::coop::poll_proceed();
            outcome_ = tx_->c_->push_or_wait(nullptr, *this, spent, [&] {
                suspend_here(h);
                return h.promise().context->waker();
            });
            if (outcome_ == Chan::Push::granted) {
                yield_here(h);
                outcome_ = Chan::Push::full;
            }
            return outcome_ == Chan::Push::full;
        }
        Result<Permit<T>> await_resume() {
            if (outcome_ == Chan::Push::full) {
                auto s = state.load(std::memory_order_acquire);
                outcome_ = s == detail::SlotWaiter::granted ? Chan::Push::sent : Chan::Push::closed;
                state.store(detail::SlotWaiter::idle, std::memory_order_relaxed);
            }
            if (outcome_ == Chan::Push::closed) return std::unexpected(make_error_code(Errc::closed));
            return Permit<T>(*tx_);  // the slot is counted in permits_out; the permit owns it now
        }
        bool ready() noexcept override {
            return state.load(std::memory_order_acquire) >= detail::SlotWaiter::granted;
        }
        const char* describe() const noexcept override { return "mpsc reserve (channel full)"; }

    private:
        const Sender* tx_;
        typename Chan::Push outcome_ = Chan::Push::full;
    };

    /// Sends `value`, waiting while the channel is full. Yields the value back in
    /// `SendError` when the receiver is gone or closed.
    [[nodiscard]] SendAwaiter send(T value) {
        assert(this->c_ && "send on an empty Sender");
        return SendAwaiter{this->c_, std::move(value)};
    }

    /// Sends `value` if there is room now (and no sender waiting ahead); never waits.
    std::expected<void, TrySendError<T>> try_send(T value) {
        switch (this->c_->try_push(value)) {
            case Chan::Push::sent:
                return {};
            case Chan::Push::full:
                return std::unexpected(TrySendError<T>{TrySendError<T>::Kind::full, std::move(value)});
            default:
                return std::unexpected(TrySendError<T>{TrySendError<T>::Kind::closed, std::move(value)});
        }
    }

    /// Waits for a free slot and reserves it; `Errc::closed` when the receiver is gone.
    [[nodiscard]] ReserveAwaiter reserve() noexcept {
        assert(this->c_ && "reserve on an empty Sender");
        return ReserveAwaiter{this};
    }

    /// Sends from a thread outside any runtime (a plain std::thread), blocking it while the
    /// channel is full. Throws std::logic_error on a runtime thread: `co_await send()` there.
    std::expected<void, SendError<T>> blocking_send(T value) {
        return weft::block_on(send_task(this, std::move(value)));
    }

    /// Free slots now (0 while senders wait).
    std::size_t capacity() const { return this->c_->free_slots(); }
    /// The capacity the channel was created with.
    std::size_t max_capacity() const noexcept { return this->c_->capacity(); }

private:
    friend class Permit<T>;
    template <class U>
    friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);

    explicit Sender(Chan* c) noexcept : Base(c) {}
    Chan* chan() const noexcept { return this->c_; }
    static Task<std::expected<void, SendError<T>>> send_task(Sender* self, T value) {
        co_return co_await self->send(std::move(value));
    }
};

/// The receiving half of a bounded channel. See `mpsc::channel`.
///
///     while (std::optional<Job> job = co_await rx.recv()) run(*job);   // until senders are gone
///
/// Keep the declaration in that loop: GCC 12 miscompiles a `co_await` written directly in an
/// `if`/`while` condition (`while (co_await rx.recv())` crashes or exits early); declare the
/// result in the condition, as above, or bind it to a variable first.
///
/// Thread safety: one owner (not copyable); it may be moved to and used on any thread, but only
/// one operation at a time. Senders may be on any thread.
/// Cancel safety: destroying a pending `recv()` loses nothing: messages stay queued for the
/// next `recv`. Dropping the receiver destroys the queued messages and fails every sender.
template <class T>
class Receiver : public detail::ReceiverBase<T> {
public:
    Receiver() noexcept = default;

private:
    template <class U>
    friend std::pair<Sender<U>, Receiver<U>> channel(std::size_t);
    explicit Receiver(detail::Chan<T>* c) noexcept : detail::ReceiverBase<T>(c) {}
};

/// The sending half of an unbounded channel: `send` never waits (the queue grows instead).
///
///     auto [tx, rx] = weft::sync::mpsc::unbounded_channel<Event>();
///     std::thread([tx] { (void)tx.send(Event{}); }).detach();   // fine from any thread
///
/// Thread safety: every member may be called from any thread; copy it for more producers.
/// Cancel safety: nothing waits.
template <class T>
class UnboundedSender : public detail::SenderBase<T> {
public:
    UnboundedSender() noexcept = default;

    /// Enqueues `value`, or gives it back when the receiver is gone or closed.
    std::expected<void, SendError<T>> send(T value) const {
        if (this->c_->try_push(value) == detail::Chan<T>::Push::sent) return {};
        return std::unexpected(SendError<T>{std::move(value)});
    }

private:
    template <class U>
    friend std::pair<UnboundedSender<U>, UnboundedReceiver<U>> unbounded_channel();
    explicit UnboundedSender(detail::Chan<T>* c) noexcept : detail::SenderBase<T>(c) {}
};

/// The receiving half of an unbounded channel; as `Receiver`.
///
/// Thread safety: one owner, one operation at a time, any thread.
/// Cancel safety: destroying a pending `recv()` loses nothing.
template <class T>
class UnboundedReceiver : public detail::ReceiverBase<T> {
public:
    UnboundedReceiver() noexcept = default;

private:
    template <class U>
    friend std::pair<UnboundedSender<U>, UnboundedReceiver<U>> unbounded_channel();
    explicit UnboundedReceiver(detail::Chan<T>* c) noexcept : detail::ReceiverBase<T>(c) {}
};

/// A bounded multi-producer, single-consumer channel holding at most `capacity` messages.
///
///     auto [tx, rx] = weft::sync::mpsc::channel<std::string>(16);
///     weft::spawn_local(producer(tx));            // senders are copyable
///     while (auto line = co_await rx.recv()) use(*line);
///
/// Messages arrive in the order they were sent (per sender; across senders, in the order the
/// channel accepted them). No allocation per message: the queue is a ring buffer that grows
/// up to `capacity`, and waiting senders are linked through their own frames. Throws
/// std::invalid_argument for a capacity of 0.
///
/// Thread safety: see `Sender` and `Receiver`; the halves may be on different threads.
/// Cancel safety: `recv`, `send` and `reserve` are all cancel-safe; see `Sender`.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("weft::sync::mpsc::channel: capacity must be at least 1");
    if (capacity == detail::Chan<T>::unbounded) --capacity;
    auto* c = new detail::Chan<T>(capacity);
    return {Sender<T>(c), Receiver<T>(c)};
}

/// An unbounded multi-producer, single-consumer channel: `send` never waits.
///
///     auto [tx, rx] = weft::sync::mpsc::unbounded_channel<int>();
///     (void)tx.send(1);
///     std::optional<int> v = co_await rx.recv();
///
/// Without backpressure a fast producer can grow the queue without limit; prefer `channel`
/// unless the producer cannot wait (a callback, a plain thread).
///
/// Thread safety: the halves may be on different threads; see `UnboundedSender`.
/// Cancel safety: a destroyed pending `recv()` loses nothing.
template <class T>
std::pair<UnboundedSender<T>, UnboundedReceiver<T>> unbounded_channel() {
    auto* c = new detail::Chan<T>(detail::Chan<T>::unbounded);
    return {UnboundedSender<T>(c), UnboundedReceiver<T>(c)};
}

}  // namespace weft::sync::mpsc
