#pragma once

#include <weft/combinator/detail/branch_wakers.hpp>
#include <weft/combinator/join.hpp>

namespace weft::detail {

template <class T>
class JoinAllAwaiter final : public PendingLeaf {
public:
    explicit JoinAllAwaiter(std::vector<Task<T>>& tasks) : tasks_(tasks), contexts_(tasks.size()) {}
    JoinAllAwaiter(const JoinAllAwaiter&) = delete;
    ~JoinAllAwaiter() {
        if (!wakers_) return;
        for (auto& t : tasks_) {
            if (!t.done()) t = {};  // cancelled: unregister every branch before the wakers go
        }
        wakers_->release();
    }

    bool await_ready() const noexcept { return tasks_.empty(); }
    template <HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) {
        TaskContext& parent = *h.promise().context;
        wakers_ = BranchWakers::create(tasks_.size(), parent.waker());
        remaining_ = tasks_.size();
        for (std::size_t i = 0; i < tasks_.size(); ++i) {
            contexts_[i].wakeable = wakers_->waker_for(i);
            tasks_[i].handle().promise().context = &contexts_[i];
        }
        for (std::size_t i = 0; i < tasks_.size(); ++i) poll_branch(i);
        if (remaining_ == 0) return false;
        continuation = h;
        parent.pending = this;
        return true;
    }
    void await_resume() const noexcept {}

    bool ready() noexcept override {
        wakers_->take_ready(woken_);
        for (std::size_t i : woken_) poll_branch(i);
        return remaining_ == 0;
    }
    const char* describe() const noexcept override { return "join_all"; }
    void describe_detail(std::string& out) const override {
        out += " (";
        out += std::to_string(remaining_);
        out += " of ";
        out += std::to_string(tasks_.size());
        out += " pending)";
    }

private:
    void poll_branch(std::size_t i) {
        Task<T>& t = tasks_[i];
        if (t.done()) return;
        contexts_[i].poll(t.handle());
        if (t.done()) --remaining_;
    }

    std::vector<Task<T>>& tasks_;
    std::vector<TaskContext> contexts_;
    BranchWakers* wakers_ = nullptr;
    std::size_t remaining_ = 0;
    std::vector<std::size_t> woken_;
};

}  // namespace weft::detail

namespace weft {

template <class T>
Task<std::vector<detail::BranchValue<T>>> join_all(std::vector<Task<T>> tasks) {
    co_await detail::JoinAllAwaiter<T>(tasks);
    std::vector<detail::BranchValue<T>> out;
    out.reserve(tasks.size());
    std::exception_ptr first;
    for (auto& t : tasks) {
        try {
            out.push_back(detail::take_branch_value(t));
        } catch (...) {
            if (!first) first = std::current_exception();
        }
    }
    if (first) std::rethrow_exception(first);
    co_return out;
}

}  // namespace weft
