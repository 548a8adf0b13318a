#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>
#include <weft/detail/frame_cache.hpp>

#include "detail/block_arena.hpp"
#include "support/child_process.hpp"

using weft::detail::BlockArena;
using weft::detail::FrameCache;
using weft::detail::FreeBlock;

namespace {

constexpr std::size_t kArenaClass = BlockArena::kMaxClasses - 1;  // a class FrameCache never uses
static_assert(FrameCache::kSmallClasses <= kArenaClass);

/// Takes and gives back a few blocks through both allocators: the depot's locks and the
/// arena's. Nothing here calls malloc itself (the child runs it too; see below); glibc's own
/// malloc, which a thread's first cached free reaches to register its exit hook, is fork-safe.
void allocate_some() {
    // Under AddressSanitizer FrameCache is malloc, and GCC 12's sanitizer allocator does not
    // hold its own locks across fork: a child can hang inside it (gdb: __sanitizer::Mutex::Lock
    // in SizeClassAllocator64::GetFromAllocator). The arena is tested there all the same.
    if (WEFT_FRAME_CACHE_ENABLED) {
        void* blocks[100];
        for (void*& p : blocks) p = FrameCache::allocate(104);
        for (void* p : blocks) FrameCache::deallocate(p, 104);
    }
    std::size_t got = 0;
    FreeBlock* chain = BlockArena::take(kArenaClass, 96, 8, got);
    BlockArena::give(chain);
    FrameCache::trim();  // every depot lock, and the arena's
}

// fork() copies only the calling thread. A lock another thread held at that moment would stay
// held in the child forever, and the child's first spawn would hang; the allocators hold their
// locks across fork, as malloc does.
TEST(Fork, AChildForkedWhileOtherThreadsAllocateCanAllocate) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> churn;
    for (int t = 0; t < 2; ++t) {
        churn.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed)) allocate_some();
        });
    }
    int hung = 0;
    int failed = 0;
    for (int i = 0; i < 40; ++i) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            allocate_some();
            ::_exit(0);
        }
        const std::optional<int> status = weft::test::wait_or_kill(pid, std::chrono::seconds(10));
        if (!status)
            ++hung;
        else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
            ++failed;
    }
    stop = true;
    for (auto& t : churn) t.join();
    EXPECT_EQ(hung, 0) << "children that hung on an allocator lock";
    EXPECT_EQ(failed, 0);
}

}  // namespace
