#include <pthread.h>

#include <array>
#include <atomic>
#include <mutex>
#include <type_traits>
#include <utility>
#include <weft/detail/frame_cache.hpp>

#include "detail/block_arena.hpp"

namespace weft::detail {

constinit thread_local FrameCache::Lists FrameCache::lists_{};

namespace {

// The depot: per class, a stack of full batches. A thread takes the lock once per `kBatch`
// blocks. Constant-initialised and trivially destructible, so threads that exit after main
// returns can still use it.
struct DepotClass {
    std::mutex mutex;
    FreeBlock* batches = nullptr;  // first blocks of the batches, linked through `next_batch`
};
static_assert(std::is_trivially_destructible_v<DepotClass>,
              "threads that exit after main returns still use the depot");
static_assert(FrameCache::kSmallClasses <= BlockArena::kMaxClasses);
constinit std::array<DepotClass, FrameCache::kSmallClasses> depot{};
constinit std::atomic<std::size_t> depot_bytes_total{0};

// fork() copies only the calling thread: a depot lock another thread held then would stay held
// in the child. Hold them all across fork (no code path holds two, so the order is free).
void lock_depot() noexcept {
    for (DepotClass& d : depot) d.mutex.lock();
}
void unlock_depot() noexcept {
    for (DepotClass& d : depot) d.mutex.unlock();
}
[[maybe_unused]] const int depot_fork_hooks = ::pthread_atfork(lock_depot, unlock_depot, unlock_depot);

}  // namespace

std::size_t FrameCache::depot_bytes() noexcept { return depot_bytes_total.load(std::memory_order_relaxed); }

void* FrameCache::refill(std::size_t cls) noexcept {
    Lists& l = lists_;
    if (l.state == State::dead) return nullptr;  // exiting: nobody would drain the list again
    if (cls >= kSmallClasses) return nullptr;    // large blocks come from malloc
    const std::size_t bytes = class_bytes(cls);
    FreeBlock* batch = nullptr;
    std::size_t got = kBatch;
    if (depot_bytes_total.load(std::memory_order_relaxed) != 0) {
        DepotClass& d = depot[cls];
        std::lock_guard lock(d.mutex);
        batch = d.batches;
        if (batch) d.batches = batch->next_batch;
    }
    if (batch) {
        depot_bytes_total.fetch_sub(kBatch * bytes, std::memory_order_relaxed);
    } else {
        batch = BlockArena::take(cls, bytes, kBatch, got);
        if (!batch) return nullptr;
    }
    if (l.state == State::fresh) adopt_thread();
    // The first block is returned, the others become this thread's list.
    l.head[cls] = batch->next;
    l.count[cls] = static_cast<std::uint32_t>(got - 1);
    l.cached_bytes += (got - 1) * bytes;
    return batch;
}

namespace {

/// Frees a chain of blocks: the arena's back to it in one call, any others (malloc's) to
/// malloc.
void free_chain(FreeBlock* first) noexcept {
    FreeBlock* arena_chain = nullptr;
    for (FreeBlock* b = first; b;) {
        FreeBlock* next = b->next;
        if (BlockArena::owns(b)) {
            b->next = arena_chain;
            arena_chain = b;
        } else {
            ::operator delete(b);
        }
        b = next;
    }
    BlockArena::give(arena_chain);
}

}  // namespace

void FrameCache::free_newest(std::size_t cls) noexcept {
    Lists& l = lists_;
    const std::size_t bytes = class_bytes(cls);
    FreeBlock* b = l.head[cls];
    l.head[cls] = b->next;
    --l.count[cls];
    l.cached_bytes -= bytes;
    if (cls >= kSmallClasses) l.large_bytes -= bytes;
    release(b);
}

void FrameCache::release(void* p) noexcept {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = nullptr;
    free_chain(b);
}

void FrameCache::overflow(std::size_t cls) noexcept {
    Lists& l = lists_;
    if (cls >= kSmallClasses) {
        // A large block: over its class's few, or over the budget. Only the newest goes: large
        // classes were just used, and their blocks are the first to go under pressure below.
        if (l.count[cls] >= kMaxLargeListBlocks || l.cached_bytes > kMaxCachedBytes) free_newest(cls);
        return;
    }
    // Over the budget with large blocks cached: those go back first.
    for (std::size_t large = kClasses - 1; l.cached_bytes > kMaxCachedBytes && l.large_bytes != 0; --large) {
        while (l.count[large] != 0 && l.cached_bytes > kMaxCachedBytes) free_newest(large);
        if (large == kSmallClasses) break;
    }
    if (l.count[cls] < kMaxListBlocks && l.cached_bytes <= kMaxCachedBytes) return;
    if (l.count[cls] < kBatch) {
        // Over the thread's total with only a few blocks of this class: free the newest.
        free_newest(cls);
        return;
    }
    move_batch_to_depot(cls);
}

void FrameCache::move_batch_to_depot(std::size_t cls) noexcept {
    Lists& l = lists_;
    const std::size_t bytes = class_bytes(cls);
    // Detach the newest kBatch blocks as one batch.
    FreeBlock* first = l.head[cls];
    FreeBlock* last = first;
    for (std::uint32_t i = 1; i < kBatch; ++i) last = last->next;
    l.head[cls] = last->next;
    last->next = nullptr;
    l.count[cls] -= kBatch;
    l.cached_bytes -= kBatch * bytes;

    const std::size_t batch_bytes = kBatch * bytes;
    if (depot_bytes_total.fetch_add(batch_bytes, std::memory_order_relaxed) + batch_bytes > kMaxDepotBytes) {
        depot_bytes_total.fetch_sub(batch_bytes, std::memory_order_relaxed);
        free_chain(first);  // the depot is full: back to the heap
        return;
    }
    DepotClass& d = depot[cls];
    std::lock_guard lock(d.mutex);
    first->next_batch = d.batches;
    d.batches = first;
}

void FrameCache::empty_lists(bool to_depot) noexcept {
    Lists& l = lists_;
    for (std::size_t cls = 0; cls < kClasses; ++cls) {
        if (to_depot && cls < kSmallClasses) {
            while (l.count[cls] >= kBatch) move_batch_to_depot(cls);
        }
        free_chain(l.head[cls]);
        l.head[cls] = nullptr;
        l.count[cls] = 0;
    }
    l.cached_bytes = 0;
    l.large_bytes = 0;
}

void FrameCache::trim() noexcept {
    empty_lists(false);
    for (std::size_t cls = 0; cls < kSmallClasses; ++cls) {
        FreeBlock* batches;
        {
            std::lock_guard lock(depot[cls].mutex);
            batches = std::exchange(depot[cls].batches, nullptr);
        }
        for (FreeBlock* b = batches; b;) {
            FreeBlock* next = b->next_batch;
            depot_bytes_total.fetch_sub(kBatch * class_bytes(cls), std::memory_order_relaxed);
            free_chain(b);
            b = next;
        }
    }
}

void FrameCache::adopt_thread() noexcept {
    // At thread exit the lists move to the depot, in batches (the remainder to the heap);
    // frees after that go straight to the heap.
    struct ExitHook {
        ~ExitHook() {
            empty_lists(true);
            lists_.state = State::dead;
        }
    };
    thread_local ExitHook hook;  // constructed on first use, which registers its destructor
    (void)hook;
    lists_.state = State::live;
}

}  // namespace weft::detail
