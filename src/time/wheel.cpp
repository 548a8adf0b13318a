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

void Wheel::link(TimerEntry& e) noexcept {
    // Deadlines beyond the wheel's span wait in the last level and cascade when it comes due.
    std::uint64_t when = std::min(e.when, elapsed_ + max_span - 1);
    unsigned level = level_for(elapsed_, when);
    unsigned slot = slot_for(when, level);
    Slot& s = levels_[level].slots[slot];
    e.level = static_cast<std::uint8_t>(level);
    e.slot = static_cast<std::uint8_t>(slot);
    e.prev = nullptr;
    e.next = s.head;
    if (s.head) s.head->prev = &e;
    s.head = &e;
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
    Slot& slot = level.slots[e.slot];
    if (e.prev)
        e.prev->next = e.next;
    else
        slot.head = e.next;
    if (e.next) e.next->prev = e.prev;
    if (!slot.head) level.occupied &= ~(std::uint64_t{1} << e.slot);
    e.prev = e.next = nullptr;
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

std::size_t Wheel::advance_to(std::uint64_t now, std::vector<Waker>& wake) {
    std::size_t fired = 0;
    while (auto exp = next_expiration_detail()) {
        if (exp->deadline > now) break;
        elapsed_ = exp->deadline;
        Level& level = levels_[exp->level];
        TimerEntry* list = level.slots[exp->slot].head;
        level.slots[exp->slot].head = nullptr;
        level.occupied &= ~(std::uint64_t{1} << exp->slot);
        while (list) {
            TimerEntry& e = *list;
            list = e.next;
            e.prev = e.next = nullptr;
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
    elapsed_ = std::max(elapsed_, now);
    return fired;
}

}  // namespace weft::time::detail
