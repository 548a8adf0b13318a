#pragma once

// A bounded set of tasks polled concurrently inside the task that owns it: the engine of
// `buffered` and `buffer_unordered`. Each slot has a waker of its own (BranchWakers), so a wake
// re-polls only the task that was woken, and memory is bounded by the capacity however long the
// input is.

#include <cstddef>
#include <deque>
#include <vector>
#include <weft/combinator/detail/branch_wakers.hpp>
#include <weft/task.hpp>

namespace weft::detail {

template <class U>
class InFlight {
public:
    explicit InFlight(std::size_t capacity) : slots_(capacity == 0 ? 1 : capacity) {
        for (std::size_t i = slots_.size(); i > 0; --i) free_.push_back(i - 1);
    }
    InFlight(const InFlight&) = delete;
    ~InFlight() {
        for (auto& s : slots_) s.task = {};  // cancel what still runs before the wakers go
        if (wakers_) wakers_->release();
    }

    bool full() const noexcept { return free_.empty(); }
    bool empty() const noexcept { return free_.size() == slots_.size(); }

    /// Starts `task` in a free slot (polling it once); returns the slot.
    std::size_t push(Task<U> task, TaskContext& owner) {
        if (!wakers_) wakers_ = BranchWakers::create(slots_.size(), owner.waker());
        std::size_t i = free_.back();
        free_.pop_back();
        Slot& s = slots_[i];
        s.task = std::move(task);
        s.context = TaskContext{};
        s.context.wakeable = wakers_->waker_for(i);
        s.task.handle().promise().context = &s.context;
        poll(i);
        return i;
    }

    /// Leaf: completes when `slot` (or, with `any_slot`, any slot) has finished.
    class Wait final : public PendingLeaf {
    public:
        Wait(InFlight& set, std::size_t slot) noexcept : set_(set), slot_(slot) {}
        bool await_ready() { return satisfied(); }
        template <HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            if (ready()) return false;
            continuation = h;
            h.promise().context->pending = this;
            return true;
        }
        void await_resume() const noexcept {}
        bool ready() noexcept override {
            set_.poll_woken();
            return satisfied();
        }
        const char* describe() const noexcept override { return "buffered tasks"; }

    private:
        bool satisfied() const noexcept {
            return slot_ == any_slot ? !set_.finished_.empty() : set_.slots_[slot_].task.done();
        }
        InFlight& set_;
        std::size_t slot_;
    };
    static constexpr std::size_t any_slot = static_cast<std::size_t>(-1);

    Wait wait(std::size_t slot) noexcept { return Wait(*this, slot); }
    Wait wait_any() noexcept { return Wait(*this, any_slot); }

    /// Takes the result of a finished slot and frees it (rethrows the task's exception).
    U take(std::size_t slot) {
        Slot& s = slots_[slot];
        Task<U> task = std::move(s.task);
        free_.push_back(slot);
        std::erase(finished_, slot);
        return task.take_result();
    }
    /// Takes the result of the earliest-finished slot.
    U take_any() { return take(finished_.front()); }

private:
    struct Slot {
        Task<U> task;
        TaskContext context;
    };

    void poll(std::size_t i) {
        Slot& s = slots_[i];
        if (!s.task.valid() || s.task.done()) return;
        s.context.poll(s.task.handle());
        if (s.task.done()) finished_.push_back(i);
    }
    void poll_woken() {
        if (!wakers_) return;
        wakers_->take_ready(woken_);
        for (std::size_t i : woken_) poll(i);
    }

    std::vector<Slot> slots_;
    std::vector<std::size_t> free_;
    std::deque<std::size_t> finished_;
    BranchWakers* wakers_ = nullptr;
    std::vector<std::size_t> woken_;
};

}  // namespace weft::detail
