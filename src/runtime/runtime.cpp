#include <weft/runtime/runtime.hpp>

#include <stdexcept>

#include "runtime/scheduler/current_thread.hpp"

namespace weft {

namespace detail {
Scheduler& current_scheduler(const char* operation) {
    auto* core = RuntimeCore::current();
    if (!core) {
        throw std::logic_error(std::string(operation) +
                               " needs a weft runtime on this thread: call it from a task, or "
                               "use Runtime::spawn_local");
    }
    return *core;
}
}  // namespace detail

Runtime RuntimeBuilder::build() const {
    if (flavor_ == Flavor::multi_thread) {
        throw std::logic_error("weft: the multi-thread runtime flavour is not part of this build yet; "
                               "use RuntimeBuilder::current_thread()");
    }
    detail::CurrentThreadConfig config;
    config.start_paused = start_paused_;
    config.blocking.max_threads = max_blocking_threads_;
    config.blocking.keep_alive = keep_alive_;
    return Runtime(new detail::CurrentThreadScheduler(config));
}

Runtime::Runtime() : Runtime(RuntimeBuilder::current_thread().build()) {}

Runtime::~Runtime() { reset(); }

Runtime::Runtime(Runtime&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}

Runtime& Runtime::operator=(Runtime&& other) noexcept {
    if (this != &other) {
        reset();
        core_ = std::exchange(other.core_, nullptr);
    }
    return *this;
}

void Runtime::reset() noexcept {
    if (auto* core = std::exchange(core_, nullptr)) {
        core->shutdown();
        core->release_scheduler_ref();
    }
}

void Runtime::run_root(detail::TaskContext& root, std::coroutine_handle<> start) {
    if (!core_) throw std::logic_error("weft::Runtime::block_on on a moved-from runtime");
    core_->block_on(root, start);
}

detail::Scheduler& Runtime::scheduler() const {
    if (!core_) throw std::logic_error("weft::Runtime::spawn_local on a moved-from runtime");
    return *core_;
}

RuntimeMetrics Runtime::metrics() const { return core_ ? core_->metrics() : RuntimeMetrics{}; }

}  // namespace weft
