#pragma once

// Outcomes of a rate limiter's checks.
//
// A non-waiting check that fails says when to come back (`NotUntil`). Asking for more cells at
// once than the quota's burst can never succeed: the non-waiting form says so with
// `InsufficientCapacity`, the waiting form with `weft::ratelimit::Errc::insufficient_capacity`.

#include <cstdint>
#include <system_error>
#include <weft/time/clock.hpp>

namespace weft::ratelimit {

/// A refused check: the cells are not there yet.
///
///     if (auto r = limiter.check(); !r)
///         std::println("retry in {}", r.error().wait_time_from(weft::time::now()));
struct NotUntil {
    /// The first instant at which the same check would succeed (if nobody else takes the cells).
    time::Instant earliest;

    /// How long from `now` until `earliest` (zero once it has passed).
    time::Duration wait_time_from(time::Instant now) const noexcept {
        return earliest > now ? earliest - now : time::Duration::zero();
    }
};

/// `check_n(n)` with `n` above the quota's burst: no amount of waiting lets that many through.
struct InsufficientCapacity {
    std::uint32_t burst_size;  ///< the most cells the quota lets through at once
};

/// The rate limiter's error conditions (category "weft.ratelimit").
enum class Errc {
    insufficient_capacity = 1,  ///< asked for more cells at once than the quota's burst
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace weft::ratelimit

template <>
struct std::is_error_code_enum<weft::ratelimit::Errc> : std::true_type {};
