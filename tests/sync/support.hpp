#pragma once

// Helpers shared by the sync tests.

#include <atomic>
#include <utility>
#include <weft/runtime/runtime.hpp>
#include <weft/time/sleep.hpp>

namespace weft::sync::test {

/// A runtime whose clock is paused: timeouts fire as soon as the runtime is idle.
inline weft::Runtime paused_runtime() {
    return weft::Runtime::Builder::current_thread().start_paused(true).build();
}

/// Sleeps `d`, then calls `f`: the other side of a test, acting at a set time on a paused clock.
/// `f` should capture only references or pointers (GCC 12 destroys some non-trivial captures of
/// coroutine lambdas twice; see docs/design.md, Known limits).
template <class F>
weft::Task<> after(weft::time::Duration d, F f) {
    co_await weft::time::sleep(d);
    f();
}

/// A move-only message that counts how many are alive, to catch lost or leaked ones. A
/// moved-from shell does not count: only the instance holding the message does.
class Counted {
public:
    Counted(int v, std::atomic<int>* live) noexcept : value_(v), live_(live) { live_->fetch_add(1); }
    Counted(Counted&& o) noexcept : value_(o.value_), live_(std::exchange(o.live_, nullptr)) {}
    Counted& operator=(Counted&& o) noexcept {
        if (this != &o) {
            if (live_) live_->fetch_sub(1);
            value_ = o.value_;
            live_ = std::exchange(o.live_, nullptr);
        }
        return *this;
    }
    ~Counted() {
        if (live_) live_->fetch_sub(1);
    }
    int value() const noexcept { return value_; }

private:
    int value_;
    std::atomic<int>* live_;
};

}  // namespace weft::sync::test
