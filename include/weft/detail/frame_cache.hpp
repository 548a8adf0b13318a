#pragma once

// Per-thread free lists for the small blocks every spawn and every coroutine call allocates:
// coroutine frames and task cells. A spawn that completes hands its two blocks back to the
// thread that freed them, and the next spawn there takes them without calling malloc.
//
// Blocks are rounded up to classes 8 bytes apart up to 2 KiB (24, 32, 40, ... bytes), and the
// arena spaces a class's blocks by exactly its size, so a 72-byte frame takes 72 bytes, not 80.
// A block is then only 8-byte aligned when its size is an odd multiple of 8, which is enough:
// an object's size is a multiple of its alignment, so nothing that needs 16 asks for such a
// size (sizes that are multiples of 16 get blocks aligned to 16). Small classes (up to 512 bytes: task
// cells and most frames) keep at most `kMaxListBlocks` per class on a thread's list; beyond
// that, or beyond `kMaxCachedBytes` in all, a thread moves `kBatch` blocks at once to a shared
// depot, where a thread whose list is empty takes a batch before it goes to the arena. The depot is
// what makes tasks spawned on one thread and finished on another cheap: without it the
// finishing thread frees into the spawner's malloc arena (a lock taken per block by both
// threads: the multi-thread spawn benchmarks spent most of their time in futex calls). The depot
// holds at most `kMaxDepotBytes`; the rest goes back to where it came from. Small blocks come
// from weft's block arena (src/detail/block_arena.hpp: spans of huge pages, so a spawn storm
// does not fault in a page per task), a batch at a time; large ones from malloc. Large classes
// (an HTTP exchange's frames, 0.6 to 1.4 KiB) stay on the thread, `kMaxLargeListBlocks` per
// class, and are the first to go back to malloc when the thread is over its byte budget, so that
// a few large frames never push the small ones out. A thread that exits moves its small lists to
// the depot.
//
// Under AddressSanitizer the cache is bypassed, so a use of a destroyed frame is still reported.

#include <cstddef>
#include <cstdint>
#include <new>
#include <weft/detail/free_block.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_FRAME_CACHE_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_FRAME_CACHE_ENABLED 0
#endif
#endif
#ifndef WEFT_FRAME_CACHE_ENABLED
#define WEFT_FRAME_CACHE_ENABLED 1
#endif

namespace weft::detail {

class FrameCache {
public:
    static constexpr std::size_t kGranule = 8;
    static constexpr std::size_t kMinBlock = 24;  // a FreeBlock
    static constexpr std::size_t kMaxBlock = 2048;
    /// The class of a request of `size` bytes (1 <= size <= kMaxBlock).
    static constexpr std::size_t class_of(std::size_t size) noexcept {
        return size <= kMinBlock ? 0 : (size - kMinBlock + kGranule - 1) / kGranule;
    }
    /// The size of the blocks of class `cls`.
    static constexpr std::size_t class_bytes(std::size_t cls) noexcept { return kMinBlock + cls * kGranule; }
    static constexpr std::size_t kClasses = (kMaxBlock - kMinBlock + kGranule - 1) / kGranule + 1;
    static constexpr std::size_t kMaxSmallBlock = 512;  // larger blocks never enter the depot
    static constexpr std::size_t kSmallClasses = (kMaxSmallBlock - kMinBlock + kGranule - 1) / kGranule + 1;
    static constexpr std::uint32_t kMaxLargeListBlocks = 4;
    static constexpr std::size_t kMaxCachedBytes = 64 * 1024;
    static constexpr std::uint32_t kBatch = 32;
    static constexpr std::uint32_t kMaxListBlocks = 2 * kBatch;
    static constexpr std::size_t kMaxDepotBytes = 8 * 1024 * 1024;
    static_assert(sizeof(FreeBlock) <= kMinBlock);

    static void* allocate(std::size_t size) {
        if (size <= kMaxBlock && size != 0) {
            const std::size_t cls = class_of(size);
#if WEFT_FRAME_CACHE_ENABLED
            Lists& l = lists_;
            if (FreeBlock* b = l.head[cls]) {
                l.head[cls] = b->next;
                --l.count[cls];
                l.cached_bytes -= class_bytes(cls);
                if (cls >= kSmallClasses) l.large_bytes -= class_bytes(cls);
                return b;
            }
            if (void* p = refill(cls)) return p;
#endif
            // Whole classes even with the cache off: a program whose parts are built with and
            // without sanitizers may free this block into a cache that hands it out again for
            // any size of its class.
            return ::operator new(class_bytes(cls));
        }
        return ::operator new(size);
    }

    static void deallocate(void* p, [[maybe_unused]] std::size_t size) noexcept {
#if WEFT_FRAME_CACHE_ENABLED
        if (size <= kMaxBlock && size != 0) {
            const std::size_t cls = class_of(size);
            Lists& l = lists_;
            if (l.state == State::live) {
                auto* b = static_cast<FreeBlock*>(p);
                b->next = l.head[cls];
                l.head[cls] = b;
                ++l.count[cls];
                l.cached_bytes += class_bytes(cls);
                if (cls >= kSmallClasses) l.large_bytes += class_bytes(cls);
                const std::uint32_t limit = cls < kSmallClasses ? kMaxListBlocks : kMaxLargeListBlocks;
                if (l.count[cls] >= limit || l.cached_bytes > kMaxCachedBytes) overflow(cls);
                return;
            }
            if (l.state == State::fresh) {
                adopt_thread();  // registers the exit hook, then caches
                deallocate(p, size);
                return;
            }
        }
#endif
        release(p);
    }

    /// Returns this thread's cached blocks and the depot's to the arena or malloc (tests).
    static void trim() noexcept;
    /// Bytes this thread holds cached.
    static std::size_t cached_bytes() noexcept { return lists_.cached_bytes; }
    /// Bytes waiting in the shared depot.
    static std::size_t depot_bytes() noexcept;

private:
    enum class State : std::uint8_t { fresh, live, dead };
    struct Lists {
        FreeBlock* head[kClasses];
        std::uint32_t count[kClasses];
        std::size_t cached_bytes;
        std::size_t large_bytes;  // the part of cached_bytes in large classes
        State state;
    };
    /// Frees the newest block of `cls` (to the arena or malloc).
    static void free_newest(std::size_t cls) noexcept;
    /// Gives one uncached block back to the arena, or to malloc when it came from there.
    static void release(void* p) noexcept;

    static void adopt_thread() noexcept;
    /// This thread's list of `cls` is empty: takes a batch from the depot, returns one block.
    static void* refill(std::size_t cls) noexcept;
    /// The list of `cls` (or the thread's total) grew past its bound: frees large blocks, or
    /// moves a batch of small ones out.
    static void overflow(std::size_t cls) noexcept;
    /// Moves the newest `kBatch` blocks of small class `cls` to the depot (or, when it is
    /// full, to the heap). Needs at least `kBatch` blocks on the list.
    static void move_batch_to_depot(std::size_t cls) noexcept;
    /// Empties this thread's lists: whole batches to the depot when `to_depot`, the rest (or
    /// everything) to the heap.
    static void empty_lists(bool to_depot) noexcept;

    // Trivially destructible, constant-initialised: access is a plain TLS load. The exit hook
    // that drains it is registered on the first cached free (`adopt_thread`).
    static constinit thread_local Lists lists_;
};

}  // namespace weft::detail
