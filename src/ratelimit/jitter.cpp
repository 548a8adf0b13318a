#include <cstdint>
#include <random>
#include <weft/ratelimit/jitter.hpp>

namespace weft::ratelimit {

time::Duration Jitter::sample() const noexcept {
    auto min_ns = min.count() > 0 ? min.count() : 0;
    auto width = interval.count();
    if (width <= 0) return time::Duration(min_ns);
    // One generator per thread: no lock, no shared state between workers.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<std::uint64_t> pick(0, static_cast<std::uint64_t>(width) - 1);
    auto extra = static_cast<time::Duration::rep>(pick(rng));
    // min + extra saturates instead of overflowing.
    if (min_ns > time::Duration::max().count() - extra) return time::Duration::max();
    return time::Duration(min_ns + extra);
}

}  // namespace weft::ratelimit
