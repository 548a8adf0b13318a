#pragma once

#include <stdexcept>
#include <utility>
#include <weft/runtime/task/cell.hpp>

namespace weft {

/// An owned permission to await a spawned task's result, or to abort it.
///
///     weft::JoinHandle<int> h = weft::spawn_local(compute());
///     std::expected<int, weft::JoinError> r = co_await h;
///     if (!r && r.error().is_cancelled()) { ... }
///
/// Dropping the handle detaches the task: it keeps running to completion (as in Tokio).
/// `abort()` asks the task to stop; its frame is destroyed on its own thread at the next poll,
/// and awaiting it then yields `JoinError::Kind::cancelled`.
///
/// Thread safety: `abort()` and `is_finished()` may be called from any thread; awaiting must
/// happen on a weft runtime (or in `block_on`), by one task at a time (the handle holds one
/// waiter's waker; two tasks awaiting the same handle at once is a data race).
/// Cancel safety: destroying a pending `co_await handle` only unregisters the waiter; the task
/// and its result are unaffected, and the handle may be awaited again.
///
/// Awaiting takes the output: a handle awaited as an rvalue (`co_await std::move(h)`,
/// `co_await weft::spawn(...)`) is emptied by it (`valid()` is false, as after `detach`), and the
/// task's memory goes as soon as the task is gone; awaited as an lvalue it keeps the task, and a
/// second await after the first returned yields a moved-from value. Awaiting an empty handle
/// (default-constructed, detached or moved from) throws `std::logic_error`.
template <class T>
class [[nodiscard]] JoinHandle {
public:
    using Output = std::expected<T, JoinError>;

    JoinHandle() noexcept = default;
    explicit JoinHandle(detail::TaskCell<T>* cell) noexcept : cell_(cell) {}
    JoinHandle(JoinHandle&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
    JoinHandle& operator=(JoinHandle&& o) noexcept {
        if (this != &o) {
            reset();
            cell_ = std::exchange(o.cell_, nullptr);
        }
        return *this;
    }
    ~JoinHandle() { reset(); }

    void abort() const noexcept {
        if (cell_) cell_->abort();
    }
    bool is_finished() const noexcept { return cell_ && cell_->is_complete(); }
    std::uint64_t id() const noexcept { return cell_ ? cell_->id() : 0; }
    /// Detaches explicitly (same as dropping the handle).
    void detach() noexcept { reset(); }
    bool valid() const noexcept { return cell_ != nullptr; }

    auto operator co_await() & noexcept { return Awaiter{cell_, false}; }
    /// The awaiter takes over the handle's reference (nothing refers to the handle meanwhile,
    /// so it may be moved or destroyed while the await is pending).
    auto operator co_await() && noexcept { return Awaiter{std::exchange(cell_, nullptr), true}; }

private:
    class Awaiter final : public detail::LeafAwaiter {
    public:
        Awaiter(detail::TaskCell<T>* cell, bool owns) noexcept : cell_(cell), owns_(owns) {}
        Awaiter(const Awaiter&) = delete;
        ~Awaiter() {
            if (registered_) cell_->clear_join_waker();
            if (owns_ && cell_) cell_->release();
        }
        bool await_ready() const noexcept {
            return !cell_ || (cell_->is_complete() && detail::coop::poll_proceed());
        }
        template <detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) noexcept {
            registered_ = cell_->set_join_waker(h.promise().context->waker());
            if (!registered_) {  // complete already
                if (!detail::coop::exhausted()) return false;
                yield_here(h);
                return true;
            }
            suspend_here(h);
            return true;
        }
        Output await_resume() {
            if (!cell_)
                throw std::logic_error(
                    "weft::JoinHandle awaited with no task (default-constructed, detached or moved "
                    "from)");
            return cell_->take_output();
        }
        bool ready() noexcept override { return cell_->is_complete(); }
        const char* describe() const noexcept override { return "join"; }
        void describe_detail(std::string& out) const override {
            out += " (task ";
            out += std::to_string(cell_->id());
            out += ')';
        }

    private:
        detail::TaskCell<T>* cell_;
        bool owns_;  // the handle's reference, taken from an rvalue handle
        bool registered_ = false;
    };

    void reset() noexcept {
        if (auto* c = std::exchange(cell_, nullptr)) c->release();
    }
    detail::TaskCell<T>* cell_ = nullptr;
};

}  // namespace weft
