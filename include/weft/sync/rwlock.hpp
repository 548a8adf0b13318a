#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <weft/sync/semaphore.hpp>

namespace weft::sync {

template <class T>
class RwLock;

/// Shared access to an `RwLock`'s value; releases it when destroyed.
///
/// Thread safety: one owner; it may be held across `co_await` and released on any thread.
/// Cancel safety: released with a cancelled task's frame.
template <class T>
class [[nodiscard]] RwLockReadGuard {
public:
    RwLockReadGuard(RwLockReadGuard&&) noexcept = default;
    RwLockReadGuard& operator=(RwLockReadGuard&&) noexcept = default;
    const T& operator*() const noexcept { return *value_; }
    const T* operator->() const noexcept { return value_; }

private:
    friend class RwLock<T>;
    RwLockReadGuard(const T* v, SemaphorePermit p) noexcept : value_(v), permit_(std::move(p)) {}
    const T* value_;
    SemaphorePermit permit_;
};

/// Exclusive access to an `RwLock`'s value; releases it when destroyed.
///
/// Thread safety: one owner; it may be held across `co_await` and released on any thread.
/// Cancel safety: released with a cancelled task's frame.
template <class T>
class [[nodiscard]] RwLockWriteGuard {
public:
    RwLockWriteGuard(RwLockWriteGuard&&) noexcept = default;
    RwLockWriteGuard& operator=(RwLockWriteGuard&&) noexcept = default;
    T& operator*() const noexcept { return *value_; }
    T* operator->() const noexcept { return value_; }

private:
    friend class RwLock<T>;
    RwLockWriteGuard(T* v, SemaphorePermit p) noexcept : value_(v), permit_(std::move(p)) {}
    T* value_;
    SemaphorePermit permit_;
};

/// An async reader-writer lock: many readers or one writer, and guards may be held across
/// `co_await`.
///
///     weft::sync::RwLock<Config> config;
///     { auto r = co_await config.read();  use(r->timeout); }
///     { auto w = co_await config.write(); w->timeout = 5s; }
///
/// Fair: requests are served in arrival order, so a waiting writer holds back readers that come
/// after it (writers are not starved), and readers queued behind it all enter together once it
/// is done. Built on a `Semaphore` with `max_readers` permits: a read takes one, a write all.
///
/// Thread safety: every member may be called from any thread of any runtime.
/// Cancel safety: destroying a pending `read()` or `write()` gives up its place in line and
/// hands back anything already assigned to it (a waiting writer collects permits from readers
/// as they leave), so nothing stays locked.
template <class T>
class RwLock {
public:
    /// Readers that may hold the lock at once (as in Tokio: a 32-bit count minus 3 bits).
    static constexpr std::size_t max_readers = std::numeric_limits<std::uint32_t>::max() >> 3;

    RwLock() requires std::is_default_constructible_v<T> : value_() {}
    explicit RwLock(T value) : value_(std::move(value)) {}
    RwLock(const RwLock&) = delete;
    RwLock& operator=(const RwLock&) = delete;

    template <class Guard>
    class [[nodiscard]] Awaiter {
    public:
        Awaiter(RwLock* lock, std::size_t n) : lock_(lock), acquire_(lock->sem_.acquire_many(n)) {}
        bool await_ready() noexcept { return acquire_.await_ready(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            return acquire_.await_suspend(h);  // the semaphore's awaiter is the leaf
        }
        Guard await_resume() {
            auto permit = acquire_.await_resume();
            assert(permit && "an RwLock's semaphore is never closed");
            return Guard(&lock_->value_, std::move(*permit));
        }

    private:
        RwLock* lock_;
        Semaphore::Acquire acquire_;
    };

    /// Waits for shared access.
    Awaiter<RwLockReadGuard<T>> read() { return {this, 1}; }
    /// Waits for exclusive access.
    Awaiter<RwLockWriteGuard<T>> write() { return {this, max_readers}; }

    /// Shared access if available now and nobody is queued; never waits.
    std::optional<RwLockReadGuard<T>> try_read() {
        auto p = sem_.try_acquire(1);
        if (!p) return std::nullopt;
        return RwLockReadGuard<T>(&value_, std::move(*p));
    }
    /// Exclusive access if nobody holds the lock and nobody is queued; never waits.
    std::optional<RwLockWriteGuard<T>> try_write() {
        auto p = sem_.try_acquire(max_readers);
        if (!p) return std::nullopt;
        return RwLockWriteGuard<T>(&value_, std::move(*p));
    }

    /// The value without locking, for when nothing else can reach the lock.
    T& get_mut() noexcept { return value_; }

private:
    Semaphore sem_{max_readers};
    T value_;
};

}  // namespace weft::sync
