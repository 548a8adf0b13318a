#pragma once

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <weft/sync/semaphore.hpp>

namespace weft::sync {

template <class T>
class Mutex;

/// Exclusive access to a `Mutex`'s value; unlocks when destroyed.
///
///     auto guard = co_await m.lock();
///     guard->push_back(x);            // or (*guard).push_back(x)
///
/// Thread safety: one owner. It may be held across `co_await` and released on another thread
/// (a task that moved between workers), unlike a `std::mutex` lock.
/// Cancel safety: a guard held by a cancelled task unlocks with its frame (the value may be
/// left half-updated, as after an exception).
template <class T>
class [[nodiscard]] MutexGuard {
public:
    MutexGuard(MutexGuard&& o) noexcept : m_(std::exchange(o.m_, nullptr)), permit_(std::move(o.permit_)) {}
    MutexGuard& operator=(MutexGuard&& o) noexcept {
        if (this != &o) {
            unlock();
            m_ = std::exchange(o.m_, nullptr);
            permit_ = std::move(o.permit_);
        }
        return *this;
    }
    ~MutexGuard() = default;  // the permit goes back: the first waiter gets the lock

    T& operator*() const noexcept { return m_->value_; }
    T* operator->() const noexcept { return &m_->value_; }

    /// Unlocks now (as destruction would); the guard is then empty.
    void unlock() noexcept {
        m_ = nullptr;
        permit_.release();
    }

private:
    friend class Mutex<T>;
    MutexGuard(Mutex<T>* m, SemaphorePermit permit) noexcept : m_(m), permit_(std::move(permit)) {}
    Mutex<T>* m_;
    SemaphorePermit permit_;
};

/// An async mutex: `co_await m.lock()` waits without blocking the thread, and the guard may be
/// held across `co_await` points.
///
///     weft::sync::Mutex<std::vector<int>> shared;
///     {
///         auto g = co_await shared.lock();
///         g->push_back(co_await fetch());   // other tasks wait meanwhile, threads do not
///     }
///
/// Fair: tasks get the lock in the order they asked for it, and an unlock hands it straight to
/// the first waiter (no barging). Built on a one-permit `Semaphore`. Prefer `std::mutex` for
/// short critical sections that never await: it is cheaper.
///
/// Thread safety: every member may be called from any thread of any runtime.
/// Cancel safety: destroying a pending `lock()` gives up its place in line; if the lock had
/// just been handed to it, it passes on to the next waiter. Nothing is left locked.
template <class T>
class Mutex {
public:
    Mutex() requires std::is_default_constructible_v<T> : value_() {}
    explicit Mutex(T value) : value_(std::move(value)) {}
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    class [[nodiscard]] LockAwaiter {
    public:
        explicit LockAwaiter(Mutex* m) noexcept : m_(m), acquire_(m->sem_.acquire()) {}
        bool await_ready() noexcept { return acquire_.await_ready(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            return acquire_.await_suspend(h);  // the semaphore's awaiter is the leaf
        }
        MutexGuard<T> await_resume() {
            auto permit = acquire_.await_resume();
            assert(permit && "a Mutex's semaphore is never closed");
            return MutexGuard<T>(m_, std::move(*permit));
        }

    private:
        Mutex* m_;
        Semaphore::Acquire acquire_;
    };

    /// Waits for the lock; yields the guard.
    LockAwaiter lock() noexcept { return LockAwaiter(this); }

    /// The lock if it is free and nobody waits for it; never waits.
    std::optional<MutexGuard<T>> try_lock() {
        auto permit = sem_.try_acquire();
        if (!permit) return std::nullopt;
        return MutexGuard<T>(this, std::move(*permit));
    }

    /// The value without locking, for when nothing else can reach the mutex (setup, teardown).
    T& get_mut() noexcept { return value_; }

private:
    friend class MutexGuard<T>;
    Semaphore sem_{1};  // one permit: the lock
    T value_;
};

}  // namespace weft::sync
