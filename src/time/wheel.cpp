#include "time/wheel.hpp"

#include <algorithm>
#include <bit>

namespace weft::time::detail {

unsigned Wheel::level_for(std::uint64_t elapsed, std::uint64_t when) noexcept {
    // Bits below the level-0 slot width never decide the level.
    std::uint64_t masked = (elapsed ^ when) | (slots_per_level - 1);
    if (masked >= max_span) return levels - 1;
    unsigned significant = 63 - std::countl_zero(masked);
    return significant / bits_per_level;
}

unsigned Wheel::slot_for(std::uint64_t when, unsigned level) noexcept {
    return static_cast<unsigned>((when >> (level * bits_per_level)) & (slots_per_level - 1));
}

void Wheel::link(TimerEntry& e) {
    // Deadlines beyond the wheel's span wait in the last level and cascade when it comes due.
    std::uint64_t when = std::min(e.when, elapsed_ + max_span - 1);
    unsigned level = level_for(elapsed_, when);
    unsigned slot = slot_for(when, level);
    auto& entries = levels_[level].slots[slot].entries;
    e.level = static_cast<std::uint8_t>(level);
    e.slot = static_cast<std::uint8_t>(slot);
    e.index = static_cast<std::uint32_t>(entries.size());
    entries.push_back(&e);
    e.linked = true;
    levels_[level].occupied |= std::uint64_t{1} << slot;
}

void Wheel::insert(TimerEntry& e) noexcept {
    link(e);
    ++size_;
}

void Wheel::remove(TimerEntry& e) noexcept {
    if (!e.linked) return;
    Level& level = levels_[e.level];
    auto& entries = level.slots[e.slot].entries;
    TimerEntry* last = entries.back();
    entries[e.index] = last;
    last->index = e.index;
    entries.pop_back();
    if (entries.empty()) level.occupied &= ~(std::uint64_t{1} << e.slot);
    e.linked = false;
    --size_;
}

std::optional<Wheel::Expiration> Wheel::next_expiration_detail() const noexcept {
    for (unsigned level = 0; level < levels; ++level) {
        std::uint64_t occupied = levels_[level].occupied;
        if (!occupied) continue;
        unsigned shift = level * bits_per_level;
        std::uint64_t slot_width = std::uint64_t{1} << shift;
        std::uint64_t level_span = slot_width << bits_per_level;
        unsigned now_slot = static_cast<unsigned>((elapsed_ >> shift) & (slots_per_level - 1));
        unsigned distance =
            static_cast<unsigned>(std::countr_zero(std::rotr(occupied, static_cast<int>(now_slot))));
        unsigned slot = (now_slot + distance) % slots_per_level;
        std::uint64_t level_start = elapsed_ & ~(level_span - 1);
        std::uint64_t deadline = level_start + slot * slot_width;
        if (deadline + slot_width <= elapsed_) deadline += level_span;  // wrapped around
        return Expiration{level, slot, std::max(deadline, elapsed_)};
    }
    return std::nullopt;
}

std::optional<std::uint64_t> Wheel::next_expiration() const noexcept {
    if (auto e = next_expiration_detail()) return e->deadline;
    return std::nullopt;
}

void Wheel::expire(std::vector<TimerEntry*>& due, std::uint64_t now, std::vector<Waker>& wake,
                   std::size_t& fired) {
    // Far enough ahead that an entry has arrived by its turn, near enough that it is still in
    // the cache then.
    constexpr std::size_t ahead = 8;
    const std::size_t n = due.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i + ahead < n) __builtin_prefetch(due[i + ahead], 1);
        TimerEntry& e = *due[i];
        e.linked = false;
        if (e.when <= now) {
            --size_;
            ++fired;
            if (e.waker) wake.push_back(std::move(e.waker));
            e.fired.store(true, std::memory_order_release);
        } else {
            link(e);  // cascade to a lower level
        }
    }
}

std::size_t Wheel::advance_to(std::uint64_t now, std::vector<Waker>& wake) {
    // A slot's array after a storm: kept for the next one up to this size, freed beyond it.
    constexpr std::size_t kept_capacity = 1024;
    std::size_t fired = 0;
    while (auto exp = next_expiration_detail()) {
        if (exp->deadline > now) break;
        elapsed_ = exp->deadline;
        Level& level = levels_[exp->level];
        auto& entries = level.slots[exp->slot].entries;
        level.occupied &= ~(std::uint64_t{1} << exp->slot);
        // Out of the slot while it is walked: a cascaded entry never lands in the slot it left,
        // but the walk does not have to rely on that.
        scratch_.swap(entries);
        expire(scratch_, now, wake, fired);
        scratch_.clear();
        if (scratch_.capacity() > kept_capacity) std::vector<TimerEntry*>().swap(scratch_);
        if (entries.empty()) entries.swap(scratch_);  // its capacity goes back to the slot
    }
    elapsed_ = std::max(elapsed_, now);
    return fired;
}

}  // namespace weft::time::detail
