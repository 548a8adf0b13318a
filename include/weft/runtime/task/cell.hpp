#pragma once

#include <atomic>
#include <exception>
#include <expected>
#include <optional>
#include <weft/runtime/task/header.hpp>
#include <weft/task.hpp>

namespace weft {

/// Why awaiting a `JoinHandle` produced no value.
struct JoinError {
    enum class Kind { cancelled, failed };
    Kind kind;
    std::exception_ptr exception;  ///< set when kind == failed

    bool is_cancelled() const noexcept { return kind == Kind::cancelled; }
    bool is_failed() const noexcept { return kind == Kind::failed; }
    /// Rethrows the task's exception (kind == failed).
    [[noreturn]] void rethrow() const { std::rethrow_exception(exception); }
};

namespace detail {

std::uint64_t next_task_id() noexcept;

/// The header and the root of a spawned task, in one allocation with its output.
template <class T>
class TaskCell final : public TaskHeader {
public:
    using Output = std::expected<T, JoinError>;

    TaskCell(Task<T> task, Scheduler* scheduler, const char* name, std::source_location loc)
        : TaskHeader(&vtable, scheduler, next_task_id(), name, loc), task_(std::move(task)) {
        task_.handle().promise().context = &context;
    }

    static TaskCell* from(TaskHeader* h) noexcept { return static_cast<TaskCell*>(h); }

    static void* operator new(std::size_t size) { return FrameCache::allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { FrameCache::deallocate(p, size); }

    /// The output, once the header says COMPLETE; read by the single JoinHandle.
    Output take_output() { return std::move(*output_); }

private:
    static bool poll(TaskHeader* h) {
        auto* self = from(h);
        self->context.poll(self->task_.handle());
        if (!self->task_.done()) return false;
        try {
            if constexpr (std::is_void_v<T>) {
                self->task_.take_result();
                self->output_.emplace();
            } else {
                self->output_.emplace(self->task_.take_result());
            }
        } catch (...) {
            self->output_.emplace(
                std::unexpected(JoinError{JoinError::Kind::failed, std::current_exception()}));
        }
        self->task_ = Task<T>{};  // free the frame now, on the owning thread
        return true;
    }
    static void cancel(TaskHeader* h) noexcept {
        auto* self = from(h);
        self->context.pending = nullptr;
        self->task_ = Task<T>{};  // destroying the frame releases what it held
        self->output_.emplace(std::unexpected(JoinError{JoinError::Kind::cancelled, nullptr}));
    }
    static void deallocate(TaskHeader* h) noexcept { delete from(h); }

    static constexpr TaskVTable vtable{&poll, &cancel, &deallocate};

    Task<T> task_;
    std::optional<Output> output_;
};

}  // namespace detail
}  // namespace weft
