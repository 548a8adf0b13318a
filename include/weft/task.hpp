#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>
#include <weft/detail/frame_cache.hpp>
#include <weft/runtime/context.hpp>

namespace weft {

template <class T = void>
class Task;

namespace detail {

class TaskPromiseBase {
public:
    TaskContext* context = nullptr;
    std::coroutine_handle<> continuation;

    // Frames come from the per-thread block cache: a spawn or call that finishes leaves its
    // frame for the next one on that thread.
    static void* operator new(std::size_t size) { return FrameCache::allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { FrameCache::deallocate(p, size); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            // Symmetric transfer back to the awaiter: a chain of nested co_awaits unwinds
            // without growing the stack.
            if (auto c = h.promise().continuation) return transfer_to(c);
            return std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
};

template <class T>
class TaskPromise : public TaskPromiseBase {
public:
    Task<T> get_return_object() noexcept;
    void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }
    template <class U = T>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        result_.template emplace<1>(std::forward<U>(value));
    }
    T take_result() {
        if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
        assert(result_.index() == 1 && "Task result read before completion");
        return std::move(std::get<1>(result_));
    }

private:
    std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class TaskPromise<void> : public TaskPromiseBase {
public:
    Task<void> get_return_object() noexcept;
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    void return_void() noexcept {}
    void take_result() {
        if (exception_) std::rethrow_exception(exception_);
    }

private:
    std::exception_ptr exception_;
};

}  // namespace detail

/// A lazy coroutine: nothing runs until it is awaited, spawned or passed to `block_on`.
///
///     weft::Task<int> answer() { co_return 42; }
///     weft::Task<> caller() { int v = co_await answer(); }
///
/// A `Task` owns its coroutine frame. Destroying a `Task` that is suspended destroys the frame,
/// which runs the destructors of its locals and of the awaiter it is suspended on, down to the
/// innermost leaf: this is how weft cancels work, and it releases every socket, timer and
/// registration the chain held. The result (or exception) travels to the awaiter.
///
/// Thread safety: a `Task` is a unique owner; move it, don't share it.
/// Cancel safety: whatever its body is; the destruction itself is always safe.
template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::TaskPromise<T>;
    using value_type = T;

    Task() noexcept = default;
    explicit Task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    ~Task() { reset(); }

    bool valid() const noexcept { return static_cast<bool>(handle_); }
    bool done() const noexcept { return handle_ && handle_.done(); }

    class Awaiter {
    public:
        explicit Awaiter(std::coroutine_handle<promise_type> child) noexcept : child_(child) {}
        bool await_ready() const noexcept { return !child_ || child_.done(); }
        template <detail::HasTaskContext P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
            child_.promise().context = parent.promise().context;
            child_.promise().continuation = parent;
            return detail::transfer_to(child_);
        }
        T await_resume() { return child_.promise().take_result(); }

    private:
        std::coroutine_handle<promise_type> child_;
    };

    Awaiter operator co_await() && noexcept {
        assert(handle_ && "co_await on an empty Task");
        return Awaiter{handle_};
    }

    /// For executors: the coroutine frame, still owned by this Task.
    std::coroutine_handle<promise_type> handle() const noexcept { return handle_; }
    /// For executors: the result of a finished task (rethrows its exception).
    T take_result() { return handle_.promise().take_result(); }

private:
    void reset() noexcept {
        if (handle_) std::exchange(handle_, nullptr).destroy();
    }
    std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}

template <class>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};
}  // namespace detail

}  // namespace weft
