#pragma once

// A generic async object pool (database or HTTP connections, ...), modelled on Rust's deadpool.
//
// Slots are permits of a FIFO-fair `sync::Semaphore` (`max_size` of them): `get()` waits for a
// permit, then reuses an idle object (after the manager's `recycle` health check) or creates
// one. The `Object` guard holds the permit and the object; dropping it puts the object back in
// the idle queue and then releases the permit, so the next waiter in line finds it there.
// Waiting, fairness, cancellation and closing are therefore the semaphore's: a `get()` destroyed
// while waiting gives up its place and never leaks a slot.
//
// The shared state lives behind a `shared_ptr` that every `Pool` handle, `Object` and pending
// `get()` holds, so an object returned late (by a task destroyed during runtime shutdown, after
// the last `Pool` handle is gone) still has somewhere to go.
//
// Every change of the idle queue, the size and the slot accounting happens under one mutex
// (the semaphore's own lock nests inside it), which keeps `size <= max_size` and the permit
// count equal to `max_size` across `resize`, `close` and concurrent returns.

#include <concepts>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <weft/error.hpp>
#include <weft/pool/config.hpp>
#include <weft/pool/error.hpp>
#include <weft/sync/semaphore.hpp>
#include <weft/task.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/timeout.hpp>

namespace weft::pool {

/// What a `Pool<M>` needs from its manager:
///
///     struct TcpManager {
///         using Type = weft::net::TcpStream;
///         weft::Task<weft::Result<Type>> create();         // a new object (or an error)
///         weft::Task<weft::Result<void>> recycle(Type&);   // health check before reuse
///         void destroy(Type&) noexcept;                     // optional: before it is dropped
///     };
///
/// `recycle` failing drops the object and `get()` tries the next one (or creates one).
/// On a multi-thread runtime `create`, `recycle` and `destroy` may run concurrently on
/// several threads, so the manager must be thread-safe there, and objects move between
/// threads (one user at a time); on the current-thread runtime neither needs to be.
template <class M>
concept Manager = requires(M& m, typename M::Type& obj) {
    typename M::Type;
    requires std::move_constructible<typename M::Type>;
    { m.create() } -> std::same_as<Task<Result<typename M::Type>>>;
    { m.recycle(obj) } -> std::same_as<Task<Result<void>>>;
};

template <Manager M>
class Pool;
template <Manager M>
class Object;

namespace detail {

template <Manager M>
class Inner {
public:
    using T = typename M::Type;

    Inner(M manager, const Config& config)
        : manager_(std::move(manager)),
          config_(config),
          slots_(config.max_size),
          max_size_(config.max_size) {}
    Inner(const Inner&) = delete;
    Inner& operator=(const Inner&) = delete;
    ~Inner() {
        for (auto& entry : idle_) destroy(entry.object);
    }

    M& manager() noexcept { return manager_; }
    const Config& config() const noexcept { return config_; }
    sync::Semaphore& slots() noexcept { return slots_; }

    /// After a permit was granted: false when the pool is closed. A permit owed to a shrink
    /// (see `resize`) is forgotten here and `owed` is set: wait again.
    bool admit(sync::SemaphorePermit& permit, bool& owed) {
        std::lock_guard lock(mutex_);
        owed = false;
        if (closed_) return false;
        if (debt_ > 0) {
            --debt_;
            permit.forget();
            owed = true;
        }
        return true;
    }

    /// The next idle object still within its idle-time limit, if any; expired ones are dropped.
    std::optional<T> take_idle() {
        std::deque<IdleEntry> expired;
        std::optional<T> found;
        {
            std::lock_guard lock(mutex_);
            const auto now = time::now();
            while (!idle_.empty() && !found) {
                IdleEntry entry = std::move(idle_.front());
                idle_.pop_front();
                if (is_expired(entry, now)) {
                    --size_;
                    expired.push_back(std::move(entry));
                } else {
                    found.emplace(std::move(entry.object));
                }
            }
        }
        for (auto& entry : expired) destroy(entry.object);
        return found;
    }

    /// Counts an object about to be created.
    void reserve() {
        std::lock_guard lock(mutex_);
        ++size_;
    }
    /// An object reserved or taken out dies instead of coming back.
    void forget_one() {
        std::lock_guard lock(mutex_);
        --size_;
    }
    /// Drops an object that was counted in `size` (failed recycle, cancelled get).
    void discard(T& object) {
        forget_one();
        destroy(object);
    }

    /// An `Object` guard is done with `object`: back to the idle queue, or dropped.
    void give_back(std::optional<T>& object, bool broken, sync::SemaphorePermit& permit) noexcept {
        std::deque<IdleEntry> dropped;
        {
            std::lock_guard lock(mutex_);
            if (object) {
                if (broken || closed_ || size_ > max_size_) {
                    --size_;
                    dropped.push_back(IdleEntry{std::move(*object), {}});
                } else {
                    IdleEntry entry{std::move(*object), time::now()};
                    if (config_.queue_mode == QueueMode::fifo)
                        idle_.push_back(std::move(entry));
                    else
                        idle_.push_front(std::move(entry));
                    prune_locked(dropped);
                }
                object.reset();
            }
            if (debt_ > 0) {
                --debt_;
                permit.forget();
            }
            permit.release();  // under the lock: the next waiter finds the object queued
        }
        for (auto& entry : dropped) destroy(entry.object);
    }

    Status status() const {
        std::lock_guard lock(mutex_);
        return Status{max_size_, size_, idle_.size(), waiting_};
    }

    void resize(std::size_t n) {
        if (n == 0 || n > sync::Semaphore::max_permits)
            throw std::invalid_argument(
                "weft::pool::Pool::resize: size must be in [1, Semaphore::max_permits]");
        std::deque<IdleEntry> dropped;
        {
            std::lock_guard lock(mutex_);
            if (n > max_size_) {
                std::size_t grow = n - max_size_;
                std::size_t repaid = std::min(grow, debt_);
                debt_ -= repaid;
                if (grow > repaid) slots_.add_permits(grow - repaid);
            } else if (n < max_size_) {
                std::size_t shrink = max_size_ - n;
                debt_ += shrink - slots_.forget_permits(shrink);
            }
            max_size_ = n;
            // Surplus idle objects go now; objects in use go when they come back.
            while (size_ > max_size_ && !idle_.empty()) {
                dropped.push_back(std::move(idle_.back()));
                idle_.pop_back();
                --size_;
            }
        }
        for (auto& entry : dropped) destroy(entry.object);
    }

    void close() noexcept {
        std::deque<IdleEntry> dropped;
        {
            std::lock_guard lock(mutex_);
            if (closed_) return;
            closed_ = true;
            size_ -= idle_.size();
            dropped.swap(idle_);
            slots_.close();
        }
        for (auto& entry : dropped) destroy(entry.object);
    }
    bool is_closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }

    /// Drops idle objects past the idle-time limit now.
    void prune_idle() {
        std::deque<IdleEntry> dropped;
        {
            std::lock_guard lock(mutex_);
            prune_locked(dropped);
        }
        for (auto& entry : dropped) destroy(entry.object);
    }

    void add_waiting(std::ptrdiff_t d) {
        std::lock_guard lock(mutex_);
        waiting_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(waiting_) + d);
    }

private:
    struct IdleEntry {
        T object;
        time::Instant since;
    };

    bool is_expired(const IdleEntry& e, time::Instant now) const {
        return config_.max_idle_time && now - e.since >= *config_.max_idle_time;
    }

    void prune_locked(std::deque<IdleEntry>& dropped) {
        if (!config_.max_idle_time) return;
        const auto now = time::now();
        for (auto it = idle_.begin(); it != idle_.end();) {
            if (is_expired(*it, now)) {
                dropped.push_back(std::move(*it));
                it = idle_.erase(it);
                --size_;
            } else {
                ++it;
            }
        }
    }

    void destroy(T& object) noexcept {
        if constexpr (requires { manager_.destroy(object); }) manager_.destroy(object);
    }

    M manager_;
    const Config config_;
    sync::Semaphore slots_;
    mutable std::mutex mutex_;
    std::deque<IdleEntry> idle_;
    std::size_t size_ = 0;     ///< objects alive: idle, in use, being created
    std::size_t max_size_;     ///< permits alive (free + held) minus debt_
    std::size_t debt_ = 0;     ///< permits to forget as they come back, after a shrink
    std::size_t waiting_ = 0;  ///< get() calls waiting for a permit
    bool closed_ = false;
};

}  // namespace detail

/// A pooled object, on loan: use it through `*` and `->`; it goes back to the pool when the
/// guard is destroyed, or is dropped if `mark_broken()` was called.
///
///     auto conn = co_await pool.get();            // Result<Object<M>>
///     if (!conn) co_return conn.error();
///     auto n = co_await (*conn)->write(request);
///     if (!n) conn->mark_broken();                 // a dead connection must not be reused
///
/// Thread safety: one owner; it may be moved to and dropped on any thread (on a multi-thread
/// runtime). Dropping it after the runtime or the last `Pool` handle is gone is safe.
template <Manager M>
class [[nodiscard]] Object {
public:
    using T = typename M::Type;

    Object(Object&&) noexcept = default;
    Object& operator=(Object&& o) noexcept {
        if (this != &o) {
            give_back();
            inner_ = std::move(o.inner_);
            object_ = std::move(o.object_);
            o.object_.reset();
            permit_ = std::move(o.permit_);
            broken_ = o.broken_;
        }
        return *this;
    }
    ~Object() { give_back(); }

    T& operator*() noexcept { return *object_; }
    const T& operator*() const noexcept { return *object_; }
    T* operator->() noexcept { return &*object_; }
    const T* operator->() const noexcept { return &*object_; }

    /// The object must not be reused: it is dropped (and its slot freed) instead of returned.
    void mark_broken() noexcept { broken_ = true; }
    bool is_broken() const noexcept { return broken_; }

    /// Takes the object out of the pool for good; its slot is freed, and the pool may create
    /// a replacement.
    static T take(Object&& o) {
        T value = std::move(*o.object_);
        o.object_.reset();
        o.inner_->forget_one();
        o.give_back();
        return value;
    }

private:
    friend class Pool<M>;
    Object(std::shared_ptr<detail::Inner<M>> inner, T object, sync::SemaphorePermit permit)
        : inner_(std::move(inner)), object_(std::move(object)), permit_(std::move(permit)) {}

    void give_back() noexcept {
        if (inner_) inner_->give_back(object_, broken_, permit_);
        inner_.reset();
    }

    std::shared_ptr<detail::Inner<M>> inner_;  // declared first: outlives the permit
    std::optional<T> object_;
    sync::SemaphorePermit permit_;
    bool broken_ = false;
};

/// A pool of objects made by a `Manager` (connections, sessions), shared by many tasks.
///
///     weft::pool::Config cfg;
///     cfg.max_size = 4;
///     cfg.wait_timeout = 1s;
///     weft::pool::Pool<TcpManager> pool(TcpManager{addr}, cfg);
///     auto conn = co_await pool.get();   // at most 4 connections, reused across tasks
///
/// `get()` waits for a free slot (waiters are served in arrival order), then hands out an
/// idle object that passes the manager's `recycle` check, or a new one from `create`. Errors:
/// `Errc::wait_timed_out`, `create_timed_out`, `recycle_timed_out`, `closed`, or the
/// manager's own error from `create`, unchanged.
///
/// `Pool` is a cheap handle: copies share one pool.
///
/// Thread safety: every member may be called from any thread; see `Manager` for what the
/// manager and its objects need on a multi-thread runtime.
/// Cancel safety: destroying a pending `get()` frees its place in line and its slot; an object
/// it was creating or recycling is dropped.
template <Manager M>
class Pool {
public:
    using T = typename M::Type;

    /// Throws std::invalid_argument when `config.max_size` is 0 (or absurdly large).
    explicit Pool(M manager, Config config = {}) : inner_(make(std::move(manager), config)) {}

    /// Waits for an object (see the class comment). Needs a runtime on the calling thread.
    Task<Result<Object<M>>> get() const { return get_from(inner_); }

    /// Occupancy now.
    Status status() const { return inner_->status(); }

    /// Changes `max_size`. Growing frees new slots at once; shrinking drops surplus idle
    /// objects now and surplus objects in use when they come back. Throws
    /// std::invalid_argument for 0.
    void resize(std::size_t max_size) { inner_->resize(max_size); }

    /// Closes the pool: waiting and later `get()`s fail with `Errc::closed`, idle objects are
    /// dropped now and objects in use when they come back.
    void close() noexcept { inner_->close(); }
    bool is_closed() const { return inner_->is_closed(); }

    /// Drops idle objects past `max_idle_time` now (otherwise that happens as objects are
    /// taken and returned).
    void prune_idle() { inner_->prune_idle(); }

    /// The manager, e.g. to read its settings. Shared with every task using the pool.
    M& manager() noexcept { return inner_->manager(); }

private:
    using Inner = detail::Inner<M>;

    static std::shared_ptr<Inner> make(M manager, const Config& config) {
        if (config.max_size == 0 || config.max_size > sync::Semaphore::max_permits)
            throw std::invalid_argument("weft::pool::Pool: max_size must be in [1, Semaphore::max_permits]");
        return std::make_shared<Inner>(std::move(manager), config);
    }

    static Task<Result<sync::SemaphorePermit>> acquire_slot(std::shared_ptr<Inner> inner) {
        co_return co_await inner->slots().acquire();
    }

    /// Counts the caller as waiting while it exists (also when its frame is destroyed).
    struct WaitingMark {
        Inner* inner;
        explicit WaitingMark(Inner* i) : inner(i) { inner->add_waiting(1); }
        WaitingMark(const WaitingMark&) = delete;
        ~WaitingMark() { inner->add_waiting(-1); }
    };

    static Task<Result<sync::SemaphorePermit>> wait_for_slot(std::shared_ptr<Inner> inner) {
        const auto& limit = inner->config().wait_timeout;
        for (;;) {
            Result<sync::SemaphorePermit> permit;
            if (limit && *limit <= time::Duration::zero()) {
                auto now = inner->slots().try_acquire();
                if (now)
                    permit = std::move(*now);
                else
                    permit = std::unexpected(now.error() == sync::TryAcquireError::closed
                                                 ? make_error_code(Errc::closed)
                                                 : make_error_code(Errc::wait_timed_out));
            } else {
                WaitingMark mark(inner.get());
                if (limit) {
                    auto timed = time::timeout(*limit, acquire_slot(inner));
                    permit = co_await timed;
                } else {
                    permit = co_await acquire_slot(inner);
                }
            }
            if (!permit) {
                if (weft::is_timeout(permit.error()))
                    co_return std::unexpected(make_error_code(Errc::wait_timed_out));
                if (permit.error() == weft::Errc::closed)
                    co_return std::unexpected(make_error_code(Errc::closed));
                co_return permit;
            }
            bool owed = false;
            if (!inner->admit(*permit, owed)) co_return std::unexpected(make_error_code(Errc::closed));
            if (!owed) co_return permit;
            // The permit paid off a shrink: wait for another (the wait timeout starts over).
        }
    }

    /// An object in the get() frame, dropped (and uncounted) unless handed out.
    struct Holding {
        Inner* inner;
        std::optional<T> object;
        Holding(Inner* i, T o) : inner(i), object(std::move(o)) {}
        Holding(const Holding&) = delete;
        ~Holding() {
            if (object) inner->discard(*object);
        }
    };

    /// A slot counted in `size` while an object is created, uncounted unless the object comes.
    struct Reservation {
        Inner* inner;
        bool kept = false;
        explicit Reservation(Inner* i) : inner(i) { inner->reserve(); }
        Reservation(const Reservation&) = delete;
        ~Reservation() {
            if (!kept) inner->forget_one();
        }
    };

    static Task<Result<Object<M>>> get_from(std::shared_ptr<Inner> inner) {
        auto permit = co_await wait_for_slot(inner);
        if (!permit) co_return std::unexpected(permit.error());

        // Reuse an idle object that passes its health check; failed ones are dropped.
        while (auto idle = inner->take_idle()) {
            Holding held(inner.get(), std::move(*idle));
            Result<void> healthy;
            if (const auto& limit = inner->config().recycle_timeout) {
                auto timed = time::timeout(*limit, inner->manager().recycle(*held.object));
                healthy = co_await timed;
                if (!healthy && weft::is_timeout(healthy.error()))
                    co_return std::unexpected(make_error_code(Errc::recycle_timed_out));
            } else {
                healthy = co_await inner->manager().recycle(*held.object);
            }
            if (healthy) {
                T object = std::move(*held.object);
                held.object.reset();
                co_return Object<M>(inner, std::move(object), std::move(*permit));
            }
        }

        Reservation slot(inner.get());
        std::optional<Result<T>> created;  // T need not be default-constructible
        if (const auto& limit = inner->config().create_timeout) {
            auto timed = time::timeout(*limit, inner->manager().create());
            created.emplace(co_await timed);
            if (!*created && weft::is_timeout(created->error()))
                co_return std::unexpected(make_error_code(Errc::create_timed_out));
        } else {
            created.emplace(co_await inner->manager().create());
        }
        if (!*created) co_return std::unexpected(created->error());
        slot.kept = true;
        co_return Object<M>(inner, std::move(**created), std::move(*permit));
    }

    std::shared_ptr<Inner> inner_;
};

}  // namespace weft::pool
