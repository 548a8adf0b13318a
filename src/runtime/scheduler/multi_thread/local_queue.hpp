#pragma once

// A worker's local run queue: a fixed ring that its owner pushes to and pops from, and that
// other workers steal half of at a time.
//
// `head_` packs two 32-bit positions: `steal` (where a thief in progress started) and `real`
// (where the next pop or steal begins); they differ only while a steal is copying tasks out.
// `tail_` is written by the owner alone. The owner may reuse a slot only once `steal` has passed
// it, so a thief never reads a slot that is being overwritten. Only one thief at a time.
//
//   owner push:  write slot[tail], publish tail+1              (ring full: half goes to inject)
//   owner pop:   CAS head.real += 1 (and head.steal if equal); a plain store when there are
//                no thieves (a runtime with one worker)
//   steal:       CAS head.real += n (steal stays), copy n slots, CAS head.steal = head.real
//
// Capacity 256 as in Tokio: big enough that overflow into the global queue is rare, small
// enough that a steal of half is cheap.

#include <array>
#include <atomic>
#include <cstdint>
#include <weft/runtime/task/header.hpp>

namespace weft::detail {

class LocalQueue {
public:
    static constexpr std::uint32_t capacity = 256;
    static constexpr std::uint32_t mask = capacity - 1;

    /// Owner only. Returns false when the ring is full (the caller overflows to the inject
    /// queue, see `take_half_for_overflow`).
    bool push(TaskHeader* task) noexcept {
        std::uint32_t tail = tail_.load(std::memory_order_relaxed);
        auto [steal, real] = unpack(head_.load(std::memory_order_acquire));
        (void)real;
        if (tail - steal >= capacity) return false;
        slots_[tail & mask].store(task, std::memory_order_relaxed);
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    /// Owner only, when `push` failed: claims half of the queued tasks to move them to the
    /// inject queue in one batch. Returns how many were written to `out` (0 if a thief is
    /// active; the caller then sends just its one task to the inject queue).
    std::uint32_t take_half_for_overflow(TaskHeader** out) noexcept {
        constexpr std::uint32_t half = capacity / 2;
        std::uint64_t head = head_.load(std::memory_order_acquire);
        auto [steal, real] = unpack(head);
        std::uint32_t tail = tail_.load(std::memory_order_relaxed);
        if (steal != real || tail - real < half) return 0;
        if (!head_.compare_exchange_strong(head, pack(real + half, real + half), std::memory_order_acq_rel))
            return 0;
        for (std::uint32_t i = 0; i < half; ++i)
            out[i] = slots_[(real + i) & mask].load(std::memory_order_relaxed);
        return half;
    }

    /// Before any use, on a runtime with one worker: nobody will steal from this queue, so
    /// `pop` needs no atomic read-modify-write (a locked instruction per task).
    void set_no_thieves() noexcept { no_thieves_ = true; }

    /// Owner only.
    TaskHeader* pop() noexcept {
        std::uint64_t head = head_.load(std::memory_order_acquire);
        if (no_thieves_) {
            const std::uint32_t real = unpack(head).real;
            if (real == tail_.load(std::memory_order_relaxed)) return nullptr;
            TaskHeader* t = slots_[real & mask].load(std::memory_order_relaxed);
            head_.store(pack(real + 1, real + 1), std::memory_order_release);
            return t;
        }
        for (;;) {
            auto [steal, real] = unpack(head);
            std::uint32_t tail = tail_.load(std::memory_order_relaxed);
            if (real == tail) return nullptr;
            std::uint64_t next = steal == real ? pack(real + 1, real + 1) : pack(steal, real + 1);
            if (head_.compare_exchange_weak(head, next, std::memory_order_acq_rel))
                return slots_[real & mask].load(std::memory_order_relaxed);
        }
    }

    /// Owner only: starts fetching the task the next pop returns, so that its header is in the
    /// cache when it runs (a thief may take it first; a stale prefetch costs nothing).
    void prefetch_next() const noexcept {
        std::uint32_t real = unpack(head_.load(std::memory_order_relaxed)).real;
        if (real != tail_.load(std::memory_order_relaxed))
            __builtin_prefetch(slots_[real & mask].load(std::memory_order_relaxed));
    }

    /// A thief moves half (rounded up) of this queue's tasks into `dst` (its own, which must be
    /// empty enough) and returns one of them to run at once, or null.
    TaskHeader* steal_into(LocalQueue& dst) noexcept {
        std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
        auto [dst_steal, dst_real] = unpack(dst.head_.load(std::memory_order_acquire));
        (void)dst_real;
        if (dst_tail - dst_steal > capacity / 2) return nullptr;  // no room: not worth stealing

        std::uint64_t head = head_.load(std::memory_order_acquire);
        std::uint32_t first, n;
        for (;;) {
            auto [steal, real] = unpack(head);
            if (steal != real) return nullptr;  // another thief is at work
            std::uint32_t tail = tail_.load(std::memory_order_acquire);
            std::uint32_t available = tail - real;
            n = available - available / 2;
            if (n == 0) return nullptr;
            if (head_.compare_exchange_weak(head, pack(steal, real + n), std::memory_order_acq_rel)) {
                first = real;
                break;
            }
        }
        // Copy out; the owner will not overwrite these slots until `steal` moves past them.
        for (std::uint32_t i = 0; i < n; ++i) {
            TaskHeader* t = slots_[(first + i) & mask].load(std::memory_order_relaxed);
            dst.slots_[(dst_tail + i) & mask].store(t, std::memory_order_relaxed);
        }
        // Release the claimed range.
        head = head_.load(std::memory_order_acquire);
        for (;;) {
            auto [steal, real] = unpack(head);
            (void)steal;
            if (head_.compare_exchange_weak(head, pack(real, real), std::memory_order_acq_rel)) break;
        }
        // Keep the last one to run now, publish the rest.
        --n;
        TaskHeader* run_now = dst.slots_[(dst_tail + n) & mask].load(std::memory_order_relaxed);
        if (n > 0) dst.tail_.store(dst_tail + n, std::memory_order_release);
        return run_now;
    }

    /// Approximate (for metrics and heuristics); exact on the owner's thread between operations.
    std::uint32_t len() const noexcept {
        auto [steal, real] = unpack(head_.load(std::memory_order_acquire));
        (void)steal;
        return tail_.load(std::memory_order_acquire) - real;
    }
    bool empty() const noexcept { return len() == 0; }

private:
    static std::uint64_t pack(std::uint32_t steal, std::uint32_t real) noexcept {
        return (std::uint64_t{steal} << 32) | real;
    }
    struct Head {
        std::uint32_t steal, real;
    };
    static Head unpack(std::uint64_t v) noexcept {
        return {static_cast<std::uint32_t>(v >> 32), static_cast<std::uint32_t>(v)};
    }

    bool no_thieves_ = false;
    alignas(64) std::atomic<std::uint64_t> head_{0};
    alignas(64) std::atomic<std::uint32_t> tail_{0};
    std::array<std::atomic<TaskHeader*>, capacity> slots_{};
};

}  // namespace weft::detail
