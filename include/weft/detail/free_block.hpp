#pragma once

namespace weft::detail {

/// A free block of memory, linked into a chain through its first word. FrameCache and
/// BlockArena both read and write the link, so both name it through this one type: a link
/// written as one struct and read as another lets the compiler assume the two accesses do not
/// alias (strict aliasing) and read the link before it was written.
struct FreeBlock {
    FreeBlock* next;
    /// FrameCache's depot only: on a batch's first block, the next batch (every block has
    /// room for both links).
    FreeBlock* next_batch;
};

}  // namespace weft::detail
