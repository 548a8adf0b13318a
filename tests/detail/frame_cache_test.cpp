#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>
#include <weft/detail/frame_cache.hpp>
#include <weft/runtime/block_on.hpp>
#include <weft/task.hpp>

using weft::detail::FrameCache;

namespace {

#if WEFT_FRAME_CACHE_ENABLED
constexpr bool kEnabled = true;
#else
constexpr bool kEnabled = false;  // AddressSanitizer builds go straight to the heap
#endif

TEST(FrameCache, AFreedBlockIsReusedForTheSameSizeClass) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    void* a = FrameCache::allocate(66);  // a miss: a batch of its class comes to this thread
    const std::size_t listed = FrameCache::cached_bytes();
    EXPECT_EQ(listed % 72, 0u);
    FrameCache::deallocate(a, 66);
    EXPECT_EQ(FrameCache::cached_bytes(), listed + 72);  // rounded up to its class, a multiple of 8
    void* b = FrameCache::allocate(72);                  // same class
    EXPECT_EQ(a, b);
    EXPECT_EQ(FrameCache::cached_bytes(), listed);
    void* c = FrameCache::allocate(73);  // another class: a new block
    EXPECT_NE(b, c);
    FrameCache::deallocate(b, 72);
    FrameCache::deallocate(c, 73);
    FrameCache::trim();
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
}

TEST(FrameCache, AThreadKeepsABoundedListAndMovesTheRestToTheDepot) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; ++i) blocks.push_back(FrameCache::allocate(248));
    // Misses took whole batches: up to kBatch - 1 blocks were never handed out.
    const std::size_t unused = FrameCache::cached_bytes();
    EXPECT_LT(unused, FrameCache::kBatch * 248);
    for (void* p : blocks) FrameCache::deallocate(p, 248);
    EXPECT_LE(FrameCache::cached_bytes(), FrameCache::kMaxListBlocks * 248);
    EXPECT_GE(FrameCache::cached_bytes(), FrameCache::kBatch * 248);
    // Whatever the thread did not keep waits in the depot, in whole batches.
    EXPECT_EQ(FrameCache::cached_bytes() + FrameCache::depot_bytes(), 2000u * 248u + unused);
    EXPECT_EQ(FrameCache::depot_bytes() % (FrameCache::kBatch * 248), 0u);
    FrameCache::trim();
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
    EXPECT_EQ(FrameCache::depot_bytes(), 0u);
}

TEST(FrameCache, TheDepotIsBounded) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    const std::size_t n = 2 * FrameCache::kMaxDepotBytes / 512;
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < n; ++i) blocks.push_back(FrameCache::allocate(512));
    for (void* p : blocks) FrameCache::deallocate(p, 512);
    EXPECT_LE(FrameCache::depot_bytes(), FrameCache::kMaxDepotBytes);
    EXPECT_GT(FrameCache::depot_bytes(), FrameCache::kMaxDepotBytes / 2);
    FrameCache::trim();
}

TEST(FrameCache, ClassesAreEightBytesApart) {
    EXPECT_EQ(FrameCache::class_bytes(FrameCache::class_of(1)), 24u);
    EXPECT_EQ(FrameCache::class_bytes(FrameCache::class_of(24)), 24u);
    EXPECT_EQ(FrameCache::class_bytes(FrameCache::class_of(25)), 32u);
    EXPECT_EQ(FrameCache::class_bytes(FrameCache::class_of(72)), 72u);
    EXPECT_EQ(FrameCache::class_bytes(FrameCache::class_of(104)), 104u);
    EXPECT_EQ(FrameCache::class_bytes(FrameCache::class_of(112)), 112u);
    EXPECT_GE(FrameCache::class_bytes(FrameCache::kClasses - 1), FrameCache::kMaxBlock);
    EXPECT_GE(FrameCache::class_bytes(FrameCache::kSmallClasses - 1), FrameCache::kMaxSmallBlock);
    for (std::size_t size = 1; size <= FrameCache::kMaxBlock; ++size) {
        const std::size_t cls = FrameCache::class_of(size);
        ASSERT_LT(cls, FrameCache::kClasses);
        ASSERT_GE(FrameCache::class_bytes(cls), size);
        ASSERT_TRUE(cls == 0 || FrameCache::class_bytes(cls - 1) < size) << size;
    }
}

TEST(FrameCache, BlocksOverTheLargestClassBypassTheCache) {
    FrameCache::trim();
    void* p = FrameCache::allocate(FrameCache::kMaxBlock + 1);
    FrameCache::deallocate(p, FrameCache::kMaxBlock + 1);
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
    EXPECT_EQ(FrameCache::depot_bytes(), 0u);
}

// Blocks of 513 bytes to 2 KiB (an HTTP exchange's frames) are kept a few per class on their
// thread and never enter the depot.
TEST(FrameCache, LargeClassesKeepAFewBlocksOnTheirThreadOnly) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    std::vector<void*> blocks;
    for (int i = 0; i < 100; ++i) blocks.push_back(FrameCache::allocate(1432));
    for (void* p : blocks) FrameCache::deallocate(p, 1432);
    EXPECT_EQ(FrameCache::cached_bytes(), (FrameCache::kMaxLargeListBlocks - 1) * 1432u);
    EXPECT_EQ(FrameCache::depot_bytes(), 0u);
    void* again = FrameCache::allocate(1432);  // from the thread's list
    EXPECT_NE(std::find(blocks.begin(), blocks.end(), again), blocks.end());
    FrameCache::deallocate(again, 1432);
    FrameCache::trim();
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
}

// Over the thread's byte budget, large blocks go back to the heap before small ones: a few
// large frames in many classes must not push out the task cells every spawn reuses.
TEST(FrameCache, LargeBlocksGoFirstWhenTheThreadIsOverItsBudget) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    // Fill most of the budget with large blocks spread over many classes (3 each).
    std::vector<std::pair<void*, std::size_t>> large;
    std::size_t large_total = 0;
    for (std::size_t size = 2040; large_total + 3 * size <= FrameCache::kMaxCachedBytes; size -= 64) {
        for (int i = 0; i < 3; ++i) large.emplace_back(FrameCache::allocate(size), size);
        large_total += 3 * size;
    }
    for (auto [p, size] : large) FrameCache::deallocate(p, size);
    ASSERT_EQ(FrameCache::cached_bytes(), large_total);
    // Now the small blocks of a spawn-heavy loop (fewer than a batch: the list stays under its
    // count bound, so only the byte budget is at play).
    std::vector<void*> cells;
    for (int i = 0; i < 20; ++i) cells.push_back(FrameCache::allocate(112));
    for (void* p : cells) FrameCache::deallocate(p, 112);
    EXPECT_LE(FrameCache::cached_bytes(), FrameCache::kMaxCachedBytes);
    // Every cell stayed: taking them again finds each one on this thread's list.
    std::size_t reused = 0;
    std::vector<void*> again;
    for (int i = 0; i < 20; ++i) {
        again.push_back(FrameCache::allocate(112));
        reused += std::find(cells.begin(), cells.end(), again.back()) != cells.end();
    }
    EXPECT_EQ(reused, 20u);
    for (void* p : again) FrameCache::deallocate(p, 112);
    FrameCache::trim();
}

TEST(FrameCache, BlocksFreedOnAnotherThreadComeBackThroughTheDepot) {
    // The multi-thread runtime's pattern: one thread spawns (allocates), another finishes
    // the tasks (frees). The blocks must flow back to the spawner, not pile up or go through
    // malloc on every spawn.
    FrameCache::trim();
    constexpr int n = 1000;
    std::vector<void*> freed;
    for (int i = 0; i < n; ++i) freed.push_back(FrameCache::allocate(120));
    std::thread finisher([&] {
        for (void* p : freed) FrameCache::deallocate(p, 120);
    });  // at exit it moves its own list to the depot too
    finisher.join();
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer (the frees above still ran)";
    EXPECT_EQ(FrameCache::depot_bytes(), std::size_t{n} / FrameCache::kBatch * FrameCache::kBatch * 120);
    std::sort(freed.begin(), freed.end());
    // This thread's list still holds what its last batch did not hand out; those come first.
    const int listed = static_cast<int>(FrameCache::cached_bytes() / 120);
    int reused = 0;
    std::vector<void*> again;
    for (int i = 0; i < n; ++i) {
        again.push_back(FrameCache::allocate(120));
        reused += std::binary_search(freed.begin(), freed.end(), again.back());
    }
    // The depot's batches all come back (the arena may hand out a few of the others again).
    EXPECT_GE(reused, std::min<int>(n - listed, n / FrameCache::kBatch * FrameCache::kBatch));
    for (void* p : again) FrameCache::deallocate(p, 120);
    FrameCache::trim();
}

TEST(FrameCache, ManyThreadsSpawningAndFinishingLoseNoBlock) {
    // Run under TSan in CI: the depot's hand-over between threads is the racy part.
    FrameCache::trim();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t] {
            std::vector<void*> mine;
            for (int round = 0; round < 50; ++round) {
                for (int i = 0; i < 200; ++i) {
                    auto* p = static_cast<unsigned char*>(FrameCache::allocate(96 + 16 * (i % 3)));
                    p[0] = static_cast<unsigned char>(t);  // write: a block handed out twice races
                    mine.push_back(p);
                }
                for (std::size_t i = 0; i < mine.size(); ++i)
                    FrameCache::deallocate(mine[i], 96 + 16 * (i % 3));
                mine.clear();
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_LE(FrameCache::depot_bytes(), FrameCache::kMaxDepotBytes);
    FrameCache::trim();
    EXPECT_EQ(FrameCache::depot_bytes(), 0u);
}

weft::Task<int> leaf(int v) { co_return v + 1; }
weft::Task<int> chain(int depth) {
    int sum = 0;
    for (int i = 0; i < depth; ++i) sum += co_await leaf(i);
    co_return sum;
}

TEST(FrameCache, CoroutineFramesAreRecycled) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    EXPECT_EQ(weft::block_on(chain(1000)), 1000 * 1001 / 2);
    // Every leaf frame went back to the cache and the next leaf took it again: what is left is
    // at most the batches the two classes of this test's frames came in, not a frame per call.
    EXPECT_GT(FrameCache::cached_bytes(), 0u);
    EXPECT_LE(FrameCache::cached_bytes(), 2 * FrameCache::kBatch * 512u);
    FrameCache::trim();
}

}  // namespace
