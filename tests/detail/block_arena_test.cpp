#include "detail/block_arena.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <vector>
#include <weft/detail/frame_cache.hpp>

using weft::detail::BlockArena;
using weft::detail::FreeBlock;

namespace {

// Classes FrameCache never uses, so these tests see only their own spans.
constexpr std::size_t kClassA = BlockArena::kMaxClasses - 2;
constexpr std::size_t kClassB = BlockArena::kMaxClasses - 1;
static_assert(weft::detail::FrameCache::kSmallClasses <= kClassA);

std::vector<void*> take(std::size_t cls, std::size_t bytes, std::size_t n) {
    std::vector<void*> out;
    while (out.size() < n) {
        std::size_t got = 0;
        FreeBlock* chain = BlockArena::take(cls, bytes, std::min<std::size_t>(n - out.size(), 32), got);
        EXPECT_GT(got, 0u);
        if (got == 0) break;
        for (FreeBlock* b = chain; b; b = b->next) out.push_back(b);
        EXPECT_LE(out.size(), n);
    }
    return out;
}

void give(const std::vector<void*>& blocks) {
    FreeBlock* chain = nullptr;
    for (void* p : blocks) {
        auto* b = static_cast<FreeBlock*>(p);
        b->next = chain;
        chain = b;
    }
    BlockArena::give(chain);
}

TEST(BlockArena, HandsOutDistinctAlignedBlocksItOwns) {
    const auto blocks = take(kClassA, 80, 5'000);
    ASSERT_EQ(blocks.size(), 5'000u);
    std::set<std::uintptr_t> seen;
    for (void* p : blocks) {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        EXPECT_EQ(a % 16, 0u);
        EXPECT_TRUE(BlockArena::owns(p));
        std::memset(p, 0xab, 80);  // the whole block is ours (ASan would see an overlap)
        seen.insert(a);
    }
    EXPECT_EQ(seen.size(), blocks.size());
    // No two blocks overlap.
    for (auto it = seen.begin(); std::next(it) != seen.end(); ++it) EXPECT_GE(*std::next(it) - *it, 80u);
    give(blocks);

    auto heap = std::make_unique<char[]>(64);
    EXPECT_FALSE(BlockArena::owns(heap.get()));
    int on_stack = 0;
    EXPECT_FALSE(BlockArena::owns(&on_stack));
}

TEST(BlockArena, BlocksAreSpacedByTheirSizeAndAlignedToWhatItAllows) {
    // 16k + 8 bytes: only 8-byte aligned (nothing of that size needs more), and no padding.
    const auto odd = take(kClassA, 72, 1'000);
    std::set<std::uintptr_t> seen;
    bool some_off_16 = false;
    for (void* p : odd) {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        EXPECT_EQ(a % 8, 0u);
        some_off_16 |= a % 16 != 0;
        seen.insert(a);
    }
    EXPECT_TRUE(some_off_16) << "72-byte blocks are padded to 80";
    std::size_t spaced_72 = 0;
    for (auto it = seen.begin(); std::next(it) != seen.end(); ++it) spaced_72 += *std::next(it) - *it == 72;
    EXPECT_GT(spaced_72, odd.size() / 2);
    give(odd);
    // Multiples of 16: 16-byte aligned, as an object of that size may need.
    for (void* p : take(kClassB, 112, 1'000)) {
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
        give({p});
    }
}

TEST(BlockArena, GivenBlocksAreHandedOutAgain) {
    auto first = take(kClassA, 112, 100);
    give(first);
    auto second = take(kClassA, 112, 100);
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    EXPECT_EQ(first, second);
    give(second);
}

TEST(BlockArena, BlocksGivenBackInAnyOrderComeBackInAddressOrder) {
    auto blocks = take(kClassA, 112, 200);
    std::sort(blocks.begin(), blocks.end());
    // Keep every tenth so the span stays in use; give the rest back shuffled.
    std::vector<void*> kept, given;
    for (std::size_t i = 0; i < blocks.size(); ++i) (i % 10 == 0 ? kept : given).push_back(blocks[i]);
    std::vector<void*> shuffled = given;
    std::reverse(shuffled.begin(), shuffled.begin() + 60);
    std::rotate(shuffled.begin(), shuffled.begin() + 25, shuffled.end());
    give(shuffled);
    auto again = take(kClassA, 112, given.size());
    // `take` asks for 32 at a time, and a chain is built by prepending: within each call the
    // lowest address was taken first and ends up last.
    for (std::size_t i = 0; i < again.size(); i += 32)
        std::reverse(again.begin() + i, again.begin() + std::min(i + 32, again.size()));
    EXPECT_EQ(again, given);
    give(again);
    give(kept);
}

TEST(BlockArena, ASpanFreedByOneClassServesAnotherWithNoStaleBlocks) {
    // One span's worth and a little more, given back entirely: the spans retire and the next
    // class carves them afresh at its own stride.
    auto wide = take(kClassA, 4096, 20);
    give(wide);
    auto narrow = take(kClassB, 32, 3'000);
    std::set<void*> distinct(narrow.begin(), narrow.end());
    EXPECT_EQ(distinct.size(), narrow.size());
    for (void* p : narrow) std::memset(p, 0xcd, 32);
    give(narrow);
}

TEST(BlockArena, MemoryGoesBackOnceEveryBlockIsGiven) {
    const std::size_t before = BlockArena::mapped_bytes();
    // 40 MiB of blocks: twenty segments, in two classes interleaved.
    auto a = take(kClassA, 256, 80'000);
    auto b = take(kClassB, 272, 80'000);
    EXPECT_GE(BlockArena::mapped_bytes(), 80'000u * (256 + 272));
    give(a);
    give(b);
    // Every segment these used is unmapped, but one kept empty for the next burst.
    EXPECT_LE(BlockArena::mapped_bytes(), before + BlockArena::kSegmentBytes);
}

TEST(BlockArena, ThreadsTakingAndGivingLoseNoBlock) {
    // Run under TSan in CI: every call takes the arena's lock, and blocks cross threads.
    std::vector<std::vector<void*>> handed(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t, &handed] {
            for (int round = 0; round < 20; ++round) {
                auto mine = take(kClassA + t % 2, 96, 500);
                for (void* p : mine) static_cast<unsigned char*>(p)[8] = static_cast<unsigned char>(t);
                // Give half back here; the other half goes back from the main thread.
                const std::vector<void*> half(mine.begin(), mine.begin() + mine.size() / 2);
                give(half);
                if (round == 19)
                    handed[t].assign(mine.begin() + mine.size() / 2, mine.end());
                else
                    give(std::vector<void*>(mine.begin() + mine.size() / 2, mine.end()));
            }
        });
    }
    for (auto& th : threads) th.join();
    std::set<void*> all;
    for (auto& h : handed) all.insert(h.begin(), h.end());
    EXPECT_EQ(all.size(), 4u * 250u);  // no block was handed to two threads at once
    for (auto& h : handed) give(h);
}

}  // namespace
