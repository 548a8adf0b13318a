#pragma once

#include <chrono>
#include <cstddef>
#include <thread>
#include <weft/runtime/runtime.hpp>

namespace weft::test {

/// `rt.metrics().live_tasks` once it has settled at zero, or after 5 s whatever it is. On the
/// multi-thread runtime a join completes when the task's output is stored; the worker releases
/// the task (and the live count drops) just after, so right after the last join the count may
/// still include tasks on their way out.
inline std::size_t settled_live_tasks(weft::Runtime& rt) {
    for (int i = 0; i < 5000 && rt.metrics().live_tasks != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return rt.metrics().live_tasks;
}

}  // namespace weft::test
