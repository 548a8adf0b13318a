#include <gtest/gtest.h>

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
    void* a = FrameCache::allocate(72);
    FrameCache::deallocate(a, 72);
    EXPECT_EQ(FrameCache::cached_bytes(), 80u);  // rounded up to its 16-byte class
    void* b = FrameCache::allocate(80);          // same class
    EXPECT_EQ(a, b);
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
    void* c = FrameCache::allocate(64);  // another class: a new block
    EXPECT_NE(b, c);
    FrameCache::deallocate(b, 80);
    FrameCache::deallocate(c, 64);
    FrameCache::trim();
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
}

TEST(FrameCache, CachedBytesStayUnderTheCap) {
    if (!kEnabled) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    FrameCache::trim();
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; ++i) blocks.push_back(FrameCache::allocate(256));
    for (void* p : blocks) FrameCache::deallocate(p, 256);
    EXPECT_LE(FrameCache::cached_bytes(), FrameCache::kMaxCachedBytes);
    EXPECT_GT(FrameCache::cached_bytes(), FrameCache::kMaxCachedBytes - 256);
    FrameCache::trim();
}

TEST(FrameCache, LargeBlocksBypassTheCache) {
    FrameCache::trim();
    void* p = FrameCache::allocate(FrameCache::kMaxBlock + 1);
    FrameCache::deallocate(p, FrameCache::kMaxBlock + 1);
    EXPECT_EQ(FrameCache::cached_bytes(), 0u);
}

TEST(FrameCache, BlocksFreedOnAnotherThreadJoinThatThreadsCache) {
    std::vector<void*> blocks;
    for (int i = 0; i < 100; ++i) blocks.push_back(FrameCache::allocate(128));
    std::size_t cached_there = 0;
    std::thread other([&] {
        for (void* p : blocks) FrameCache::deallocate(p, 128);
        cached_there = FrameCache::cached_bytes();
    });  // its exit hook returns them to the heap (LeakSanitizer would see a loss)
    other.join();
    EXPECT_EQ(cached_there, kEnabled ? 100u * 128u : 0u);
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
    // at most the two frames of this test's coroutines.
    EXPECT_GT(FrameCache::cached_bytes(), 0u);
    EXPECT_LE(FrameCache::cached_bytes(), 2 * FrameCache::kMaxBlock);
    FrameCache::trim();
}

}  // namespace
