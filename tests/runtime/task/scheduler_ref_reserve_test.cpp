// SchedulerRefReserve: tasks take their reference on the scheduler from the running thread's
// reserve, and the scheduler is destroyed exactly when the last reference goes, wherever the
// tasks were bound and freed.

#include <gtest/gtest.h>

#include <thread>
#include <vector>
#include <weft/runtime/task/header.hpp>

#include "runtime/task/inert_scheduler.hpp"

namespace {

using weft::detail::SchedulerRefReserve;
using weft::test::InertScheduler;

TEST(SchedulerRefReserve, TasksFreedInsideAndOutsideTheScopeBalance) {
    InertScheduler s;
    {
        SchedulerRefReserve reserve(s);
        for (int i = 0; i < 300; ++i) SchedulerRefReserve::take(s);  // more than one batch
        for (int i = 0; i < 150; ++i) SchedulerRefReserve::give(s);
    }
    for (int i = 0; i < 149; ++i) SchedulerRefReserve::give(s);  // freed outside any reserve
    s.release_scheduler_ref();                                   // the runtime's
    EXPECT_EQ(s.destroyed.load(), 0) << "one task is still alive";
    SchedulerRefReserve::give(s);
    EXPECT_EQ(s.destroyed.load(), 1);
}

TEST(SchedulerRefReserve, FreeingManyTasksReturnsBatchesAndNeverTheLastReference) {
    InertScheduler s;
    for (int i = 0; i < 1000; ++i) SchedulerRefReserve::take(s);  // bound remotely
    {
        SchedulerRefReserve reserve(s);
        for (int i = 0; i < 1000; ++i) SchedulerRefReserve::give(s);  // a storm completing here
        EXPECT_EQ(s.destroyed.load(), 0);
    }
    EXPECT_EQ(s.destroyed.load(), 0) << "the runtime's reference is left";
    s.release_scheduler_ref();
    EXPECT_EQ(s.destroyed.load(), 1);
}

TEST(SchedulerRefReserve, AnInnerScopeForAnotherSchedulerRestoresTheOuterOne) {
    InertScheduler a, b;
    {
        SchedulerRefReserve outer(a);
        SchedulerRefReserve::take(a);
        {
            SchedulerRefReserve inner(b);
            SchedulerRefReserve::take(a);  // not b's reserve: straight to a's count
            SchedulerRefReserve::take(b);
            SchedulerRefReserve::give(b);
        }
        SchedulerRefReserve::give(a);
        SchedulerRefReserve::give(a);
    }
    a.release_scheduler_ref();
    b.release_scheduler_ref();
    EXPECT_EQ(a.destroyed.load(), 1);
    EXPECT_EQ(b.destroyed.load(), 1);
}

TEST(SchedulerRefReserve, TasksBoundOnOneWorkerAndFreedOnAnotherBalance) {
    InertScheduler s;
    constexpr int tasks = 20'000;
    // References are all taken before any is given back, as tasks are bound before they end.
    std::thread binder([&s] {
        SchedulerRefReserve reserve(s);
        for (int i = 0; i < tasks; ++i) SchedulerRefReserve::take(s);
    });
    binder.join();
    std::vector<std::thread> freers;
    for (int t = 0; t < 2; ++t)
        freers.emplace_back([&] {
            SchedulerRefReserve reserve(s);
            for (int i = 0; i < tasks / 2; ++i) SchedulerRefReserve::give(s);
        });
    for (auto& t : freers) t.join();
    EXPECT_EQ(s.destroyed.load(), 0);
    s.release_scheduler_ref();
    EXPECT_EQ(s.destroyed.load(), 1);
}

}  // namespace
