#include <stdexcept>
#include <weft/runtime/runtime.hpp>

#include "runtime/scheduler/current_thread.hpp"
#include "runtime/scheduler/multi_thread/scheduler.hpp"

namespace weft {

namespace detail {
Scheduler& current_scheduler(const char* operation, bool local) {
    auto* core = RuntimeCore::current();
    if (!core) {
        throw std::logic_error(std::string(operation) +
                               " needs a weft runtime on this thread: call it from a task, or "
                               "use Runtime::spawn / Handle::spawn");
    }
    if (local && core->is_multi_thread()) {
        throw std::logic_error(std::string(operation) +
                               " on a multi-thread runtime: its tasks move between threads. Use "
                               "weft::spawn (the task must be safe to run on any thread), or a "
                               "current-thread runtime");
    }
    return *core;
}
}  // namespace detail

Runtime RuntimeBuilder::build() const {
    detail::BlockingPool::Config blocking;
    blocking.max_threads = max_blocking_threads_;
    blocking.keep_alive = keep_alive_;
    if (flavor_ == Flavor::multi_thread) {
        if (start_paused_) {
            throw std::logic_error(
                "weft: paused time needs the current-thread runtime (one thread decides "
                "when time moves); use RuntimeBuilder::current_thread()");
        }
        detail::MultiThreadConfig config;
        config.workers = worker_threads_;
        config.blocking = blocking;
        config.blocked_threshold = blocked_threshold_;
        config.on_blocked = on_blocked_;
        config.poll_time_histogram = poll_time_histogram_;
        return Runtime(new detail::MultiThreadScheduler(std::move(config)));
    }
    detail::CurrentThreadConfig config;
    config.start_paused = start_paused_;
    config.blocking = blocking;
    config.poll_time_histogram = poll_time_histogram_;
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
    if (!core_) throw std::logic_error("weft::Runtime::spawn on a moved-from runtime");
    return *core_;
}

detail::Scheduler& Runtime::local_scheduler() const {
    if (core_ && core_->is_multi_thread()) {
        throw std::logic_error("weft::Runtime::spawn_local on a multi-thread runtime: use spawn");
    }
    return scheduler();
}

Handle Runtime::handle() const {
    if (!core_) throw std::logic_error("weft::Runtime::handle on a moved-from runtime");
    return Handle(core_);
}

RuntimeMetrics Runtime::metrics() const { return core_ ? core_->metrics() : RuntimeMetrics{}; }

std::string Runtime::dump() const {
    std::string out;
    if (core_) core_->dump(out);
    return out;
}

Handle::Handle(detail::RuntimeCore* core) noexcept : core_(core) {
    if (core_) core_->add_scheduler_ref();
}

Handle::Handle(const Handle& o) noexcept : Handle(o.core_) {}

Handle::~Handle() {
    if (core_) core_->release_scheduler_ref();
}

detail::Scheduler& Handle::scheduler() const {
    if (!core_) throw std::logic_error("weft::Handle::spawn on an empty handle");
    return *core_;
}

}  // namespace weft
