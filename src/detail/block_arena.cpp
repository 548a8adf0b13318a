#include "detail/block_arena.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstdint>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

namespace weft::detail {
namespace {

constexpr std::size_t kSpans = BlockArena::kSegmentBytes / BlockArena::kSpanBytes;
constexpr std::size_t kMinStride = 24;
constexpr std::size_t kFreeWords = (BlockArena::kSpanBytes / kMinStride + 63) / 64;
constexpr std::size_t kMaxClasses = BlockArena::kMaxClasses;
constexpr unsigned kAddressBits = 48;  // user space on x86-64 and arm64 without 5-level paging
constexpr std::size_t kSegmentShift = 21;
static_assert(BlockArena::kSegmentBytes == std::size_t{1} << kSegmentShift);

// Blocks given back are marked in the span's bitmap rather than linked through their first
// bytes: handing them out again then reads only the span's header, not one cold block after
// another (a chain of dependent cache misses, a tenth of a timer storm on its second run), and
// picks them in address order (a batch's chain links them highest first).
struct Span {
    std::uint64_t free[kFreeWords] = {};  // bit i: block i was given back and not taken since
    std::uint32_t stride = 0;             // block size; 0 while the span serves no class
    std::uint32_t cls = 0;
    std::uint32_t live = 0;       // blocks handed out and not given back
    std::uint32_t carved = 0;     // blocks handed out at least once: the bitmap's extent
    std::uint32_t next_off = 0;   // offset of the next block never handed out yet
    std::uint32_t scan_from = 0;  // no free bit in the words before this one
    Span* prev = nullptr;         // in its class's list of spans with room
    Span* next = nullptr;
    bool listed = false;

    bool has_freed() const noexcept { return carved != live; }
};

struct Segment {
    Span spans[kSpans];
    std::uint32_t spans_in_use = 0;
    Segment* prev = nullptr;  // in the list of segments with a free span
    Segment* next = nullptr;
    bool listed = false;
};
// The header sits at the start of span 0, whose blocks begin after it.
constexpr std::uint32_t kHeaderBytes = (sizeof(Segment) + 63) & ~std::uint32_t{63};
static_assert(kHeaderBytes < BlockArena::kSpanBytes / 2);

template <class Node>
void list_push(Node*& head, Node* n) noexcept {
    n->prev = nullptr;
    n->next = head;
    if (head) head->prev = n;
    head = n;
    n->listed = true;
}
template <class Node>
void list_remove(Node*& head, Node* n) noexcept {
    if (n->prev)
        n->prev->next = n->next;
    else
        head = n->next;
    if (n->next) n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    n->listed = false;
}

struct State {
    std::mutex mutex;
    Span* with_room[kMaxClasses] = {};  // spans of each class that can hand out a block
    Segment* with_free_span = nullptr;  // segments with a span serving no class
    Segment* spare = nullptr;           // an empty segment kept mapped
    std::size_t segments = 0;           // mapped, the spare included
    bool unusable = false;              // a mapping landed beyond the bitmap
    std::atomic<std::size_t> mapped{0};
    // A bit per 2 MiB of address space, set while a segment is mapped there (16 MiB of address
    // space, faulted in only where segments are).
    std::atomic<std::uint64_t*> bits{nullptr};
};
// Constant-initialised and trivially destructible: no first-use guard (a thread forked while
// another held such a guard would wait on it forever), and blocks can come back during exit.
constinit State the_state;
static_assert(std::is_trivially_destructible_v<State>);
State& state() noexcept { return the_state; }

// fork() copies only the calling thread: a lock another thread held then would stay held in
// the child, and its first spawn would hang. Hold it across fork, as malloc does with its own.
[[maybe_unused]] const int fork_hooks = ::pthread_atfork(
    [] { the_state.mutex.lock(); }, [] { the_state.mutex.unlock(); }, [] { the_state.mutex.unlock(); });

std::uintptr_t segment_index(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p) >> kSegmentShift;
}

void set_owned(State& s, Segment* seg, bool owned) noexcept {
    std::uint64_t* bits = s.bits.load(std::memory_order_relaxed);
    const std::uintptr_t i = segment_index(seg);
    std::atomic_ref<std::uint64_t> word(bits[i / 64]);
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    if (owned)
        word.fetch_or(bit, std::memory_order_release);
    else
        word.fetch_and(~bit, std::memory_order_release);
}

Segment* map_segment(State& s) noexcept {
    if (s.unusable) return nullptr;
    if (!s.bits.load(std::memory_order_relaxed)) {
        const std::size_t bytes = (std::size_t{1} << (kAddressBits - kSegmentShift)) / 8;
        void* b = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                         -1, 0);
        if (b == MAP_FAILED) return nullptr;
        s.bits.store(static_cast<std::uint64_t*>(b), std::memory_order_release);
    }
    // Map twice the size and trim to an aligned segment: huge pages need 2 MiB alignment, and
    // the alignment finds a block's span by masking its address.
    const std::size_t size = BlockArena::kSegmentBytes;
    void* raw =
        ::mmap(nullptr, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + size - 1) & ~(size - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    if (start + 2 * size > aligned + size)
        ::munmap(reinterpret_cast<void*>(aligned + size), start + 2 * size - aligned - size);
    void* seg_mem = reinterpret_cast<void*>(aligned);
    if ((aligned >> kAddressBits) != 0) {  // beyond the bitmap (5-level paging): malloc from now on
        ::munmap(seg_mem, size);
        s.unusable = true;
        return nullptr;
    }
    // The first segment stays in small pages (a program with a few tasks needs a few pages);
    // from the second on, the program is spawning in earnest.
    if (s.segments >= 1) ::madvise(seg_mem, size, MADV_HUGEPAGE);
    auto* seg = new (seg_mem) Segment();
    ++s.segments;
    s.mapped.fetch_add(size, std::memory_order_relaxed);
    set_owned(s, seg, true);
    return seg;
}

void unmap_segment(State& s, Segment* seg) noexcept {
    set_owned(s, seg, false);
    --s.segments;
    s.mapped.fetch_sub(BlockArena::kSegmentBytes, std::memory_order_relaxed);
    ::munmap(seg, BlockArena::kSegmentBytes);
}

std::uint32_t span_begin(std::size_t index) noexcept { return index == 0 ? kHeaderBytes : 0; }
char* span_base(Segment* seg, std::size_t index) noexcept {
    return reinterpret_cast<char*>(seg) + index * BlockArena::kSpanBytes;
}

/// A span of `cls` with nothing handed out yet, listed as having room; null when out of memory.
Span* new_span(State& s, std::size_t cls, std::uint32_t stride) noexcept {
    Segment* seg = s.with_free_span;
    if (!seg) {
        seg = std::exchange(s.spare, nullptr);
        if (!seg) seg = map_segment(s);
        if (!seg) return nullptr;
        list_push(s.with_free_span, seg);
    }
    std::size_t index = 0;
    while (seg->spans[index].stride != 0) ++index;
    Span& span = seg->spans[index];
    span.stride = stride;
    span.cls = static_cast<std::uint32_t>(cls);
    span.live = 0;
    span.carved = 0;
    span.scan_from = 0;
    span.next_off = span_begin(index);
    if (++seg->spans_in_use == kSpans) list_remove(s.with_free_span, seg);
    list_push(s.with_room[cls], &span);
    return &span;
}

/// `span` has nothing handed out: it serves no class any more; an empty segment is kept as the
/// spare or unmapped.
void retire_span(State& s, Segment* seg, Span& span) noexcept {
    if (span.listed) list_remove(s.with_room[span.cls], &span);
    // Every carved block is free: clear their bits for the span's next class.
    const std::uint32_t words = (span.carved + 63) / 64;
    for (std::uint32_t w = span.scan_from; w < words; ++w) span.free[w] = 0;
    span.stride = 0;
    if (seg->spans_in_use-- == kSpans) list_push(s.with_free_span, seg);
    if (seg->spans_in_use != 0) return;
    list_remove(s.with_free_span, seg);
    if (!s.spare) {
        s.spare = seg;
        return;
    }
    unmap_segment(s, seg);
}

}  // namespace

FreeBlock* BlockArena::take(std::size_t size_class, std::size_t bytes, std::size_t n,
                            std::size_t& got) noexcept {
    assert(size_class < kMaxClasses && bytes % 8 == 0 && bytes >= kMinStride && bytes <= kSpanBytes / 4);
    State& s = state();
    const auto stride = static_cast<std::uint32_t>(bytes);
    FreeBlock* chain = nullptr;
    got = 0;
    std::lock_guard lock(s.mutex);
    while (got < n) {
        Span* span = s.with_room[size_class];
        if (!span) span = new_span(s, size_class, stride);
        if (!span) break;
        assert(span->stride == stride && "one size class, one block size");
        Segment* seg =
            reinterpret_cast<Segment*>(reinterpret_cast<std::uintptr_t>(span) & ~(kSegmentBytes - 1));
        const std::size_t index = static_cast<std::size_t>(span - seg->spans);
        char* const blocks = span_base(seg, index) + span_begin(index);
        // Blocks given back first: their pages are faulted in already.
        for (std::uint32_t w = span->scan_from; got < n && w < kFreeWords && span->has_freed(); ++w) {
            std::uint64_t bits = span->free[w];
            while (bits != 0 && got < n) {
                const auto i = static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits));
                bits &= bits - 1;
                auto* b = reinterpret_cast<FreeBlock*>(blocks + std::size_t{i} * stride);
                b->next = chain;
                chain = b;
                ++span->live;
                ++got;
            }
            span->free[w] = bits;
            span->scan_from = bits != 0 ? w : w + 1;
        }
        while (got < n && span->next_off + stride <= kSpanBytes) {
            auto* b = reinterpret_cast<FreeBlock*>(span_base(seg, index) + span->next_off);
            span->next_off += stride;
            b->next = chain;
            chain = b;
            ++span->live;
            ++span->carved;
            ++got;
        }
        if (!span->has_freed() && span->next_off + stride > kSpanBytes)
            list_remove(s.with_room[size_class], span);
    }
    return chain;
}

void BlockArena::give(FreeBlock* chain) noexcept {
    if (!chain) return;
    State& s = state();
    std::lock_guard lock(s.mutex);
    for (FreeBlock* b = chain; b;) {
        FreeBlock* next = b->next;
        auto* seg = reinterpret_cast<Segment*>(reinterpret_cast<std::uintptr_t>(b) & ~(kSegmentBytes - 1));
        const std::size_t index =
            (reinterpret_cast<std::uintptr_t>(b) - reinterpret_cast<std::uintptr_t>(seg)) / kSpanBytes;
        Span& span = seg->spans[index];
        assert(span.stride != 0 && span.live != 0);
        const auto offset = static_cast<std::uint32_t>(reinterpret_cast<char*>(b) - span_base(seg, index) -
                                                       span_begin(index));
        const std::uint32_t i = offset / span.stride;
        const std::uint64_t bit = std::uint64_t{1} << (i % 64);
        assert(offset % span.stride == 0 && i < span.carved);
        assert(!(span.free[i / 64] & bit) && "a block given back twice");
        span.free[i / 64] |= bit;
        span.scan_from = std::min(span.scan_from, i / 64);
        if (--span.live == 0) {
            retire_span(s, seg, span);  // every block is free: the span serves no class now
        } else if (!span.listed) {
            list_push(s.with_room[span.cls], &span);
        }
        b = next;
    }
}

bool BlockArena::owns(const void* p) noexcept {
    const std::uint64_t* bits = state().bits.load(std::memory_order_acquire);
    const std::uintptr_t i = segment_index(p);
    if (!bits || (i >> (kAddressBits - kSegmentShift)) != 0) return false;
    std::atomic_ref<std::uint64_t> word(const_cast<std::uint64_t&>(bits[i / 64]));
    return (word.load(std::memory_order_acquire) >> (i % 64)) & 1;
}

std::size_t BlockArena::mapped_bytes() noexcept { return state().mapped.load(std::memory_order_relaxed); }

}  // namespace weft::detail
