#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

#include "runtime/task/queue.hpp"

namespace weft::detail {

/// The global queue: tasks spawned or woken from outside the workers, and local overflow.
/// A mutex-guarded FIFO; `len` is readable without the lock for cheap empty checks. Once closed
/// (runtime shutdown), pushed tasks are released instead of queued.
///
/// The FIFO is a growing ring of pointers, not a list linked through the tasks: a worker that
/// refills its queue takes a hundred tasks at once, and walking a list of tasks spawned long
/// before (a spawn storm overflows here by the ten thousand) waits on one cache miss per task,
/// one after the other: a fifth of the time of spawn_many_local on one worker. Copying pointers
/// touches no task. Should the ring fail to grow (out of memory), tasks queue in a linked list
/// behind it, so a push never fails and the order stays FIFO.
///
/// The ring's memory comes from mmap, not malloc: a malloc of a kilobyte or more, or a free that
/// merges into 64 KiB, makes glibc consolidate every small freed block first, and a spawn storm
/// frees a hundred thousand task blocks (that consolidation was an eighth of spawn_many_local).
/// A first mapping of 64 KiB in small pages takes the usual trickle of remote wakes; a backlog
/// beyond it moves (a 64 KiB copy) to a 2 MiB-aligned mapping of 2 MiB marked for a huge page,
/// where it grows in place (past that, to a larger huge-page mapping, freed once drained). A
/// spawn storm's backlog of 100,000 tasks is 800 KiB of ring: 200 faults of a small page cost
/// 2.3 ms under this VM's hypervisor, one huge page about 0.12 ms, or 4-5 ms when the host has
/// not backed it yet (`weft-page-fault-cost` measures both).
class InjectQueue {
public:
    InjectQueue() = default;
    InjectQueue(const InjectQueue&) = delete;
    InjectQueue& operator=(const InjectQueue&) = delete;
    ~InjectQueue() { Mapping{ring_, ring_mapped_}.unmap(); }

    void push(TaskHeader* task) noexcept {
        {
            OwnedMapping outgrown;  // the ring before it grew: unmapped after unlocking
            std::lock_guard lock(mutex_);
            if (!closed_) {
                push_locked(task, outgrown);
                len_.store(size_locked(), std::memory_order_release);
                return;
            }
        }
        task->release();
    }
    void push_batch(TaskHeader** tasks, std::size_t n, TaskHeader* extra) noexcept {
        OwnedMapping outgrown;
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < n; ++i) push_locked(tasks[i], outgrown);
        if (extra) push_locked(extra, outgrown);
        len_.store(size_locked(), std::memory_order_release);
    }
    TaskHeader* pop() noexcept {
        if (empty()) return nullptr;
        OwnedMapping freed;  // a drained, oversized ring: unmapped after unlocking
        std::lock_guard lock(mutex_);
        TaskHeader* t = pop_locked(freed);
        len_.store(size_locked(), std::memory_order_release);
        return t;
    }
    static constexpr std::size_t max_batch = 128;

    /// Pops up to `max` (at most `max_batch`) tasks and passes each to `out`, after unlocking:
    /// `out` pushes to a worker's local queue, which can overflow back into this queue (a
    /// thief stalled mid-steal keeps the owner's slots reserved). Called under the lock, that
    /// overflow locked the mutex a second time and the worker deadlocked.
    template <class Sink>
    std::size_t pop_n(std::size_t max, Sink&& out) noexcept {
        if (empty()) return 0;
        std::array<TaskHeader*, max_batch> taken;
        std::size_t n = 0;
        {
            OwnedMapping freed;
            std::lock_guard lock(mutex_);
            while (n < max && n < max_batch) {
                TaskHeader* t = pop_locked(freed);
                if (!t) break;
                taken[n++] = t;
            }
            len_.store(size_locked(), std::memory_order_release);
        }
        for (std::size_t i = 0; i < n; ++i) out(taken[i]);
        return n;
    }
    bool empty() const noexcept { return len_.load(std::memory_order_acquire) == 0; }
    std::size_t len() const noexcept { return len_.load(std::memory_order_acquire); }
    /// Closes the queue and hands back what it held.
    TaskQueue close() noexcept {
        OwnedMapping freed;
        std::lock_guard lock(mutex_);
        closed_ = true;
        TaskQueue out;
        while (TaskHeader* t = pop_locked(freed)) out.push(t);
        len_.store(0, std::memory_order_release);
        return out;
    }

private:
    /// A ring's pages; unmapped by its owner's destructor or `unmap`.
    struct Mapping {
        TaskHeader** slots = nullptr;
        std::size_t capacity = 0;
        /// Room for `capacity` slots; from `huge_capacity` on, aligned to and marked for huge
        /// pages (which need 2 MiB alignment).
        static Mapping map(std::size_t capacity) noexcept {
            const std::size_t bytes = capacity * sizeof(TaskHeader*);
            const bool huge = capacity >= huge_capacity;
            const std::size_t extra = huge ? huge_page_bytes : 0;
            void* p = ::mmap(nullptr, bytes + extra, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) return {};
            if (huge) {
                const auto start = reinterpret_cast<std::uintptr_t>(p);
                const std::uintptr_t aligned = (start + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
                if (aligned > start) ::munmap(p, aligned - start);
                if (start + extra > aligned)
                    ::munmap(reinterpret_cast<void*>(aligned + bytes), start + extra - aligned);
                p = reinterpret_cast<void*>(aligned);
                ::madvise(p, bytes, MADV_HUGEPAGE);
            }
            return {static_cast<TaskHeader**>(p), capacity};
        }
        void unmap() noexcept {
            if (slots) ::munmap(slots, capacity * sizeof(TaskHeader*));
            slots = nullptr;
        }
    };
    /// A Mapping that unmaps itself: a ring taken out under the lock, unmapped outside it.
    struct OwnedMapping : Mapping {
        ~OwnedMapping() { unmap(); }
        void take(TaskHeader** s, std::size_t c) noexcept {
            unmap();  // one batch of pushes can outgrow more than one ring
            slots = s;
            capacity = c;
        }
    };

    static constexpr std::size_t initial_capacity = 512;  // one page
    static constexpr std::size_t small_capacity = 8192;   // the first mapping: 64 KiB
    static constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;
    static constexpr std::size_t huge_capacity = huge_page_bytes / sizeof(TaskHeader*);
    // A drained ring up to one huge page stays mapped for the next burst: mapping it again
    // faulted in its pages afresh on every spawn storm (6% of spawn_many_local on one worker).
    // It is kept only after a backlog of over 8,192 tasks, which took ~1.4 MiB themselves.
    // Larger rings are freed once drained.
    static constexpr std::size_t kept_capacity = huge_capacity;

    std::size_t size_locked() const noexcept { return ring_len_ + spill_.size(); }

    void push_locked(TaskHeader* t, OwnedMapping& outgrown) noexcept {
        if (spill_.empty() && (ring_len_ < ring_cap_ || grow_locked(outgrown))) {
            ring_[(ring_head_ + ring_len_) & (ring_cap_ - 1)] = t;
            ++ring_len_;
            return;
        }
        spill_.push(t);  // behind everything in the ring
    }
    TaskHeader* pop_locked(OwnedMapping& freed) noexcept {
        if (ring_len_ == 0) return spill_.pop();
        TaskHeader* t = ring_[ring_head_];
        ring_head_ = (ring_head_ + 1) & (ring_cap_ - 1);
        if (--ring_len_ == 0 && ring_cap_ > kept_capacity) {
            freed.take(std::exchange(ring_, nullptr), std::exchange(ring_mapped_, 0));
            ring_cap_ = 0;
            ring_head_ = 0;
        }
        return t;
    }
    bool grow_locked(OwnedMapping& outgrown) noexcept {
        if (!ring_) {
            Mapping reserved = Mapping::map(small_capacity);
            if (!reserved.slots) return false;
            ring_ = reserved.slots;
            ring_mapped_ = reserved.capacity;
            ring_cap_ = initial_capacity;
            ring_head_ = 0;
            return true;
        }
        const std::size_t cap = 2 * ring_cap_;
        if (cap <= ring_mapped_) {
            // In place: the part that wrapped to the front moves up behind the rest, into
            // slots the larger ring fills anyway.
            const std::size_t end = ring_head_ + ring_len_;
            for (std::size_t i = 0; end > ring_cap_ && i < end - ring_cap_; ++i)
                ring_[ring_cap_ + i] = ring_[i];
            ring_cap_ = cap;
            return true;
        }
        // Past the small mapping, room for at least a huge page, to grow in place again.
        Mapping bigger = Mapping::map(std::max(cap, huge_capacity));
        if (!bigger.slots) return false;
        for (std::size_t i = 0; i < ring_len_; ++i)
            bigger.slots[i] = ring_[(ring_head_ + i) & (ring_cap_ - 1)];
        outgrown.take(ring_, ring_mapped_);
        ring_ = bigger.slots;
        ring_mapped_ = bigger.capacity;
        ring_cap_ = cap;
        ring_head_ = 0;
        return true;
    }

    std::mutex mutex_;
    TaskHeader** ring_ = nullptr;
    std::size_t ring_mapped_ = 0;  // slots the mapping has room for
    std::size_t ring_cap_ = 0;     // slots in use as the ring: a power of two, or 0
    std::size_t ring_head_ = 0;
    std::size_t ring_len_ = 0;
    TaskQueue spill_;
    std::atomic<std::size_t> len_{0};
    bool closed_ = false;
};

}  // namespace weft::detail
