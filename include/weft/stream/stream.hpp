#pragma once

#include <atomic>
#include <cassert>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <weft/detail/spin_lock.hpp>
#include <weft/runtime/context.hpp>
#include <weft/runtime/waker.hpp>

namespace weft {

template <class T>
class Stream;

namespace detail {

/// The body's wakeable: it forwards every wake to whoever consumes the stream now. A leaf the
/// body registered while an earlier consumer waited (one that gave up, a task since finished, a
/// combinator branch since destroyed) then wakes the current one, and a nested stream's body
/// wakes through its parent's forwarder, which lives as long as the parent.
class StreamWaker final : public Wakeable {
public:
    void wake_by_ref() noexcept override {
        Waker target;
        {
            std::lock_guard lock(mutex_);
            target = target_;
        }
        target.wake_and_reset();
    }
    void add_ref() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept override {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    /// By the consumer, at each `next()`: wakes go to `consumer` from now on. Only consumers
    /// write `current_` (one at a time), so an unchanged consumer costs one comparison; the
    /// waker held in `target_` keeps that consumer alive, so its address cannot be reused.
    void forward_to(Wakeable* consumer) {
        if (consumer == current_) return;
        Waker previous;  // released after unlocking
        {
            std::lock_guard lock(mutex_);
            previous = std::exchange(target_, Waker(consumer));
        }
        current_ = consumer;
    }

private:
    ~StreamWaker() = default;
    std::atomic<std::size_t> refs_{1};
    SpinLock mutex_;
    Waker target_;
    Wakeable* current_ = nullptr;
};

template <class T>
class StreamPromise {
public:
    /// The body runs in a context of its own, polled by `next()` (as `timeout` polls its task),
    /// rather than in its consumer's: a `next()` given up (a `select` it lost) leaves the body
    /// waiting on its own leaf, in a context that outlives the consumer's, and the next
    /// `next()` polls that leaf instead of resuming the body as if the wait were over. Its
    /// wakes go through `waker`, to the consumer of the latest `next()`.
    TaskContext body;
    TaskContext* context = &body;
    StreamWaker* const waker = new StreamWaker;

    StreamPromise() { body.wakeable = waker; }  // may throw: `new StreamWaker`, like the frame
    StreamPromise(const StreamPromise&) = delete;
    ~StreamPromise() { waker->release(); }

    Stream<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }

    /// At a `co_yield`: the body's next poll resumes it at once.
    struct AtYield final : PendingLeaf {
        bool ready() noexcept override { return true; }
        const char* describe() const noexcept override { return "stream yield"; }
    };
    struct ToConsumer {
        bool await_ready() noexcept { return false; }
        void await_suspend(std::coroutine_handle<StreamPromise> h) noexcept {
            StreamPromise& p = h.promise();
            p.at_yield_.continuation = h;
            p.body.pending = &p.at_yield_;  // back to the `next()` polling the body
        }
        void await_resume() noexcept {}
    };
    std::suspend_always final_suspend() noexcept { return {}; }

    template <class U = T>
    requires std::is_constructible_v<T, U&&> ToConsumer yield_value(U&& v)
    noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        value_.emplace(std::forward<U>(v));
        return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }

    /// A value (or exception) yielded and not taken yet.
    bool holds_result() const noexcept { return value_.has_value() || exception_; }
    std::optional<T> take() {
        if (exception_) std::rethrow_exception(std::exchange(exception_, nullptr));
        std::optional<T> out = std::move(value_);
        value_.reset();
        return out;
    }

private:
    std::optional<T> value_;
    std::exception_ptr exception_;
    AtYield at_yield_;
};

/// Gives a coroutine the context it runs in (for code that registers wakers itself).
struct CurrentContext {
    TaskContext* ctx = nullptr;
    bool await_ready() const noexcept { return false; }
    template <HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        ctx = h.promise().context;
        return false;  // never suspends
    }
    TaskContext* await_resume() const noexcept { return ctx; }
};

}  // namespace detail

/// An asynchronous sequence: a coroutine that `co_yield`s values and may `co_await` in between.
///
///     weft::Stream<int> countdown(int n) {
///         for (; n > 0; --n) {
///             co_await weft::time::sleep(1s);
///             co_yield n;
///         }
///     }
///     auto s = countdown(3);
///     while (auto v = co_await s.next()) std::println("{}", *v);
///
/// Lazy like `Task`: the body runs only inside `next()`, on the consumer's task, and pauses at
/// each `co_yield` until the next call. An exception in the body is rethrown by `next()`.
///
/// Thread safety: one consumer at a time. Cancel safety: destroying a pending `next()` leaves
/// the stream paused where it was waiting, and the next `next()` (or a named one awaited again
/// after a `select` it lost) goes on waiting there; destroying the `Stream` destroys its frame
/// and what it held (so its own cancel safety is that of what it was awaiting).
template <class T>
class [[nodiscard]] Stream {
public:
    using promise_type = detail::StreamPromise<T>;
    using value_type = T;

    Stream() noexcept = default;
    explicit Stream(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    Stream(Stream&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
    Stream& operator=(Stream&& o) noexcept {
        if (this != &o) {
            reset();
            handle_ = std::exchange(o.handle_, nullptr);
        }
        return *this;
    }
    ~Stream() { reset(); }

    class NextAwaiter final : public detail::PendingLeaf {
    public:
        explicit NextAwaiter(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
        bool await_ready() const noexcept { return finished(); }
        template <detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> consumer) {
            detail::TaskContext& ctx = *consumer.promise().context;
            h_.promise().waker->forward_to(ctx.wakeable);
            if (ready()) return false;
            continuation = consumer;
            ctx.pending = this;
            return true;
        }
        std::optional<T> await_resume() {
            if (!h_) return std::nullopt;
            return h_.promise().take();
        }
        /// Polls the body until it yields or ends (a value not taken yet is taken first).
        bool ready() noexcept override {
            if (!finished()) h_.promise().body.poll(h_);
            return finished();
        }
        const char* describe() const noexcept override { return "stream next"; }
        void describe_detail(std::string& out) const override {
            if (!h_) return;
            if (const detail::PendingLeaf* leaf = h_.promise().body.waiting_on()) {
                out += " on ";
                out += leaf->describe();
                leaf->describe_detail(out);
            }
        }

    private:
        bool finished() const noexcept { return !h_ || h_.done() || h_.promise().holds_result(); }
        std::coroutine_handle<promise_type> h_;
    };

    /// The next value, or nullopt once the stream has finished.
    NextAwaiter next() noexcept { return NextAwaiter(handle_); }
    bool done() const noexcept { return !handle_ || handle_.done(); }

private:
    void reset() noexcept {
        if (handle_) std::exchange(handle_, nullptr).destroy();
    }
    std::coroutine_handle<promise_type> handle_;
};

template <class T>
Stream<T> detail::StreamPromise<T>::get_return_object() noexcept {
    return Stream<T>(std::coroutine_handle<StreamPromise>::from_promise(*this));
}

}  // namespace weft
