// The multi-thread runtime's inject queue on its own: FIFO order across the ring's growth,
// batches, partial refills, the ring kept or freed once drained, and close().

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "runtime/scheduler/multi_thread/inject.hpp"
#include "runtime/task/inert_scheduler.hpp"

namespace {

using weft::detail::InjectQueue;
using weft::detail::TaskHeader;

using Tasks = weft::test::InertTasks;

TEST(InjectQueue, KeepsFifoOrderWhileTheRingGrows) {
    Tasks tasks(10'000);
    InjectQueue q;
    for (std::size_t i = 0; i < 5'000; ++i) q.push(tasks[i]);
    // Pop some, so that the ring wraps before it grows again.
    for (std::size_t i = 0; i < 100; ++i) ASSERT_EQ(q.pop(), tasks[i]);
    for (std::size_t i = 5'000; i < 10'000; ++i) q.push(tasks[i]);
    EXPECT_EQ(q.len(), 9'900u);
    for (std::size_t i = 100; i < 10'000; ++i) ASSERT_EQ(q.pop(), tasks[i]) << i;
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pop(), nullptr);
}

TEST(InjectQueue, BatchesAndRefillsKeepTheirOrder) {
    Tasks tasks(1'000);
    InjectQueue q;
    std::vector<TaskHeader*> batch;
    for (std::size_t i = 0; i < 128; ++i) batch.push_back(tasks[i]);
    q.push_batch(batch.data(), batch.size(), tasks[128]);  // the batch, then the extra task
    q.push(tasks[129]);
    std::vector<TaskHeader*> got;
    EXPECT_EQ(q.pop_n(100, [&](TaskHeader* t) { got.push_back(t); }), 100u);
    EXPECT_EQ(q.pop_n(100, [&](TaskHeader* t) { got.push_back(t); }), 30u);  // only 30 left
    ASSERT_EQ(got.size(), 130u);
    for (std::size_t i = 0; i < 130; ++i) EXPECT_EQ(got[i], tasks[i]);
    EXPECT_EQ(q.pop_n(10, [&](TaskHeader*) { FAIL(); }), 0u);
}

// A refill pushes into the worker's local queue, and that can overflow back into this queue
// (a thief stalled mid-steal keeps the owner's slots reserved). pop_n once called its sink with
// the lock held, and the overflow deadlocked the worker on the same mutex (seen under ASan in CI).
TEST(InjectQueue, ASinkMayPushBackIntoTheQueue) {
    Tasks tasks(300);
    InjectQueue q;
    for (std::size_t i = 0; i < 200; ++i) q.push(tasks[i]);
    std::size_t next_extra = 200;
    std::vector<TaskHeader*> got;
    EXPECT_EQ(q.pop_n(100,
                      [&](TaskHeader* t) {
                          got.push_back(t);
                          q.push_batch(nullptr, 0, tasks[next_extra++]);  // the overflow path
                      }),
              100u);
    EXPECT_EQ(q.len(), 200u);  // 100 left, 100 pushed back
    for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(got[i], tasks[i]);
}

TEST(InjectQueue, ARingKeptOrFreedOnceDrainedServesTheNextBurst) {
    // 5k stays in the first, small mapping; 20k moves to the huge-page ring, which stays mapped
    // once drained; 300k outgrows that, so its ring is freed.
    Tasks tasks(300'000);
    InjectQueue q;
    for (std::size_t burst : {5'000, 20'000, 300'000, 20'000, 300'000, 300'000, 5'000}) {
        for (std::size_t i = 0; i < burst; ++i) q.push(tasks[i]);
        std::size_t n = 0;
        while (q.pop_n(128, [&](TaskHeader* t) { ASSERT_EQ(t, tasks[n++]); })) {
        }
        EXPECT_EQ(n, burst);
        EXPECT_TRUE(q.empty());
    }
}

TEST(InjectQueue, CloseHandsBackEverythingInOrder) {
    Tasks tasks(300);
    InjectQueue q;
    for (std::size_t i = 0; i < 300; ++i) q.push(tasks[i]);
    (void)q.pop();
    weft::detail::TaskQueue rest = q.close();
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(rest.size(), 299u);
    for (std::size_t i = 1; i < 300; ++i) ASSERT_EQ(rest.pop(), tasks[i]);
}

TEST(InjectQueue, ProducersOnManyThreadsLoseNothing) {
    // Run under TSan in CI: pushes from four threads while a fifth refills in batches.
    constexpr std::size_t per_thread = 5'000;
    Tasks tasks(4 * per_thread);
    InjectQueue q;
    std::vector<std::thread> producers;
    for (std::size_t p = 0; p < 4; ++p) {
        producers.emplace_back([&, p] {
            for (std::size_t i = 0; i < per_thread; ++i) q.push(tasks[p * per_thread + i]);
        });
    }
    std::vector<std::size_t> next(4, 0);  // per producer: its tasks come out in its order
    std::size_t taken = 0;
    while (taken < 4 * per_thread) {
        q.pop_n(64, [&](TaskHeader* t) {
            const std::size_t id = t->id();
            const std::size_t p = id / per_thread;
            EXPECT_EQ(id % per_thread, next[p]++);
            ++taken;
        });
    }
    for (auto& t : producers) t.join();
    EXPECT_TRUE(q.empty());
}

}  // namespace
