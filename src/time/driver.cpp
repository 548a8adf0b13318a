#include "time/driver.hpp"

#include <stdexcept>
#include <string>

#include "runtime/core.hpp"

namespace weft::time::detail {

TimeDriver::TimeDriver() : start_(Clock::now()) {}

void TimeDriver::pause() noexcept {
    if (paused_) return;
    paused_now_ = Clock::now();
    paused_ = true;
}

void TimeDriver::resume() noexcept {
    if (!paused_) return;
    // Real time keeps its own pace; shift the origin so that now() never goes backwards.
    auto real = Clock::now();
    if (paused_now_ > real) start_ -= paused_now_ - real;
    paused_ = false;
}

std::uint64_t TimeDriver::tick_at(Instant t) const noexcept {
    if (t <= start_) return 0;
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t - start_).count());
}

std::uint64_t TimeDriver::deadline_tick(Instant t) const noexcept {
    if (t <= start_) return 0;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
    return static_cast<std::uint64_t>((ns + 999'999) / 1'000'000);
}

void TimeDriver::register_timer(TimerEntry& entry, Instant deadline) noexcept {
    wheel_.remove(entry);
    entry.fired = false;
    entry.when = deadline_tick(deadline);
    if (entry.when <= wheel_.elapsed() || deadline <= now()) {
        entry.fired = true;
        entry.waker.reset();
        return;
    }
    wheel_.insert(entry);
}

std::optional<Instant> TimeDriver::next_deadline() const noexcept {
    if (auto tick = wheel_.next_expiration()) return instant_of(*tick);
    return std::nullopt;
}

bool TimeDriver::auto_advance() noexcept {
    auto next = next_deadline();
    if (!next) return false;
    if (*next > paused_now_) paused_now_ = *next;
    return true;
}

TimeDriver& current_driver(const char* operation) {
    auto* core = weft::detail::RuntimeCore::current();
    if (!core) {
        throw std::logic_error(std::string(operation) +
                               " needs a weft runtime on this thread: run it inside Runtime::block_on "
                               "or a task spawned on a runtime");
    }
    return core->time();
}

Instant driver_now(TimeDriver& driver) noexcept { return driver.now(); }

void register_timer(TimeDriver& driver, TimerEntry& entry, Instant deadline) noexcept {
    driver.register_timer(entry, deadline);
}

void deregister_timer(TimeDriver& driver, TimerEntry& entry) noexcept { driver.deregister_timer(entry); }

}  // namespace weft::time::detail

namespace weft::time {

namespace {
detail::TimeDriver& driver_for(const char* op) { return detail::current_driver(op); }
}  // namespace

Instant now() {
    auto* core = weft::detail::RuntimeCore::current();
    return core ? core->time().now() : Clock::now();
}
void pause() { driver_for("weft::time::pause").pause(); }
void resume() { driver_for("weft::time::resume").resume(); }
void advance(Duration d) { driver_for("weft::time::advance").advance(d); }
bool is_paused() {
    auto* core = weft::detail::RuntimeCore::current();
    return core && core->time().paused();
}

}  // namespace weft::time
