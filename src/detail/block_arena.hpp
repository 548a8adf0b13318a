#pragma once

// Where FrameCache's small blocks (task cells, most coroutine frames) come from once its thread
// lists and depot are empty, and where they go when those are full: 2 MiB segments of address
// space, each cut into 64 KiB spans that serve one size class.
//
// Why not malloc: a spawn storm touches fresh memory for every task, and a page fault can cost
// more than the spawn (on the Firecracker VM the benchmarks ran on, faults were most of a spawn
// storm of 100k tasks: docs/benchmarks.md). Segments after the first are advised as transparent huge pages,
// so one fault brings 2 MiB instead of 4 KiB; the first stays in small pages, so that a program with a few
// tasks does not hold 2 MiB for them. Blocks are carved from a span only when first needed, so its untouched
// pages are never faulted in.
//
// Memory goes back to the system: a span whose blocks are all free returns to its segment, and
// a segment with no span in use is unmapped (one empty segment is kept, so a workload that
// hovers at a segment boundary does not map and unmap it over and over).
//
// One mutex guards it all; FrameCache calls it once per batch of blocks, never per block on the
// fast path. Blocks whose address is not in a segment (malloc's, when mapping failed or from a
// build without the cache) are told apart by `owns`, a bit per 2 MiB of address space.

#include <cstddef>
#include <weft/detail/free_block.hpp>

namespace weft::detail {

class BlockArena {
public:
    static constexpr std::size_t kSegmentBytes = std::size_t{2} << 20;
    static constexpr std::size_t kSpanBytes = std::size_t{64} << 10;
    /// Size classes it serves: 0 .. kMaxClasses - 1.
    static constexpr std::size_t kMaxClasses = 64;

    /// Up to `n` blocks of `bytes` (a multiple of 8, at least 24, at most a quarter span), spaced
    /// by exactly `bytes` from a 64-byte boundary (so aligned to the largest power of two up to 64
    /// that divides `bytes`), linked into a null-terminated chain; `got` says how many (0
    /// when no memory could be mapped). Blocks of one `size_class` must always have one size.
    static FreeBlock* take(std::size_t size_class, std::size_t bytes, std::size_t n,
                           std::size_t& got) noexcept;
    /// Returns a chain of blocks (each one that `owns`).
    static void give(FreeBlock* chain) noexcept;
    /// True when `p` lies in one of the arena's segments.
    static bool owns(const void* p) noexcept;
    /// Bytes of address space mapped as segments (tests and diagnostics).
    static std::size_t mapped_bytes() noexcept;
};

}  // namespace weft::detail
