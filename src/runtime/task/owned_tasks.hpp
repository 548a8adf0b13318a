#pragma once

// The set of live tasks of a multi-thread runtime, for shutdown and task dumps.
//
// Sharded by task id so that spawns and completions on different workers rarely share a lock.
// Each shard's lock is a spin lock: a link or an unlink holds it for a few stores, and it costs
// one locked instruction per bind and per completion where a mutex costs two.
// Once closed, a bind shuts the new task down at once instead of adding it.

#include <array>
#include <mutex>
#include <weft/detail/spin_lock.hpp>
#include <weft/runtime/task/header.hpp>

namespace weft::detail {

class OwnedTasks {
public:
    static constexpr std::size_t shards = 64;

    /// Adds the task; false when closed (the caller shuts it down).
    bool insert(TaskHeader* task) noexcept {
        Shard& s = shard_for(task);
        std::lock_guard lock(s.mutex);
        if (s.closed) return false;
        task->owned_prev = nullptr;
        task->owned_next = s.head;
        if (s.head) s.head->owned_prev = task;
        s.head = task;
        ++s.count;
        return true;
    }
    void remove(TaskHeader* task) noexcept {
        Shard& s = shard_for(task);
        std::lock_guard lock(s.mutex);
        if (task->owned_prev)
            task->owned_prev->owned_next = task->owned_next;
        else if (s.head == task)
            s.head = task->owned_next;
        else
            return;  // not linked
        if (task->owned_next) task->owned_next->owned_prev = task->owned_prev;
        task->owned_prev = task->owned_next = nullptr;
        --s.count;
    }
    /// Closes every shard, then shuts every remaining task down on this thread.
    void close_and_shutdown_all() noexcept {
        for (auto& s : shards_) {
            std::lock_guard lock(s.mutex);
            s.closed = true;
        }
        for (auto& s : shards_) {
            for (;;) {
                TaskHeader* task;
                {
                    std::lock_guard lock(s.mutex);
                    task = s.head;
                    if (!task) break;
                    task->add_ref();
                }
                task->shutdown();  // completes it, which removes it from the shard
                task->release();
            }
        }
    }
    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (auto& s : shards_) {
            std::lock_guard lock(s.mutex);
            n += s.count;
        }
        return n;
    }
    /// Calls `f(task)` for every live task, shard lock held (f must not spawn or complete tasks).
    template <class F>
    void for_each(F&& f) const {
        for (auto& s : shards_) {
            std::lock_guard lock(s.mutex);
            for (TaskHeader* t = s.head; t; t = t->owned_next) f(t);
        }
    }

private:
    struct alignas(64) Shard {
        mutable SpinLock mutex;
        TaskHeader* head = nullptr;
        std::size_t count = 0;
        bool closed = false;
    };
    // Ids come in per-thread blocks of 256 (`next_task_id`), and a whole block goes to one
    // shard: consecutive tasks are then list neighbours, so the unlink at a completion writes
    // into the task that runs next, already in cache. Spreading consecutive ids over the shards
    // made that write a miss on a task spawned long before, which the locked instruction after
    // it waited for (spawn_many_local: 11% faster on one worker, yield_many 20% on two). Blocks
    // are 37 shards apart, so two threads spawning at once work on shards far apart, and a
    // worker's refill (at most 128 consecutive tasks) shares a block with one other at most.
    Shard& shard_for(TaskHeader* t) noexcept { return shards_[((t->id() >> 8) * 37) % shards]; }
    std::array<Shard, shards> shards_;
};

}  // namespace weft::detail
