#include <limits>
#include <stdexcept>
#include <weft/ratelimit/quota.hpp>

namespace weft::ratelimit {

namespace {

constexpr std::uint64_t ns_per_second = 1'000'000'000;

/// ceil(period / n): never shorter than asked, so never more cells than asked.
Quota per_period(std::uint64_t period_ns, std::uint32_t n, const char* who) {
    if (n == 0)
        throw std::invalid_argument(std::string("weft::ratelimit::Quota::") + who + ": n must be > 0");
    return Quota::with_period(time::Duration((period_ns + n - 1) / n));
}

}  // namespace

Quota Quota::per_second(std::uint32_t n) { return per_period(ns_per_second, n, "per_second"); }
Quota Quota::per_minute(std::uint32_t n) { return per_period(60 * ns_per_second, n, "per_minute"); }
Quota Quota::per_hour(std::uint32_t n) { return per_period(3600 * ns_per_second, n, "per_hour"); }

Quota Quota::with_period(time::Duration period) {
    auto ns = std::chrono::ceil<std::chrono::nanoseconds>(period).count();
    if (ns <= 0) throw std::invalid_argument("weft::ratelimit::Quota::with_period: period must be positive");
    return Quota(static_cast<std::uint64_t>(ns), 1);
}

Quota Quota::allow_burst(std::uint32_t burst) const {
    if (burst == 0) throw std::invalid_argument("weft::ratelimit::Quota::allow_burst: burst must be > 0");
    return Quota(interval_ns_, burst);
}

time::Duration Quota::replenish_interval() const noexcept {
    return std::chrono::duration_cast<time::Duration>(
        std::chrono::nanoseconds(static_cast<std::int64_t>(interval_ns_)));
}

}  // namespace weft::ratelimit
