#pragma once

#include <atomic>
#include <exception>
#include <expected>
#include <memory>
#include <type_traits>
#include <variant>
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
///
/// The frame and the output share storage: the output is written only once the frame is gone,
/// and the header's OUTPUT_* bits say which of the two (and which output) is alive. That keeps
/// the cell of a `Task<void>` at 104 bytes.
template <class T>
class TaskCell final : public TaskHeader {
public:
    using Output = std::expected<T, JoinError>;

    TaskCell(Task<T> task, Scheduler* scheduler, const char* name, std::source_location loc)
        : TaskHeader(scheduler, next_task_id(), name, loc) {
        std::construct_at(&slot_.task, std::move(task));
        slot_.task.handle().promise().context = &context;
    }
    TaskCell(const TaskCell&) = delete;
    TaskCell& operator=(const TaskCell&) = delete;

    static void* operator new(std::size_t size) { return FrameCache::allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { FrameCache::deallocate(p, size); }

    /// The output, once the header says COMPLETE; read by the single JoinHandle.
    Output take_output() {
        switch (output()) {
            case OUTPUT_VALUE:
                if constexpr (std::is_void_v<T>)
                    return {};
                else
                    return Output(std::move(slot_.value));
            case OUTPUT_ERROR:
                return std::unexpected(JoinError{JoinError::Kind::failed, slot_.error});
            default:
                return std::unexpected(JoinError{JoinError::Kind::cancelled, nullptr});
        }
    }

private:
    ~TaskCell() {
        switch (output()) {
            case 0:
                std::destroy_at(&slot_.task);
                break;
            case OUTPUT_VALUE:
                std::destroy_at(&slot_.value);
                break;
            case OUTPUT_ERROR:
                std::destroy_at(&slot_.error);
                break;
            default:
                break;
        }
    }

    std::uint64_t poll_frame() override {
        context.poll(slot_.task.handle());
        if (!slot_.task.done()) return 0;
        // Take the result out, free the frame now (on the owning thread), then store the result
        // where the frame's handle was.
        bool frame_gone = false;
        try {
            if constexpr (std::is_void_v<T>) {
                slot_.task.take_result();
                std::destroy_at(&slot_.task);
                frame_gone = true;
                std::construct_at(&slot_.value);
            } else {
                T value = slot_.task.take_result();
                std::destroy_at(&slot_.task);
                frame_gone = true;
                std::construct_at(&slot_.value, std::move(value));
            }
            return OUTPUT_VALUE;
        } catch (...) {
            std::exception_ptr error = std::current_exception();
            if (!frame_gone) std::destroy_at(&slot_.task);
            std::construct_at(&slot_.error, std::move(error));
            return OUTPUT_ERROR;
        }
    }
    void cancel_frame() noexcept override {
        context.pending = nullptr;
        std::destroy_at(&slot_.task);  // destroying the frame releases what it held
    }
    void deallocate() noexcept override { delete this; }

    using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
    union Slot {
        Slot() noexcept {}
        ~Slot() {}
        Task<T> task;
        Value value;
        std::exception_ptr error;
    } slot_;
};

}  // namespace detail
}  // namespace weft
