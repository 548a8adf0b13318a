#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <weft/error.hpp>
#include <weft/ratelimit/clock.hpp>
#include <weft/ratelimit/detail/gcra.hpp>
#include <weft/ratelimit/error.hpp>
#include <weft/ratelimit/jitter.hpp>
#include <weft/ratelimit/quota.hpp>
#include <weft/ratelimit/rate_limiter.hpp>
#include <weft/task.hpp>

namespace weft::ratelimit {

/// One rate limit per key (per host, per user), all with the same quota.
///
///     weft::ratelimit::KeyedRateLimiter<std::string> per_host(Quota::per_second(5));
///     co_await per_host.until_ready(url.host);   // 5/s to each host, any number of hosts
///
/// Each key's state is one atomic 64-bit word (see `RateLimiter`), kept in one of 16 shards;
/// finding it takes the shard's shared lock, taking cells is a compare-and-swap under it. A key
/// is added under the shard's exclusive lock on its first check.
///
/// Bounded memory: a key whose bucket is full again (quiet for one burst window, interval ×
/// burst) behaves exactly like a key never seen, so it can be dropped without changing any
/// answer. Each shard drops such keys whenever it has doubled since its last sweep (amortised
/// O(1) per new key), so the limiter holds at most about twice the keys that took a cell within
/// the last burst window, plus 64 per shard. `retain_recent()` sweeps every shard now.
///
/// Thread safety: every member may be called from any thread; `Hash` and `Eq` must be callable
/// concurrently. The limiter must outlive the tasks that wait on it.
/// Cancel safety: as `RateLimiter`: a destroyed `until_ready(key)` takes nothing.
template <class Key, class Hash = std::hash<Key>, class Eq = std::equal_to<Key>>
class KeyedRateLimiter {
public:
    explicit KeyedRateLimiter(const Quota& quota) : gcra_(quota, nullptr) {}
    /// Reads the time from `clock`, which must outlive the limiter.
    KeyedRateLimiter(const Quota& quota, const Clock& clock) : gcra_(quota, &clock) {}
    KeyedRateLimiter(const KeyedRateLimiter&) = delete;
    KeyedRateLimiter& operator=(const KeyedRateLimiter&) = delete;

    /// Takes one of `key`'s cells if it is there now.
    std::expected<void, NotUntil> check(const Key& key) { return check_at(key, 1); }

    /// Takes `n` of `key`'s cells at once if they are all there now (see `RateLimiter::check_n`).
    CheckNResult check_n(const Key& key, std::uint32_t n) {
        if (n > gcra_.quota().burst_size())
            return std::unexpected(InsufficientCapacity{gcra_.quota().burst_size()});
        if (n == 0) return std::expected<void, NotUntil>{};
        return check_at(key, n);
    }

    /// Waits until one of `key`'s cells is there and takes it.
    Task<void> until_ready(Key key) { return until_ready_with_jitter(std::move(key), Jitter{}); }
    Task<void> until_ready_with_jitter(Key key, Jitter jitter) {
        for (;;) {
            auto d = take(key, 1);
            if (d.allowed) co_return;
            auto wait = gcra_.sleep_until_cell(d.earliest_ns, jitter);
            co_await wait;
        }
    }

    /// Waits until `n` of `key`'s cells are there at once; `Errc::insufficient_capacity` when
    /// `n` is above the burst.
    Task<Result<void>> until_n_ready(Key key, std::uint32_t n) {
        return until_n_ready_with_jitter(std::move(key), n, Jitter{});
    }
    Task<Result<void>> until_n_ready_with_jitter(Key key, std::uint32_t n, Jitter jitter) {
        if (n > gcra_.quota().burst_size())
            co_return std::unexpected(make_error_code(Errc::insufficient_capacity));
        if (n == 0) co_return Result<void>{};
        for (;;) {
            auto d = take(key, n);
            if (d.allowed) co_return Result<void>{};
            auto wait = gcra_.sleep_until_cell(d.earliest_ns, jitter);
            co_await wait;
        }
    }

    /// Drops every key whose bucket is full again (indistinguishable from a new key).
    void retain_recent() {
        const std::uint64_t now = gcra_.now_ns();
        for (auto& shard : shards_) {
            std::unique_lock lock(shard.mutex);
            sweep(shard, now);
        }
    }

    /// How many keys are tracked now.
    std::size_t len() const {
        std::size_t n = 0;
        for (auto& shard : shards_) {
            std::shared_lock lock(shard.mutex);
            n += shard.map.size();
        }
        return n;
    }

    const Quota& quota() const noexcept { return gcra_.quota(); }

private:
    static constexpr std::size_t shard_count = 16;
    static constexpr std::size_t min_sweep_size = 64;

    struct alignas(64) Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<Key, std::atomic<std::uint64_t>, Hash, Eq> map;
        std::size_t sweep_at = min_sweep_size;  ///< sweep when the map reaches this size
    };

    std::expected<void, NotUntil> check_at(const Key& key, std::uint32_t n) {
        auto d = take(key, n);
        if (d.allowed) return {};
        return std::unexpected(NotUntil{gcra_.instant_at(d.earliest_ns)});
    }

    Shard& shard_of(const Key& key) {
        // The top bits of a multiplicative hash: the map itself uses the low bits of Hash.
        std::uint64_t h = static_cast<std::uint64_t>(hash_(key)) * 0x9E3779B97F4A7C15ull;
        return shards_[h >> 60];
    }

    // `now` is read under the shard's lock: a key dropped by a sweep at time t is then only
    // recreated by a check at t or later, which gets the answer the dropped key would have.
    detail::Decision take(const Key& key, std::uint32_t n) {
        Shard& shard = shard_of(key);
        {
            std::shared_lock lock(shard.mutex);
            auto it = shard.map.find(key);
            // The CAS runs under the shared lock, so a sweep cannot free the word meanwhile.
            if (it != shard.map.end()) return gcra_.take(it->second, gcra_.now_ns(), n);
        }
        std::unique_lock lock(shard.mutex);
        const std::uint64_t now = gcra_.now_ns();
        if (shard.map.size() >= shard.sweep_at) {
            sweep(shard, now);
            shard.sweep_at = std::max(min_sweep_size, 2 * shard.map.size());
        }
        auto [it, inserted] = shard.map.try_emplace(key, 0);
        return gcra_.take(it->second, now, n);
    }

    static void sweep(Shard& shard, std::uint64_t now) {
        std::erase_if(shard.map, [now](const auto& entry) {
            return detail::Gcra::is_idle(entry.second.load(std::memory_order_relaxed), now);
        });
    }

    detail::Gcra gcra_;
    Hash hash_;
    std::array<Shard, shard_count> shards_;
};

}  // namespace weft::ratelimit
