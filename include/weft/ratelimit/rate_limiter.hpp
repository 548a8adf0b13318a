#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <weft/error.hpp>
#include <weft/ratelimit/clock.hpp>
#include <weft/ratelimit/detail/gcra.hpp>
#include <weft/ratelimit/error.hpp>
#include <weft/ratelimit/jitter.hpp>
#include <weft/ratelimit/quota.hpp>
#include <weft/task.hpp>

namespace weft::ratelimit {

/// Outcome of `check_n`: the outer error says the request can never pass (more than the burst),
/// the inner one says when it could.
using CheckNResult = std::expected<std::expected<void, NotUntil>, InsufficientCapacity>;

/// A rate limiter for one stream of events (GCRA, as in Rust's `governor`).
///
///     weft::ratelimit::RateLimiter limiter(weft::ratelimit::Quota::per_second(50));
///     for (auto& url : urls) {
///         co_await limiter.until_ready();   // at most 50 a second, evenly spaced
///         spawn(fetch(url));
///     }
///
/// `check()` answers at once (and says when to come back); `until_ready()` waits for the cell.
/// The state is one atomic 64-bit word updated with a compare-and-swap, so checks from any
/// number of threads never lock and never let more through than the quota.
///
/// Time comes from `weft::time::now()` of the calling thread's runtime (so paused time makes
/// tests exact), or from a `Clock` given at construction. Timer wakes are late by up to a
/// millisecond; with a burst of 1 that lateness is lost, so for rates near 1000/s give the
/// quota a burst (`allow_burst`) that absorbs it.
///
/// Waiters are not queued: when several wait for the same cell, whoever checks first after it
/// is due gets it (as in `governor`). Give them a `Jitter` to spread them out.
///
/// Thread safety: every member may be called from any thread. The limiter must outlive the
/// tasks that wait on it.
/// Cancel safety: a cell is taken only at the moment a wait completes, so destroying a pending
/// `until_ready()` takes nothing.
class RateLimiter {
public:
    explicit RateLimiter(const Quota& quota) : gcra_(quota, nullptr) {}
    /// Reads the time from `clock`, which must outlive the limiter.
    RateLimiter(const Quota& quota, const Clock& clock) : gcra_(quota, &clock) {}
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    /// Takes one cell if it is there now.
    std::expected<void, NotUntil> check() { return check_at(gcra_.now_ns(), 1); }

    /// Takes `n` cells at once if they are all there now (none otherwise). `n` of 0 always
    /// passes; `n` above the burst never does.
    CheckNResult check_n(std::uint32_t n) {
        if (n > gcra_.quota().burst_size())
            return std::unexpected(InsufficientCapacity{gcra_.quota().burst_size()});
        if (n == 0) return std::expected<void, NotUntil>{};
        return check_at(gcra_.now_ns(), n);
    }

    /// Waits until a cell is there and takes it.
    Task<void> until_ready() { return until_ready_with_jitter(Jitter{}); }
    /// As `until_ready`, adding a random delay to every wait.
    Task<void> until_ready_with_jitter(Jitter jitter);

    /// Waits until `n` cells are there at once and takes them; fails with
    /// `Errc::insufficient_capacity` at once when `n` is above the burst.
    Task<Result<void>> until_n_ready(std::uint32_t n) { return until_n_ready_with_jitter(n, Jitter{}); }
    /// As `until_n_ready`, adding a random delay to every wait.
    Task<Result<void>> until_n_ready_with_jitter(std::uint32_t n, Jitter jitter);

    const Quota& quota() const noexcept { return gcra_.quota(); }

private:
    std::expected<void, NotUntil> check_at(std::uint64_t now, std::uint32_t n) {
        auto d = gcra_.take(tat_, now, n);
        if (d.allowed) return {};
        return std::unexpected(NotUntil{gcra_.instant_at(d.earliest_ns)});
    }

    detail::Gcra gcra_;
    std::atomic<std::uint64_t> tat_{0};
};

}  // namespace weft::ratelimit
