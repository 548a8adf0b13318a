#pragma once

// A hierarchical timing wheel: 6 levels of 64 slots, 1 ms per tick at level 0.
//
// Level L has slots 64^L ticks wide, so it spans 64^(L+1) ticks and the wheel as a whole about
// 2.2 years. An entry goes in the lowest level whose span contains both the wheel's current
// tick (`elapsed`) and its deadline: the level is picked from the highest bit in which the two
// differ. When a slot of a level above 0 comes due its entries are re-inserted, which moves
// them down ("cascading"): each entry is touched at most once per level.
//
// Insert and remove are O(1): a slot is an array of entry pointers, and an entry knows its
// index (removal moves the last one into its place); a bitmask per level marks occupied slots.
// Arrays rather than intrusive lists, because firing a slot of thousands of timers (a storm)
// touches each entry, in its task's frame, cold: an array lets that walk fetch entries ahead,
// where a list is a chain of dependent misses (12% of a timer storm's time).
// Finding the next deadline scans 6 masks. Entries at a lower level always expire before any
// entry at a higher one, so the first occupied level gives the next expiration.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>
#include <weft/time/detail/timer_entry.hpp>

namespace weft::time::detail {

class Wheel {
public:
    static constexpr unsigned levels = 6;
    static constexpr unsigned slots_per_level = 64;
    static constexpr unsigned bits_per_level = 6;
    static constexpr std::uint64_t max_span = std::uint64_t{1} << (levels * bits_per_level);

    /// Links `e` (with `e.when` > elapsed()) into its slot. Allocates only when a slot's array
    /// grows past what it held before (then, out of memory, it terminates).
    void insert(TimerEntry& e) noexcept;
    /// Unlinks `e` if it is linked.
    void remove(TimerEntry& e) noexcept;
    /// Fires (unlinks, marks fired) every entry due at or before `now`, moving its waker into
    /// `wake` so that the caller wakes them after releasing its lock; returns the count.
    std::size_t advance_to(std::uint64_t now, std::vector<Waker>& wake);
    /// The tick at which the earliest slot comes due (a lower bound of the next deadline).
    std::optional<std::uint64_t> next_expiration() const noexcept;

    std::uint64_t elapsed() const noexcept { return elapsed_; }
    std::size_t size() const noexcept { return size_; }

private:
    struct Slot {
        std::vector<TimerEntry*> entries;
    };
    struct Level {
        std::array<Slot, slots_per_level> slots{};
        std::uint64_t occupied = 0;
    };
    struct Expiration {
        unsigned level;
        unsigned slot;
        std::uint64_t deadline;
    };

    static unsigned level_for(std::uint64_t elapsed, std::uint64_t when) noexcept;
    static unsigned slot_for(std::uint64_t when, unsigned level) noexcept;
    std::optional<Expiration> next_expiration_detail() const noexcept;
    void link(TimerEntry& e);
    /// Fires or cascades every entry of `due` (a slot's array, taken out of it).
    void expire(std::vector<TimerEntry*>& due, std::uint64_t now, std::vector<Waker>& wake,
                std::size_t& fired);

    std::array<Level, levels> levels_{};
    std::vector<TimerEntry*> scratch_;  // the array of the slot being fired
    std::uint64_t elapsed_ = 0;
    std::size_t size_ = 0;
};

}  // namespace weft::time::detail
