#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <variant>
#include <weft/runtime/blocking/pool.hpp>
#include <weft/runtime/context.hpp>

namespace weft {

namespace detail {
template <class T>
struct BlockingState {
    std::mutex mutex;
    Waker waker;
    std::atomic<bool> done{false};
    std::variant<std::monostate, std::conditional_t<std::is_void_v<T>, std::monostate, T>, std::exception_ptr>
        result;
};
}  // namespace detail

/// The result of `spawn_blocking`, to be awaited.
///
/// Awaiting yields the function's return value, or rethrows what it threw.
///
/// Cancel safety: a blocking call cannot be interrupted. Destroying the handle (or a pending
/// `co_await` on it) abandons the result; the function still runs to its end on the pool.
template <class T>
class [[nodiscard]] BlockingHandle {
public:
    explicit BlockingHandle(std::shared_ptr<detail::BlockingState<T>> state) noexcept
        : state_(std::move(state)) {}

    bool is_finished() const noexcept { return state_->done.load(std::memory_order_acquire); }

    auto operator co_await() && noexcept { return Awaiter{state_.get()}; }
    auto operator co_await() & noexcept { return Awaiter{state_.get()}; }

private:
    class Awaiter final : public detail::LeafAwaiter {
    public:
        explicit Awaiter(detail::BlockingState<T>* s) noexcept : state_(s) {}
        Awaiter(const Awaiter&) = delete;
        ~Awaiter() {
            if (registered_) {
                std::lock_guard lock(state_->mutex);
                state_->waker.reset();
            }
        }
        bool await_ready() const noexcept { return state_->done.load(std::memory_order_acquire); }
        template <detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(state_->mutex);
            if (state_->done.load(std::memory_order_acquire)) return false;
            state_->waker = h.promise().context->waker();
            registered_ = true;
            suspend_here(h);
            return true;
        }
        T await_resume() {
            if (state_->result.index() == 2) std::rethrow_exception(std::get<2>(state_->result));
            if constexpr (!std::is_void_v<T>) return std::move(std::get<1>(state_->result));
        }
        bool ready() noexcept override { return state_->done.load(std::memory_order_acquire); }
        const char* describe() const noexcept override { return "spawn_blocking result"; }

    private:
        detail::BlockingState<T>* state_;
        bool registered_ = false;
    };

    std::shared_ptr<detail::BlockingState<T>> state_;
};

/// Runs `f` on the blocking thread pool and returns an awaitable handle to its result.
///
///     auto contents = co_await weft::spawn_blocking([] { return read_whole_file("big.csv"); });
///
/// Use it for work that blocks the thread (file I/O, DNS, CPU-heavy computation) so that the
/// runtime's threads keep running tasks. The pool is the current runtime's, or a process-wide
/// one outside any runtime; threads are created on demand up to a cap and reused.
///
/// Thread safety: `f` runs on another thread; what it captures must be safe to use there.
template <class F>
auto spawn_blocking(F f) -> BlockingHandle<std::invoke_result_t<F&>> {
    using T = std::invoke_result_t<F&>;
    auto state = std::make_shared<detail::BlockingState<T>>();
    detail::BlockingPool::current().submit([state, f = std::move(f)]() mutable {
        try {
            if constexpr (std::is_void_v<T>) {
                f();
                state->result.template emplace<1>();
            } else {
                state->result.template emplace<1>(f());
            }
        } catch (...) {
            state->result.template emplace<2>(std::current_exception());
        }
        std::lock_guard lock(state->mutex);
        state->done.store(true, std::memory_order_release);
        return std::move(state->waker);  // the pool wakes it once this thread is free again
    });
    return BlockingHandle<T>(std::move(state));
}

}  // namespace weft
