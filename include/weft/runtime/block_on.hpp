#pragma once

#include <weft/task.hpp>

namespace weft {

namespace detail {
void block_on_plain(TaskContext& root, std::coroutine_handle<> start);
}

/// Runs `task` to completion on this thread without a runtime: polls it, parks the thread
/// while it is pending, and resumes when a waker unparks it (from any thread).
///
///     int v = weft::block_on(compute_on_pool());   // e.g. awaiting spawn_blocking results
///
/// This is the minimal executor: it drives no I/O or timer driver, so awaiting a socket or a
/// `sleep` inside it throws std::logic_error; use `Runtime::block_on` for those. Calling it on a
/// thread that runs a runtime throws std::logic_error too (it would stall that runtime).
template <class T>
T block_on(Task<T> task) {
    detail::TaskContext root;
    task.handle().promise().context = &root;
    detail::block_on_plain(root, task.handle());
    return task.take_result();
}

}  // namespace weft
