#pragma once

// Per-thread free lists for the small blocks every spawn and every coroutine call allocates:
// coroutine frames and task cells. A spawn that completes hands its two blocks back to the
// thread that freed them, and the next spawn there takes them without calling malloc.
//
// Blocks are rounded up to 16-byte classes up to 512 bytes; each thread keeps at most
// `kMaxCachedBytes` cached and gives the rest to the global heap. A block freed on another
// thread than the one that allocated it simply joins that thread's lists (all blocks come from
// `::operator new`, so any thread may eventually return them to the heap).
//
// Under AddressSanitizer the cache is bypassed, so a use of a destroyed frame is still reported.

#include <cstddef>
#include <cstdint>
#include <new>

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
    static constexpr std::size_t kGranule = 16;
    static constexpr std::size_t kMaxBlock = 512;
    static constexpr std::size_t kClasses = kMaxBlock / kGranule;
    static constexpr std::size_t kMaxCachedBytes = 64 * 1024;

    static void* allocate(std::size_t size) {
        if (size <= kMaxBlock && size != 0) {
            const std::size_t cls = (size - 1) / kGranule;
#if WEFT_FRAME_CACHE_ENABLED
            Lists& l = lists_;
            if (Block* b = l.head[cls]) {
                l.head[cls] = b->next;
                l.cached_bytes -= (cls + 1) * kGranule;
                return b;
            }
#endif
            // Whole classes even with the cache off: a program whose parts are built with and
            // without sanitizers may free this block into a cache that hands it out again for
            // any size of its class.
            return ::operator new((cls + 1) * kGranule);
        }
        return ::operator new(size);
    }

    static void deallocate(void* p, [[maybe_unused]] std::size_t size) noexcept {
#if WEFT_FRAME_CACHE_ENABLED
        if (size <= kMaxBlock && size != 0) {
            const std::size_t cls = (size - 1) / kGranule;
            const std::size_t bytes = (cls + 1) * kGranule;
            Lists& l = lists_;
            if (l.state == State::live && l.cached_bytes + bytes <= kMaxCachedBytes) {
                auto* b = static_cast<Block*>(p);
                b->next = l.head[cls];
                l.head[cls] = b;
                l.cached_bytes += bytes;
                return;
            }
            if (l.state == State::fresh) {
                adopt_thread();  // registers the exit hook, then caches
                deallocate(p, size);
                return;
            }
        }
#endif
        ::operator delete(p);
    }

    /// Returns this thread's cached blocks to the heap (tests; thread exit does it too).
    static void trim() noexcept;
    /// Bytes this thread holds cached.
    static std::size_t cached_bytes() noexcept { return lists_.cached_bytes; }

private:
    struct Block {
        Block* next;
    };
    enum class State : std::uint8_t { fresh, live, dead };
    struct Lists {
        Block* head[kClasses];
        std::size_t cached_bytes;
        State state;
    };

    static void adopt_thread() noexcept;

    // Trivially destructible, constant-initialised: access is a plain TLS load. The exit hook
    // that drains it is registered on the first cached free (`adopt_thread`).
    static constinit thread_local Lists lists_;
};

}  // namespace weft::detail
