#pragma once

// A scheduler that runs nothing, for tests of the pieces around tasks (queues, references):
// it starts with the one reference a runtime holds and counts its destruction. And tasks that
// are never run or released, for tests of the queues, which only move pointers.

#include <atomic>
#include <cstdint>
#include <memory>
#include <source_location>
#include <vector>
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

/// A task header with no frame: its id is its index in `InertTasks`.
class InertTask final : public detail::TaskHeader {
public:
    InertTask(detail::Scheduler* s, std::uint64_t id)
        : TaskHeader(s, id, nullptr, std::source_location::current()) {}
    ~InertTask() = default;

private:
    std::uint64_t poll_frame() override { return 0; }
    void cancel_frame() noexcept override {}
    void deallocate() noexcept override {}
};

/// `n` inert tasks on an inert scheduler; `tasks[i]` has id i.
struct InertTasks {
    InertScheduler scheduler;
    std::vector<std::unique_ptr<InertTask>> all;
    explicit InertTasks(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) all.push_back(std::make_unique<InertTask>(&scheduler, i));
    }
    detail::TaskHeader* operator[](std::size_t i) const { return all[i].get(); }
};

}  // namespace weft::test
