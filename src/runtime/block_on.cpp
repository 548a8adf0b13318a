#include <atomic>
#include <weft/runtime/block_on.hpp>

#include "runtime/core.hpp"

namespace weft::detail {

namespace {

/// Parks the thread in block_on; wakers unpark it. Heap-allocated and reference counted
/// because a waker may outlive the block_on call (a thread still holding a clone).
class Parker final : public Wakeable {
public:
    void wake_by_ref() noexcept override {
        if (notified_.exchange(1, std::memory_order_acq_rel) == 0) notified_.notify_one();
    }
    void add_ref() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept override {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    /// Consumes a pending notification, or waits for one.
    void park() noexcept {
        while (notified_.exchange(0, std::memory_order_acq_rel) == 0)
            notified_.wait(0, std::memory_order_acquire);
    }

private:
    std::atomic<std::uint32_t> notified_{0};
    std::atomic<std::size_t> refs_{1};
};

}  // namespace

void block_on_plain(TaskContext& root, std::coroutine_handle<> start) {
    // Refuse on a runtime thread, with the same explanation as Runtime::block_on.
    RuntimeCore::Enter check(nullptr, "weft::block_on");
    auto* parker = new Parker;
    root.wakeable = parker;
    struct Release {
        Parker* p;
        ~Release() { p->release(); }
    } release{parker};
    for (;;) {
        root.poll(start);
        if (start.done()) return;
        parker->park();
    }
}

}  // namespace weft::detail
