#include "runtime/scheduler/multi_thread/scheduler.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "runtime/scheduler/counters.hpp"
#include "runtime/task/dump.hpp"
#include "runtime/thread_parker.hpp"

namespace weft::detail {

namespace {

// Tokio's multi-thread values: the inject queue first every 61 ticks, drivers every 61 ticks,
// 3 LIFO polls in a row at most.
constexpr std::uint32_t global_queue_interval = 61;
constexpr std::uint32_t event_interval = 61;
constexpr int max_lifo_polls = 3;
// A LIFO task whose worker has been in one poll for this many monitor samples may be stolen.
constexpr std::uint64_t lifo_steal_after_samples = 1;

}  // namespace

struct MultiThreadScheduler::Worker {
    std::size_t index = 0;
    LocalQueue queue;
    std::atomic<TaskHeader*> lifo{nullptr};
    Parker parker;
    std::thread thread;
    bool searching = false;
    bool sleeping = false;  // in the sleepers list (guarded by sleepers_mutex_)
    bool in_poll = false;   // running a task: its wakes may use the LIFO slot
    bool alone = false;     // the runtime's only worker: no thieves
    std::uint32_t tick = 0;
    std::minstd_rand rng;

    // Written by the worker, read by metrics and the monitor.
    std::atomic<std::uint64_t> polls{0};
    std::atomic<std::uint64_t> steals{0};
    std::atomic<std::uint64_t> steal_operations{0};
    std::atomic<std::uint64_t> parks{0};
    std::atomic<std::uint64_t> overflows{0};
    std::atomic<std::uint64_t> spawned{0};  // spawns from tasks on this worker
    PollTimeHistogram poll_times;
    // Odd while a poll is running; the monitor compares samples to spot a stuck poll.
    std::atomic<std::uint64_t> poll_seq{0};
    std::atomic<std::uint64_t> polling_id{0};
    std::atomic<const char*> polling_name{nullptr};
    std::atomic<std::source_location> polling_location{};
    // Monitor's view (monitor thread only, except stuck_samples which thieves read).
    std::uint64_t last_seen_seq = 0;
    std::uint64_t reported_seq = 0;
    std::atomic<std::uint64_t> stuck_samples{0};
};

namespace {
thread_local MultiThreadScheduler* current_scheduler_tl = nullptr;
thread_local void* current_worker_tl = nullptr;
}  // namespace

MultiThreadScheduler::MultiThreadScheduler(MultiThreadConfig config)
    : config_(std::move(config)),
      time_([this] { io_.unpark(); }),
      blocking_(std::make_unique<BlockingPool>(config_.blocking)) {
    std::size_t n = config_.workers ? config_.workers : std::max(1u, std::thread::hardware_concurrency());
    config_.workers = n;
    workers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>();
        w->index = i;
        w->rng.seed(static_cast<unsigned>(i * 7919 + 1));
        // The only worker: nothing steals from its queue or LIFO slot, so taking from them
        // needs no locked instruction (a runtime in a one-CPU container is built this way).
        if (n == 1) {
            w->alone = true;
            w->queue.set_no_thieves();
        }
        workers_.push_back(std::move(w));
    }
    num_unparked_.store(static_cast<std::uint32_t>(n));
    for (auto& w : workers_) {
        Worker* wp = w.get();
        w->thread = std::thread([this, wp] { run_worker(*wp); });
    }
    if (config_.blocked_threshold.count() > 0) monitor_ = std::thread([this] { monitor_loop(); });
}

MultiThreadScheduler::~MultiThreadScheduler() = default;

// ---- spawning and waking ------------------------------------------------------------------

void MultiThreadScheduler::bind(TaskHeader* task) {
    Worker* w = current_scheduler_tl == this ? static_cast<Worker*>(current_worker_tl) : nullptr;
    // Counted per worker: one shared counter was a cache line both workers wrote per spawn.
    if (w)
        bump(w->spawned);
    else
        spawned_total_.fetch_add(1, std::memory_order_relaxed);
    if (!owned_.insert(task)) {
        // Shut down: the task is cancelled before it ever runs.
        task->shutdown();
        task->release();  // the queue reference the spawn created
        return;
    }
    if (!w) {
        schedule(task);
        return;
    }
    // A spawn from a running task takes the LIFO slot only if it is empty (a wake replaces the
    // occupant): replacing costs an exchange, since a thief may be emptying the slot, and a
    // storm of spawns then runs in the order it was spawned in.
    if (w->in_poll && !w->lifo.load(std::memory_order_relaxed)) {
        w->lifo.store(task, std::memory_order_release);
        return;
    }
    push_local(*w, task);
    notify_parked();
}

void MultiThreadScheduler::schedule(TaskHeader* task) noexcept {
    if (current_scheduler_tl == this && current_worker_tl) {
        Worker& w = *static_cast<Worker*>(current_worker_tl);
        if (w.in_poll) {
            // The running task woke another: it goes in the LIFO slot, the previous occupant
            // to the queue (where others can steal it). Only this worker fills the slot
            // (thieves only empty it), so an empty one takes a plain store, not an exchange.
            if (!w.lifo.load(std::memory_order_relaxed)) {
                w.lifo.store(task, std::memory_order_release);
                return;
            }
            TaskHeader* previous = w.lifo.exchange(task, std::memory_order_acq_rel);
            if (!previous) return;
            push_local(w, previous);
        } else {
            push_local(w, task);
        }
        notify_parked();
        return;
    }
    remote_schedules_.fetch_add(1, std::memory_order_relaxed);
    inject_.push(task);
    notify_parked();
}

void MultiThreadScheduler::yield(TaskHeader* task) noexcept {
    if (current_scheduler_tl == this && current_worker_tl) {
        push_local(*static_cast<Worker*>(current_worker_tl), task);
        notify_parked();
        return;
    }
    schedule(task);
}

void MultiThreadScheduler::push_local(Worker& w, TaskHeader* task) noexcept {
    if (w.queue.push(task)) return;
    // Full: move half of it to the inject queue in one batch, with this task.
    std::array<TaskHeader*, LocalQueue::capacity / 2> batch;
    std::uint32_t n = w.queue.take_half_for_overflow(batch.data());
    inject_.push_batch(batch.data(), n, task);
    bump(w.overflows);
}

void MultiThreadScheduler::release(TaskHeader* task) noexcept {
    owned_.remove(task);
    task->release();
}

// ---- idle coordination ---------------------------------------------------------------------

bool MultiThreadScheduler::transition_to_searching() noexcept {
    // At most half the workers search at once: more would only contend on the same queues.
    std::uint32_t searching = num_searching_.load(std::memory_order_acquire);
    if (2 * searching >= workers_.size()) return false;
    num_searching_.fetch_add(1, std::memory_order_acq_rel);
    return true;
}

bool MultiThreadScheduler::transition_from_searching() noexcept {
    return num_searching_.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void MultiThreadScheduler::notify_parked() noexcept {
    // Someone searching will find the work; and if nobody sleeps there is nobody to wake.
    if (num_searching_.load(std::memory_order_seq_cst) != 0) return;
    if (num_unparked_.load(std::memory_order_seq_cst) >= workers_.size()) return;
    std::size_t index;
    {
        std::lock_guard lock(sleepers_mutex_);
        if (num_searching_.load(std::memory_order_relaxed) != 0 || sleepers_.empty()) return;
        index = sleepers_.back();
        sleepers_.pop_back();
        workers_[index]->sleeping = false;
        num_searching_.fetch_add(1, std::memory_order_seq_cst);
        num_unparked_.fetch_add(1, std::memory_order_seq_cst);
    }
    unpark_worker(index);
}

void MultiThreadScheduler::unpark_worker(std::size_t index) noexcept {
    workers_[index]->parker.unpark([this] { io_.unpark(); });
}

bool MultiThreadScheduler::transition_to_parked(Worker& w, bool searching) {
    std::lock_guard lock(sleepers_mutex_);
    bool last_searcher = searching && num_searching_.fetch_sub(1, std::memory_order_seq_cst) == 1;
    num_unparked_.fetch_sub(1, std::memory_order_seq_cst);
    sleepers_.push_back(w.index);
    w.sleeping = true;
    return last_searcher;
}

MultiThreadScheduler::Wakeup MultiThreadScheduler::transition_from_parked(Worker& w) {
    std::lock_guard lock(sleepers_mutex_);
    if (!w.sleeping) return Wakeup::notified;  // a notifier took us off the list, counted us searching
    if (w.queue.empty() && !w.lifo.load(std::memory_order_acquire) &&
        !shutdown_.load(std::memory_order_acquire))
        return Wakeup::stay_parked;  // spurious, or the driver turned with nothing for us
    // The driver woke tasks onto our own queue: wake up to run them.
    sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), w.index));
    w.sleeping = false;
    num_unparked_.fetch_add(1, std::memory_order_seq_cst);
    return Wakeup::own_work;
}

bool MultiThreadScheduler::has_work_anywhere() const noexcept {
    if (!inject_.empty()) return true;
    for (auto& w : workers_) {
        if (!w->queue.empty()) return true;
    }
    return false;
}

// ---- the worker loop -----------------------------------------------------------------------

void MultiThreadScheduler::run_worker(Worker& w) {
    Enter enter(this, "weft multi-thread worker");
    current_scheduler_tl = this;
    current_worker_tl = &w;
    SchedulerRefReserve refs(*this);
    while (!shutdown_.load(std::memory_order_acquire)) {
        ++w.tick;
        if (w.tick % event_interval == 0) maintenance(w);
        if (TaskHeader* task = next_task(w)) {
            run_task(w, task);
            continue;
        }
        if (TaskHeader* task = steal_work(w)) {
            run_task(w, task);
            continue;
        }
        park(w);
    }
    current_worker_tl = nullptr;
    current_scheduler_tl = nullptr;
}

TaskHeader* MultiThreadScheduler::next_task(Worker& w) {
    if (w.tick % global_queue_interval == 0) {
        if (TaskHeader* t = inject_.pop()) return t;
    }
    if (TaskHeader* t = w.queue.pop()) {
        w.queue.prefetch_next();
        return t;
    }
    if (inject_.empty()) return nullptr;
    // Refill from the inject queue: a fair share, so one worker does not take everything.
    std::size_t share = std::min<std::size_t>(LocalQueue::capacity / 2, inject_.len() / workers_.size() + 1);
    std::array<TaskHeader*, InjectQueue::max_batch> batch;
    std::size_t n = 0;
    inject_.pop_n(share, [&](TaskHeader* t) { batch[n++] = t; });
    // Until they are pushed, no thief can take these tasks: their frames cannot go away, so
    // the leaf each resumes from can be fetched too (a header, then the frame it points into).
    // The loads of the whole batch overlap, where one by one at each poll they waited in turn
    // (a tenth of a timer storm on one worker).
    for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(batch[i]);
    for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(batch[i]->context.pending);
    for (std::size_t i = 1; i < n; ++i) push_local(w, batch[i]);
    return n ? batch[0] : nullptr;
}

TaskHeader* MultiThreadScheduler::steal_work(Worker& w) {
    if (!w.searching) {
        if (!transition_to_searching()) return nullptr;
        w.searching = true;
    }
    std::size_t n = workers_.size();
    std::size_t start = w.rng() % n;
    for (std::size_t i = 0; i < n; ++i) {
        Worker& victim = *workers_[(start + i) % n];
        if (&victim == &w) continue;
        bump(w.steal_operations);
        if (TaskHeader* t = victim.queue.steal_into(w.queue)) {
            w.steals.store(w.steals.load(std::memory_order_relaxed) + 1 + w.queue.len(),
                           std::memory_order_relaxed);
            return t;
        }
        // A LIFO task behind a poll that has been running long is better run here than late.
        if (victim.lifo.load(std::memory_order_relaxed) &&
            victim.stuck_samples.load(std::memory_order_relaxed) >= lifo_steal_after_samples) {
            if (TaskHeader* t = victim.lifo.exchange(nullptr, std::memory_order_acq_rel)) {
                bump(w.steals);
                return t;
            }
        }
    }
    if (TaskHeader* t = inject_.pop()) return t;
    return nullptr;
}

void MultiThreadScheduler::poll_one(Worker& w, TaskHeader* task) {
    // Release stores (plain moves on x86): a monitor that sees one of these fields also sees the
    // previous poll's even sequence number, so its re-check rejects a mix of two polls.
    w.polling_id.store(task->id(), std::memory_order_release);
    w.polling_name.store(task->name(), std::memory_order_release);
    w.polling_location.store(task->location(), std::memory_order_release);
    // The worker is the only writer (polls never nest): a plain store, no locked increment.
    const std::uint64_t seq = w.poll_seq.load(std::memory_order_relaxed);
    w.poll_seq.store(seq + 1, std::memory_order_release);  // odd: polling
    // Counted before the poll: the task may complete and wake a reader of the metrics, which
    // must then see the poll that produced the result.
    bump(w.polls);
    if (config_.poll_time_histogram) {
        const std::uint64_t start = PollTimeHistogram::now_us();
        task->run();
        w.poll_times.record(PollTimeHistogram::now_us() - start);
    } else {
        task->run();
    }
    w.poll_seq.store(seq + 2, std::memory_order_release);  // even: idle
}

void MultiThreadScheduler::run_task(Worker& w, TaskHeader* task) {
    if (w.searching) {
        w.searching = false;
        // The last searcher to find work wakes another, which keeps the search going while
        // there may be more work.
        if (transition_from_searching()) notify_parked();
    }
    coop::BudgetScope budget(coop::initial_budget);
    w.in_poll = true;
    poll_one(w, task);
    for (int lifo_polls = 0;; ++lifo_polls) {
        // Most polls wake nobody: look before paying for the exchange.
        if (!w.lifo.load(std::memory_order_relaxed)) break;
        TaskHeader* next = w.alone ? w.lifo.load(std::memory_order_relaxed)
                                   : w.lifo.exchange(nullptr, std::memory_order_acq_rel);
        if (w.alone) w.lifo.store(nullptr, std::memory_order_relaxed);
        if (!next) break;
        if (lifo_polls >= max_lifo_polls || coop::budget == 0) {
            // Behind the others on this worker's queue. A sleeper is woken only if there are
            // others: one task alone this worker runs next, and waking a thief for it made a
            // spawn chain hop between cores on every fourth link (the monitor still wakes a
            // sleeper if this worker then gets stuck in a long poll).
            const bool others_waiting = !w.queue.empty();
            push_local(w, next);
            if (others_waiting) notify_parked();
            break;
        }
        poll_one(w, next);
    }
    w.in_poll = false;
}

void MultiThreadScheduler::maintenance(Worker& w) {
    (void)w;
    if (driver_mutex_.try_lock()) {
        io_.turn(0);
        time_.process();
        driver_mutex_.unlock();
    }
}

bool MultiThreadScheduler::drive(Worker& w, Parker& parker) {
    if (!driver_mutex_.try_lock()) return false;
    if (parker.enter_driver()) {
        int timeout_ms = time_.begin_park();
        bump(w.parks);
        io_.turn(timeout_ms);
        time_.end_park();
        parker.leave_driver();
    }
    time_.process();
    driver_mutex_.unlock();
    return true;
}

void MultiThreadScheduler::park(Worker& w) {
    bool was_searching = std::exchange(w.searching, false);
    if (transition_to_parked(w, was_searching)) {
        // The last searcher leaving: work queued meanwhile would otherwise wait for the next
        // wake. Look once more.
        if (has_work_anywhere()) notify_parked();
    }
    while (!shutdown_.load(std::memory_order_acquire)) {
        w.parker.park([&](Parker& p) { return drive(w, p); });
        // Every way out goes through transition_from_parked: a notifier that takes this worker
        // off the sleepers list also counts it as searching, and a worker that left without
        // knowing it would never give that count back (notify_parked would then see a searcher
        // forever and wake nobody: tasks stranded in the inject queue, a hang seen under TSan).
        // A notification that arrives after this check leaves the parker NOTIFIED, so the next
        // park returns at once and the check runs again.
        switch (transition_from_parked(w)) {
            case Wakeup::notified:
                w.searching = true;
                return;
            case Wakeup::own_work:
                return;
            case Wakeup::stay_parked:
                break;
        }
    }
}

// ---- block_on, shutdown, metrics -----------------------------------------------------------

void MultiThreadScheduler::block_on(TaskContext& root, std::coroutine_handle<> start) {
    if (shutdown_.load()) throw std::logic_error("weft::Runtime::block_on: the runtime was shut down");
    Enter enter(this, "weft::Runtime::block_on");
    SchedulerRefReserve refs(*this);
    auto parker = ThreadParker::create();
    root.wakeable = parker.get();
    for (;;) {
        root.poll(start);
        if (start.done()) return;
        parker->park();
    }
}

void MultiThreadScheduler::shutdown() noexcept {
    if (shutdown_.exchange(true)) return;
    for (std::size_t i = 0; i < workers_.size(); ++i) unpark_worker(i);
    io_.unpark();
    for (auto& w : workers_) {
        if (w->thread.joinable()) w->thread.join();
    }
    { std::lock_guard lock(monitor_mutex_); }
    monitor_cv_.notify_all();
    if (monitor_.joinable()) monitor_.join();

    // The workers are gone: this thread now owns every task.
    Enter enter(this, Enter::nested_ok);
    owned_.close_and_shutdown_all();
    for (auto& w : workers_) {
        if (TaskHeader* t = w->lifo.exchange(nullptr)) t->run();  // COMPLETE: drops the queue ref
        while (TaskHeader* t = w->queue.pop()) t->run();
    }
    TaskQueue rest = inject_.close();
    while (TaskHeader* t = rest.pop()) t->run();
    blocking_.reset();
}

RuntimeMetrics MultiThreadScheduler::metrics() const {
    RuntimeMetrics m;
    m.workers = workers_.size();
    m.live_tasks = owned_.size();
    m.spawned_total = spawned_total_.load(std::memory_order_relaxed);
    for (auto& w : workers_) m.spawned_total += w->spawned.load(std::memory_order_relaxed);
    m.remote_schedules = remote_schedules_.load(std::memory_order_relaxed);
    m.remote_queue_depth = inject_.len();
    m.blocked_polls = blocked_polls_.load(std::memory_order_relaxed);
    for (auto& w : workers_) {
        WorkerMetrics wm;
        wm.polls = w->polls.load(std::memory_order_relaxed);
        wm.steals = w->steals.load(std::memory_order_relaxed);
        wm.steal_operations = w->steal_operations.load(std::memory_order_relaxed);
        wm.parks = w->parks.load(std::memory_order_relaxed);
        wm.overflows = w->overflows.load(std::memory_order_relaxed);
        wm.local_queue_depth = w->queue.len();
        m.polls += wm.polls;
        m.parks += wm.parks;
        m.local_queue_depth += wm.local_queue_depth;
        w->poll_times.add_to(m.poll_time_histogram);
        m.per_worker.push_back(wm);
    }
    fill_driver_metrics(m, io_, time_, blocking_.get());
    return m;
}

void MultiThreadScheduler::dump(std::string& out) const {
    owned_.for_each([&](TaskHeader* t) { append_task_dump(out, *t); });
}

// ---- blocked-worker detection --------------------------------------------------------------

void MultiThreadScheduler::monitor_loop() {
    // Sample at a quarter of the threshold: a poll seen running across samples spanning the
    // threshold is reported once, with the time observed (a lower bound).
    auto period = std::max(std::chrono::milliseconds(1), config_.blocked_threshold / 4);
    std::unique_lock lock(monitor_mutex_);
    while (!shutdown_.load(std::memory_order_acquire)) {
        monitor_cv_.wait_for(lock, period);
        if (shutdown_.load(std::memory_order_acquire)) break;
        for (auto& wp : workers_) {
            Worker& w = *wp;
            std::uint64_t seq = w.poll_seq.load(std::memory_order_acquire);
            if (seq % 2 == 0 || seq != w.last_seen_seq) {
                w.last_seen_seq = seq;
                w.stuck_samples.store(0, std::memory_order_relaxed);
                continue;
            }
            std::uint64_t samples = w.stuck_samples.load(std::memory_order_relaxed) + 1;
            w.stuck_samples.store(samples, std::memory_order_relaxed);
            // Work stuck behind the long poll (its LIFO slot is stealable now): wake a sleeper.
            if (w.lifo.load(std::memory_order_relaxed) || !w.queue.empty()) notify_parked();
            auto blocked = period * static_cast<long>(samples);
            if (blocked < config_.blocked_threshold || w.reported_seq == seq) continue;
            BlockedWorkerReport report;
            report.worker = w.index;
            // Acquire loads keep the re-check below after them (no fences: TSan does not model
            // them).
            report.task_id = w.polling_id.load(std::memory_order_acquire);
            report.task_name = w.polling_name.load(std::memory_order_acquire);
            report.spawned_at = w.polling_location.load(std::memory_order_acquire);
            // The fields describe one poll only if the worker is still in it.
            if (w.poll_seq.load(std::memory_order_acquire) != seq) continue;
            w.reported_seq = seq;
            blocked_polls_.fetch_add(1, std::memory_order_relaxed);
            report.blocked_for = std::chrono::duration_cast<std::chrono::milliseconds>(blocked);
            if (config_.on_blocked) {
                config_.on_blocked(report);
            } else {
                std::fprintf(stderr,
                             "weft: task %llu%s%s%s (spawned at %s:%u) has blocked worker %zu for %lld ms; "
                             "blocking calls belong in weft::spawn_blocking\n",
                             static_cast<unsigned long long>(report.task_id), report.task_name ? " '" : "",
                             report.task_name ? report.task_name : "", report.task_name ? "'" : "",
                             report.spawned_at.file_name(), report.spawned_at.line(), report.worker,
                             static_cast<long long>(report.blocked_for.count()));
            }
        }
    }
}

}  // namespace weft::detail
