#include "time/wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace {

using weft::time::detail::TimerEntry;
using weft::time::detail::Wheel;

std::size_t advance(Wheel& wheel, std::uint64_t now) {
    std::vector<weft::Waker> wake;
    return wheel.advance_to(now, wake);
}

TEST(Wheel, FiresEntriesAtTheirTickAndNotBefore) {
    Wheel wheel;
    TimerEntry a, b, c;
    a.when = 5;
    b.when = 64;
    c.when = 5000;
    wheel.insert(a);
    wheel.insert(b);
    wheel.insert(c);
    EXPECT_EQ(wheel.size(), 3u);
    EXPECT_EQ(advance(wheel, 4), 0u);
    EXPECT_EQ(advance(wheel, 5), 1u);
    EXPECT_TRUE(a.fired);
    EXPECT_EQ(advance(wheel, 63), 0u);
    EXPECT_EQ(advance(wheel, 64), 1u);
    EXPECT_TRUE(b.fired);
    EXPECT_EQ(advance(wheel, 4999), 0u);
    EXPECT_FALSE(c.fired);
    EXPECT_EQ(advance(wheel, 5000), 1u);
    EXPECT_TRUE(c.fired);
    EXPECT_EQ(wheel.size(), 0u);
}

TEST(Wheel, RemovedEntriesNeverFire) {
    Wheel wheel;
    TimerEntry a, b;
    a.when = 100;
    b.when = 100;
    wheel.insert(a);
    wheel.insert(b);
    wheel.remove(a);
    EXPECT_FALSE(a.linked);
    EXPECT_EQ(advance(wheel, 200), 1u);
    EXPECT_FALSE(a.fired);
    EXPECT_TRUE(b.fired);
}

TEST(Wheel, RemovingFromAFullSlotInAnyOrderKeepsTheOthers) {
    // A slot is an array: a removal moves its last entry into the hole. Remove a scattered
    // third (first, last and middle ones), some of them twice, and re-insert a few: exactly the
    // others fire, each once, and the slot empties.
    Wheel wheel;
    std::vector<TimerEntry> entries(300);
    for (auto& e : entries) {
        e.when = 40;  // one level-0 slot
        wheel.insert(e);
    }
    std::vector<bool> removed(entries.size());
    for (std::size_t i = 0; i < entries.size(); i += 3) {
        wheel.remove(entries[i]);
        removed[i] = true;
    }
    for (std::size_t k = 0; k < entries.size(); k += 7) {
        const std::size_t i = entries.size() - 1 - k;  // from the back
        wheel.remove(entries[i]);                      // a second removal is a no-op
        removed[i] = true;
    }
    for (std::size_t i = 0; i < entries.size(); i += 30) {
        wheel.insert(entries[i]);
        removed[i] = false;
    }
    const auto kept = static_cast<std::size_t>(std::count(removed.begin(), removed.end(), false));
    EXPECT_EQ(wheel.size(), kept);
    std::vector<weft::Waker> wake;
    EXPECT_EQ(wheel.advance_to(40, wake), kept);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        EXPECT_EQ(entries[i].fired.load(), !removed[i]) << i;
        EXPECT_FALSE(entries[i].linked) << i;
    }
    EXPECT_EQ(wheel.size(), 0u);
    EXPECT_FALSE(wheel.next_expiration());
}

TEST(Wheel, NextExpirationIsALowerBoundOfTheEarliestDeadline) {
    Wheel wheel;
    EXPECT_FALSE(wheel.next_expiration());
    TimerEntry a;
    a.when = 1000;
    wheel.insert(a);
    auto next = wheel.next_expiration();
    ASSERT_TRUE(next);
    EXPECT_LE(*next, 1000u);
    wheel.remove(a);
}

TEST(Wheel, RandomDeadlinesFireInOrderAcrossEveryLevel) {
    // Deadlines spread over all six levels; stepping time forward must fire each exactly at its
    // tick (cascading included), in deadline order.
    Wheel wheel;
    std::mt19937_64 rng(42);
    std::vector<std::unique_ptr<TimerEntry>> entries;
    for (int i = 0; i < 2000; ++i) {
        auto e = std::make_unique<TimerEntry>();
        int level = i % 6;
        std::uint64_t span = std::uint64_t{1} << (6 * (level + 1));
        e->when = 1 + rng() % span;
        wheel.insert(*e);
        entries.push_back(std::move(e));
    }
    std::vector<std::uint64_t> deadlines;
    for (auto& e : entries) deadlines.push_back(e->when);
    std::sort(deadlines.begin(), deadlines.end());
    deadlines.erase(std::unique(deadlines.begin(), deadlines.end()), deadlines.end());

    std::size_t fired_total = 0;
    for (std::uint64_t d : deadlines) {
        // Just before: nothing due at d has fired.
        advance(wheel, d - 1);
        for (auto& e : entries) {
            if (e->when >= d) {
                ASSERT_FALSE(e->fired) << "fired early: when=" << e->when;
            }
        }
        fired_total += advance(wheel, d);
        for (auto& e : entries) {
            if (e->when <= d) {
                ASSERT_TRUE(e->fired) << "late: when=" << e->when << " now=" << d;
            }
        }
    }
    EXPECT_EQ(fired_total, entries.size());
    EXPECT_EQ(wheel.size(), 0u);
}

TEST(Wheel, FarDeadlinesBeyondTheSpanStillFire) {
    Wheel wheel;
    TimerEntry far;
    far.when = Wheel::max_span * 3 + 17;
    wheel.insert(far);
    std::uint64_t now = 0;
    while (!far.fired) {
        auto next = wheel.next_expiration();
        ASSERT_TRUE(next);
        ASSERT_LE(*next, far.when);
        now = *next;
        advance(wheel, now);
    }
    EXPECT_EQ(now, far.when);
}

}  // namespace
