#include <weft/runtime/block_on.hpp>

#include "runtime/core.hpp"
#include "runtime/thread_parker.hpp"

namespace weft::detail {

void block_on_plain(TaskContext& root, std::coroutine_handle<> start) {
    // Refuse on a runtime thread, with the same explanation as Runtime::block_on.
    RuntimeCore::Enter check(nullptr, "weft::block_on");
    auto parker = ThreadParker::create();
    root.wakeable = parker.get();
    for (;;) {
        root.poll(start);
        if (start.done()) return;
        parker->park();
    }
}

}  // namespace weft::detail
