#pragma once

#include <utility>

namespace weft {

/// Something that can be woken: a spawned task, a `block_on` caller, a combinator branch.
///
/// Implementations are reference counted so that a waker stored in a driver can never dangle:
/// waking a task that has finished or been destroyed is harmless.
class Wakeable {
public:
    /// Schedules the owner to be polled again. Safe from any thread, any number of times.
    virtual void wake_by_ref() noexcept = 0;
    virtual void add_ref() noexcept = 0;
    virtual void release() noexcept = 0;
    /// Wakes and gives up one reference. A task overrides it to hand that reference to its run
    /// queue instead of taking a new one and dropping this one: one atomic operation, not three.
    virtual void wake_by_val() noexcept {
        wake_by_ref();
        release();
    }

protected:
    ~Wakeable() = default;
};

/// An owning handle to a `Wakeable`, what drivers and channels store to resume a task later.
///
///     weft::Waker w = ctx.waker();     // clone: keeps the task's header alive
///     std::thread([w] { w.wake(); });  // from any thread
///
/// Thread safety: a `Waker` may be copied, moved, woken and destroyed on any thread.
class Waker {
public:
    Waker() noexcept = default;
    explicit Waker(Wakeable* target) noexcept : target_(target) {
        if (target_) target_->add_ref();
    }
    Waker(const Waker& other) noexcept : Waker(other.target_) {}
    Waker(Waker&& other) noexcept : target_(std::exchange(other.target_, nullptr)) {}
    Waker& operator=(Waker other) noexcept {
        std::swap(target_, other.target_);
        return *this;
    }
    ~Waker() {
        if (target_) target_->release();
    }

    void wake() const noexcept {
        if (target_) target_->wake_by_ref();
    }
    /// Wakes and drops the reference in one step: what to call on a waker about to be dropped.
    void wake_and_reset() noexcept {
        if (auto* t = std::exchange(target_, nullptr)) t->wake_by_val();
    }
    void reset() noexcept { *this = Waker{}; }
    bool will_wake(const Waker& other) const noexcept { return target_ == other.target_; }
    explicit operator bool() const noexcept { return target_ != nullptr; }

private:
    Wakeable* target_ = nullptr;
};

}  // namespace weft
