#pragma once

// A scheduler that runs nothing, for tests of the pieces around tasks (queues, references):
// it starts with the one reference a runtime holds and counts its destruction.

#include <atomic>
#include <weft/runtime/task/header.hpp>

namespace weft::test {

class InertScheduler final : public detail::Scheduler {
public:
    void bind(detail::TaskHeader*) override {}
    void schedule(detail::TaskHeader*) noexcept override {}
    void release(detail::TaskHeader*) noexcept override {}
    std::atomic<int> destroyed{0};

private:
    void destroy() noexcept override { destroyed.fetch_add(1); }
};

}  // namespace weft::test
