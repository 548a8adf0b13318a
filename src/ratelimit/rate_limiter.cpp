#include <weft/ratelimit/rate_limiter.hpp>

namespace weft::ratelimit {

Task<void> RateLimiter::until_ready_with_jitter(Jitter jitter) {
    for (;;) {
        auto d = gcra_.take(tat_, gcra_.now_ns(), 1);
        if (d.allowed) co_return;
        // Sleep, then compete again: nothing is reserved while waiting, so a cancelled wait
        // takes nothing (and a cell taken by someone else meanwhile just means another round).
        auto wait = gcra_.sleep_until_cell(d.earliest_ns, jitter);
        co_await wait;
    }
}

Task<Result<void>> RateLimiter::until_n_ready_with_jitter(std::uint32_t n, Jitter jitter) {
    if (n > gcra_.quota().burst_size())
        co_return std::unexpected(make_error_code(Errc::insufficient_capacity));
    if (n == 0) co_return Result<void>{};
    for (;;) {
        auto d = gcra_.take(tat_, gcra_.now_ns(), n);
        if (d.allowed) co_return Result<void>{};
        auto wait = gcra_.sleep_until_cell(d.earliest_ns, jitter);
        co_await wait;
    }
}

}  // namespace weft::ratelimit
