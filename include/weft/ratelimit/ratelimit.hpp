#pragma once

// The rate limiters: `RateLimiter` (one stream of events) and `KeyedRateLimiter<Key>` (one per
// key), both GCRA with a `Quota`.

#include <weft/ratelimit/clock.hpp>
#include <weft/ratelimit/error.hpp>
#include <weft/ratelimit/jitter.hpp>
#include <weft/ratelimit/keyed_rate_limiter.hpp>
#include <weft/ratelimit/quota.hpp>
#include <weft/ratelimit/rate_limiter.hpp>
