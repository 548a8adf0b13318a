#include "time/driver.hpp"

#include <stdexcept>
#include <string>

#include "runtime/core.hpp"

namespace weft::time::detail {

TimeDriver::TimeDriver(std::function<void()> unpark) : start_(Clock::now()), unpark_(std::move(unpark)) {}

int TimeDriver::begin_park() noexcept {
    std::lock_guard lock(mutex_);
    auto next = wheel_.next_expiration();
    if (!next) {
        parked_until_ = UINT64_MAX;
        return -1;
    }
    parked_until_ = *next;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(instant_of(*next) - now()).count();
    return ms <= 0 ? 0 : static_cast<int>(std::min<long long>(ms, 60'000));
}

void TimeDriver::end_park() noexcept {
    std::lock_guard lock(mutex_);
    parked_until_ = 0;
}

void TimeDriver::pause() noexcept {
    std::lock_guard lock(mutex_);
    if (paused_.load(std::memory_order_relaxed)) return;
    paused_now_.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
    paused_.store(true, std::memory_order_release);
}

void TimeDriver::resume() noexcept {
    std::lock_guard lock(mutex_);
    if (!paused_.load(std::memory_order_relaxed)) return;
    // Real time keeps its own pace; shift the origin so that now() never goes backwards.
    auto real = Clock::now();
    Instant paused_at{Duration(paused_now_.load(std::memory_order_acquire))};
    if (paused_at > real) start_.store(start_.load() - (paused_at - real));
    paused_.store(false, std::memory_order_release);
}

std::uint64_t TimeDriver::tick_at(Instant t) const noexcept {
    Instant start = start_.load(std::memory_order_relaxed);
    if (t <= start) return 0;
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(t - start).count());
}

std::uint64_t TimeDriver::deadline_tick(Instant t) const noexcept {
    Instant start = start_.load(std::memory_order_relaxed);
    if (t <= start) return 0;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start).count();
    return static_cast<std::uint64_t>((ns + 999'999) / 1'000'000);
}

void TimeDriver::register_timer(TimerEntry& entry, Instant deadline, Waker waker, Due due) noexcept {
    bool unpark = false;
    {
        std::lock_guard lock(mutex_);
        wheel_.remove(entry);
        entry.when = deadline_tick(deadline);
        std::swap(entry.waker, waker);  // the old one is dropped after the lock
        entry.without_waker.store(false, std::memory_order_relaxed);
        // A deadline between the wheel's last tick and now would otherwise wait for the next
        // tick boundary (forever, with paused time and a busy runtime).
        if (entry.when <= wheel_.elapsed() || (due == Due::maybe && deadline <= now())) {
            waker = std::move(entry.waker);
            entry.fired.store(true, std::memory_order_release);
            return;
        }
        entry.fired.store(false, std::memory_order_relaxed);
        wheel_.insert(entry);
        unpark = entry.when < parked_until_;
    }
    if (unpark && unpark_) unpark_();
}

void TimeDriver::reset_timer(TimerEntry& entry, Instant deadline) noexcept {
    Waker due_now;  // woken after the lock
    bool unpark = false;
    {
        std::lock_guard lock(mutex_);
        wheel_.remove(entry);
        entry.when = deadline_tick(deadline);
        if (entry.when <= wheel_.elapsed() || deadline <= now()) {
            // `without_waker` is left as it is: a waiter that read `fired` cleared by an earlier
            // reset must still see the mark, and then finds `fired` set under the lock.
            due_now = std::move(entry.waker);
            entry.fired.store(true, std::memory_order_release);
        } else {
            // Published by the release below: a waiter woken by the fire that sees `fired`
            // cleared also sees it must give its waker again.
            entry.without_waker.store(!entry.waker, std::memory_order_relaxed);
            entry.fired.store(false, std::memory_order_release);
            wheel_.insert(entry);
            unpark = entry.when < parked_until_;
        }
    }
    due_now.wake_and_reset();
    if (unpark && unpark_) unpark_();
}

bool TimeDriver::give_waker(TimerEntry& entry, Waker waker) noexcept {
    std::lock_guard lock(mutex_);
    if (entry.fired.load(std::memory_order_relaxed)) return true;  // `waker` is dropped after
    if (entry.without_waker.load(std::memory_order_relaxed)) {
        entry.waker = std::move(waker);
        entry.without_waker.store(false, std::memory_order_relaxed);
    }
    return false;
}

void TimeDriver::deregister_timer(TimerEntry& entry) noexcept {
    // A fired entry is out of the wheel and its waker taken, and only `register_timer` or
    // `reset_timer` put it back, which must not race with dropping its sleep: nothing to undo.
    if (entry.fired.load(std::memory_order_acquire)) return;
    Waker dropped;  // released after the lock
    std::lock_guard lock(mutex_);
    wheel_.remove(entry);
    dropped = std::move(entry.waker);
}

std::size_t TimeDriver::process() {
    std::vector<Waker> wake;
    std::size_t fired;
    {
        std::lock_guard lock(mutex_);
        wake.swap(to_wake_);
        fired = wheel_.advance_to(tick_at(now()), wake);
    }
    for (auto& w : wake) w.wake_and_reset();
    wake.clear();
    std::lock_guard lock(mutex_);
    if (to_wake_.capacity() < wake.capacity()) to_wake_.swap(wake);
    return fired;
}

std::optional<Instant> TimeDriver::next_deadline() const noexcept {
    std::lock_guard lock(mutex_);
    if (auto tick = wheel_.next_expiration()) return instant_of(*tick);
    return std::nullopt;
}

bool TimeDriver::auto_advance() noexcept {
    auto next = next_deadline();
    if (!next) return false;
    auto target = next->time_since_epoch().count();
    auto current = paused_now_.load(std::memory_order_acquire);
    while (current < target &&
           !paused_now_.compare_exchange_weak(current, target, std::memory_order_acq_rel)) {
    }
    return true;
}

std::size_t TimeDriver::active_timers() const noexcept {
    std::lock_guard lock(mutex_);
    return wheel_.size();
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

void register_timer(TimeDriver& driver, TimerEntry& entry, Instant deadline, Waker waker, Due due) noexcept {
    driver.register_timer(entry, deadline, std::move(waker), due);
}

void reset_timer(TimeDriver& driver, TimerEntry& entry, Instant deadline) noexcept {
    driver.reset_timer(entry, deadline);
}

bool give_waker(TimeDriver& driver, TimerEntry& entry, Waker waker) noexcept {
    return driver.give_waker(entry, std::move(waker));
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
void advance(Duration d) {
    auto& driver = driver_for("weft::time::advance");
    if (!driver.paused())
        throw std::logic_error("weft::time::advance needs paused time: call weft::time::pause() first");
    driver.advance(d);
}
bool is_paused() {
    auto* core = weft::detail::RuntimeCore::current();
    return core && core->time().paused();
}

}  // namespace weft::time
