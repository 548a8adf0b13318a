#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>
#include <weft/runtime/waker.hpp>

namespace weft::detail {

/// One waker per branch of a combinator over many tasks (`join_all`, `buffer_unordered`): a
/// wake records which branch may progress and wakes the parent task, so the parent polls only
/// those branches instead of all of them.
///
/// Reference counted: a branch waker held by a driver or another thread may outlive the
/// combinator. The combinator holds one reference and drops it when it is destroyed.
class BranchWakers {
public:
    static BranchWakers* create(std::size_t branches, Waker parent) {
        return new BranchWakers(branches, std::move(parent));
    }

    Wakeable* waker_for(std::size_t index) noexcept { return &wakers_[index]; }

    /// Branches woken since the last call; their flags are cleared, so a wake during the poll
    /// that follows is recorded again.
    void take_ready(std::vector<std::size_t>& out) {
        out.clear();
        {
            std::lock_guard lock(mutex_);
            out.swap(ready_);
        }
        for (std::size_t i : out) notified_[i].store(false, std::memory_order_seq_cst);
    }

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

private:
    class BranchWaker final : public Wakeable {
    public:
        void wake_by_ref() noexcept override { set->notify(index); }
        void add_ref() noexcept override { set->add_ref(); }
        void release() noexcept override { set->release(); }
        BranchWakers* set = nullptr;
        std::size_t index = 0;
    };

    BranchWakers(std::size_t n, Waker parent)
        : wakers_(n), notified_(std::make_unique<std::atomic<bool>[]>(n)), parent_(std::move(parent)) {
        for (std::size_t i = 0; i < n; ++i) {
            wakers_[i].set = this;
            wakers_[i].index = i;
        }
        ready_.reserve(n);
    }

    void notify(std::size_t index) noexcept {
        if (!notified_[index].exchange(true, std::memory_order_seq_cst)) {
            std::lock_guard lock(mutex_);
            ready_.push_back(index);
        }
        parent_.wake();
    }

    std::vector<BranchWaker> wakers_;
    std::unique_ptr<std::atomic<bool>[]> notified_;
    Waker parent_;
    std::mutex mutex_;
    std::vector<std::size_t> ready_;
    std::atomic<std::size_t> refs_{1};
};

}  // namespace weft::detail
