// A worker's local queue on its own: FIFO pops, a full ring refusing a push, the overflow half,
// a thief taking half, and the single-worker mode whose pops take no locked instruction.

#include "runtime/scheduler/multi_thread/local_queue.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/task/inert_scheduler.hpp"

namespace {

using weft::detail::LocalQueue;
using weft::detail::TaskHeader;

using Tasks = weft::test::InertTasks;

// Pushes and pops across several laps of the ring, in both modes.
void expect_fifo_over_laps(LocalQueue& q, const Tasks& tasks) {
    std::size_t pushed = 0, popped = 0;
    for (int lap = 0; lap < 5; ++lap) {
        for (std::size_t i = 0; i < 200; ++i) ASSERT_TRUE(q.push(tasks[pushed++ % 1000]));
        EXPECT_EQ(q.len(), 200u);
        for (std::size_t i = 0; i < 200; ++i) ASSERT_EQ(q.pop(), tasks[popped++ % 1000]);
        EXPECT_TRUE(q.empty());
        EXPECT_EQ(q.pop(), nullptr);
    }
}

TEST(LocalQueue, PopsInPushOrderAcrossLapsOfTheRing) {
    Tasks tasks(1000);
    auto q = std::make_unique<LocalQueue>();
    expect_fifo_over_laps(*q, tasks);
}

TEST(LocalQueue, WithNoThievesPopsInPushOrderAcrossLapsOfTheRing) {
    Tasks tasks(1000);
    auto q = std::make_unique<LocalQueue>();
    q->set_no_thieves();
    expect_fifo_over_laps(*q, tasks);
}

TEST(LocalQueue, AFullRingRefusesAPushAndGivesHalfForTheOverflow) {
    for (bool no_thieves : {false, true}) {
        Tasks tasks(LocalQueue::capacity + 1);
        auto q = std::make_unique<LocalQueue>();
        if (no_thieves) q->set_no_thieves();
        ASSERT_EQ(q->pop(), nullptr);
        for (std::size_t i = 0; i < LocalQueue::capacity; ++i) ASSERT_TRUE(q->push(tasks[i]));
        EXPECT_FALSE(q->push(tasks[LocalQueue::capacity]));
        std::array<TaskHeader*, LocalQueue::capacity / 2> half{};
        ASSERT_EQ(q->take_half_for_overflow(half.data()), LocalQueue::capacity / 2);
        for (std::size_t i = 0; i < half.size(); ++i) EXPECT_EQ(half[i], tasks[i]);  // the oldest
        EXPECT_TRUE(q->push(tasks[LocalQueue::capacity]));
        for (std::size_t i = LocalQueue::capacity / 2; i <= LocalQueue::capacity; ++i)
            ASSERT_EQ(q->pop(), tasks[i]) << i;
        EXPECT_TRUE(q->empty());
    }
}

TEST(LocalQueue, AThiefTakesHalfAndRunsOneAtOnce) {
    Tasks tasks(10);
    auto victim = std::make_unique<LocalQueue>();
    auto thief = std::make_unique<LocalQueue>();
    for (std::size_t i = 0; i < 10; ++i) ASSERT_TRUE(victim->push(tasks[i]));
    // Half of ten: tasks 0..4 move; the last of them runs now, the rest wait in the thief's queue.
    EXPECT_EQ(victim->steal_into(*thief), tasks[4]);
    EXPECT_EQ(thief->len(), 4u);
    EXPECT_EQ(victim->len(), 5u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(thief->pop(), tasks[i]);
    for (std::size_t i = 5; i < 10; ++i) EXPECT_EQ(victim->pop(), tasks[i]);
}

TEST(LocalQueue, AnOwnerAndAThiefTogetherLoseAndDuplicateNothing) {
    // Run under TSan in CI: the owner pushes and pops while a thief steals half at a time.
    constexpr std::size_t n = 20'000;
    Tasks tasks(n);
    auto owner = std::make_unique<LocalQueue>();
    auto stolen = std::make_unique<LocalQueue>();
    std::vector<int> seen(n, 0);
    std::atomic<bool> done{false};
    std::thread thief([&] {
        while (!done.load(std::memory_order_acquire)) {
            if (TaskHeader* t = owner->steal_into(*stolen)) {
                ++seen[t->id()];
                while (TaskHeader* u = stolen->pop()) ++seen[u->id()];
            }
        }
    });
    std::vector<int> owner_seen(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        while (!owner->push(tasks[i])) {
            if (TaskHeader* t = owner->pop()) ++owner_seen[t->id()];
        }
        if (i % 3 == 0) {
            if (TaskHeader* t = owner->pop()) ++owner_seen[t->id()];
        }
    }
    while (TaskHeader* t = owner->pop()) ++owner_seen[t->id()];
    // A steal in flight finishes its round, counting what it took, before the thief sees this.
    done.store(true, std::memory_order_release);
    thief.join();
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i] + owner_seen[i], 1) << i;
}

}  // namespace
