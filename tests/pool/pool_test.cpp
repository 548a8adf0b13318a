#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>
#include <weft/pool/pool.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/time/sleep.hpp>

namespace {

using namespace std::chrono_literals;
using weft::pool::Config;
using weft::pool::Errc;
using weft::pool::Object;
using weft::pool::Pool;
using weft::pool::QueueMode;

weft::Runtime paused_runtime() { return weft::Runtime::Builder::current_thread().start_paused(true).build(); }

weft::Task<> settle(int rounds = 6) {
    for (int i = 0; i < rounds; ++i) co_await weft::yield_now();
}

/// What the test manager does and has done; shared with the test body.
struct Script {
    std::atomic<int> created{0};
    std::atomic<int> destroyed{0};
    std::atomic<int> recycled{0};
    std::atomic<bool> fail_create{false};
    std::atomic<bool> fail_recycle{false};
    std::atomic<bool> throw_create{false};
    std::atomic<weft::time::Duration::rep> create_delay{0};
    std::atomic<weft::time::Duration::rep> recycle_delay{0};
    int alive() const { return created.load() - destroyed.load(); }
};

struct Conn {
    int id;
};

struct TestManager {
    using Type = Conn;
    std::shared_ptr<Script> script;

    weft::Task<weft::Result<Conn>> create() {
        auto s = script;
        if (auto d = s->create_delay.load(); d > 0) co_await weft::time::sleep(weft::time::Duration(d));
        if (s->throw_create) throw std::runtime_error("manager bug");
        if (s->fail_create) co_return std::unexpected(std::make_error_code(std::errc::connection_refused));
        co_return Conn{++s->created};
    }
    weft::Task<weft::Result<void>> recycle(Conn&) {
        auto s = script;
        if (auto d = s->recycle_delay.load(); d > 0) co_await weft::time::sleep(weft::time::Duration(d));
        ++s->recycled;
        if (s->fail_recycle) co_return std::unexpected(std::make_error_code(std::errc::broken_pipe));
        co_return weft::Result<void>{};
    }
    void destroy(Conn&) noexcept { ++script->destroyed; }
};

using TestPool = Pool<TestManager>;

Config sized(std::size_t n) {
    Config c;
    c.max_size = n;
    return c;
}

/// Gets an object, records its arrival in `order`, keeps it for `hold`.
weft::Task<int> use(TestPool pool, int id, std::vector<int>* order, weft::time::Duration hold) {
    auto obj = co_await pool.get();
    if (!obj) co_return -1;
    if (order) order->push_back(id);
    co_await weft::time::sleep(hold);
    co_return (*obj)->id;
}

TEST(Pool, ReturnedObjectIsRecycledAndReused) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(2));
        {
            auto a = co_await pool.get();
            EXPECT_TRUE(a);
            EXPECT_EQ((*a)->id, 1);
            auto st = pool.status();
            EXPECT_EQ(st.size, 1u);
            EXPECT_EQ(st.available, 0u);
            EXPECT_EQ(st.max_size, 2u);
        }
        auto st = pool.status();
        EXPECT_EQ(st.size, 1u);
        EXPECT_EQ(st.available, 1u);
        auto b = co_await pool.get();
        EXPECT_TRUE(b);
        EXPECT_EQ((**b).id, 1);  // the same object, after a health check
        EXPECT_EQ(s->recycled.load(), 1);
        EXPECT_EQ(s->created.load(), 1);
    }(script));
    EXPECT_EQ(script->alive(), 0);  // idle objects are destroyed with the pool
}

TEST(Pool, MaxSizeBoundsObjectsAndWaitersAreServedInOrder) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(2));
        std::vector<int> order;
        std::vector<weft::JoinHandle<int>> handles;
        for (int i = 0; i < 6; ++i) {
            handles.push_back(weft::spawn_local(use(pool, i, &order, 10ms)));
            co_await settle(2);
        }
        auto st = pool.status();
        EXPECT_EQ(st.size, 2u);
        EXPECT_EQ(st.waiting, 4u);
        for (auto& h : handles) {
            auto id = co_await h;
            EXPECT_TRUE(id && *id > 0);
        }
        EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
        EXPECT_EQ(s->created.load(), 2);
        EXPECT_EQ(pool.status().waiting, 0u);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, WaitTimeout) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        Config cfg = sized(1);
        cfg.wait_timeout = 100ms;
        TestPool pool(TestManager{s}, cfg);
        auto held = co_await pool.get();
        EXPECT_TRUE(held);
        const auto start = weft::time::now();
        auto r = co_await pool.get();
        EXPECT_FALSE(r);
        if (r) co_return;
        EXPECT_EQ(r.error(), Errc::wait_timed_out);
        EXPECT_TRUE(weft::pool::is_pool_timeout(r.error()));
        EXPECT_GE(weft::time::now() - start, 100ms);
        EXPECT_EQ(pool.status().waiting, 0u);

        const auto after = weft::time::now();
        cfg.wait_timeout = 0ms;  // never wait
        TestPool eager(TestManager{s}, cfg);
        auto first = co_await eager.get();
        EXPECT_TRUE(first);
        auto second = co_await eager.get();
        EXPECT_FALSE(second);
        if (!second) {
            EXPECT_EQ(second.error(), Errc::wait_timed_out);
        }
        EXPECT_EQ(weft::time::now(), after);  // the zero timeout did not wait at all
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, CreateErrorsPassThroughAndCreateTimeoutFrees) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        Config cfg = sized(1);
        cfg.create_timeout = 100ms;
        TestPool pool(TestManager{s}, cfg);

        s->fail_create = true;
        auto refused = co_await pool.get();
        EXPECT_FALSE(refused);
        if (!refused) {  // the backend's error
            EXPECT_EQ(refused.error(), std::errc::connection_refused);
        }
        EXPECT_EQ(pool.status().size, 0u);
        s->fail_create = false;

        s->create_delay = weft::time::Duration(1s).count();
        auto slow = co_await pool.get();
        EXPECT_FALSE(slow);
        if (!slow) {
            EXPECT_EQ(slow.error(), Errc::create_timed_out);
        }
        EXPECT_EQ(pool.status().size, 0u);

        s->create_delay = 0;
        auto ok = co_await pool.get();  // the slot came back each time
        EXPECT_TRUE(ok);
        EXPECT_EQ(pool.status().size, 1u);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, ExceptionFromCreateReachesTheCallerAndFreesTheSlot) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(1));
        s->throw_create = true;
        bool threw = false;
        try {
            (void)co_await pool.get();
        } catch (const std::runtime_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
        EXPECT_EQ(pool.status().size, 0u);
        s->throw_create = false;
        auto ok = co_await pool.get();
        EXPECT_TRUE(ok);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, FailedRecycleDropsTheObjectAndCreatesAnother) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(2));
        { auto a = co_await pool.get(); }
        s->fail_recycle = true;
        auto b = co_await pool.get();
        EXPECT_TRUE(b);
        if (b) {
            EXPECT_EQ((*b)->id, 2);
        }
        EXPECT_EQ(s->destroyed.load(), 1);
        EXPECT_EQ(pool.status().size, 1u);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, RecycleTimeoutFailsTheGetAndDropsTheObject) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        Config cfg = sized(1);
        cfg.recycle_timeout = 50ms;
        TestPool pool(TestManager{s}, cfg);
        { auto a = co_await pool.get(); }
        s->recycle_delay = weft::time::Duration(1s).count();
        auto b = co_await pool.get();
        EXPECT_FALSE(b);
        if (!b) {
            EXPECT_EQ(b.error(), Errc::recycle_timed_out);
        }
        EXPECT_EQ(s->destroyed.load(), 1);
        EXPECT_EQ(pool.status().size, 0u);
        s->recycle_delay = 0;
        auto c = co_await pool.get();
        EXPECT_TRUE(c);
        if (c) {
            EXPECT_EQ((*c)->id, 2);
        }
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, BrokenObjectsAreDroppedAndTakenOnesLeave) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(1));
        {
            auto a = co_await pool.get();
            EXPECT_TRUE(a);
            a->mark_broken();
            EXPECT_TRUE(a->is_broken());
        }
        EXPECT_EQ(s->destroyed.load(), 1);
        EXPECT_EQ(pool.status().size, 0u);

        auto b = co_await pool.get();
        EXPECT_TRUE(b);
        if (!b) co_return;
        Conn mine = Object<TestManager>::take(std::move(*b));
        EXPECT_EQ(mine.id, 2);
        EXPECT_EQ(pool.status().size, 0u);  // no longer the pool's
        auto c = co_await pool.get();       // and its slot is free
        EXPECT_TRUE(c);
        if (c) {
            EXPECT_EQ((*c)->id, 3);
        }
        ++s->destroyed;  // `mine` is ours to account for
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, IdleObjectsExpire) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        Config cfg = sized(3);
        cfg.max_idle_time = 1s;
        TestPool pool(TestManager{s}, cfg);
        {
            auto a = co_await pool.get();
            auto b = co_await pool.get();
        }
        EXPECT_EQ(pool.status().available, 2u);
        co_await weft::time::sleep(2s);
        auto c = co_await pool.get();  // both idle ones are too old: a new one
        EXPECT_TRUE(c);
        if (c) {
            EXPECT_EQ((*c)->id, 3);
        }
        EXPECT_EQ(s->destroyed.load(), 2);
        EXPECT_EQ(s->recycled.load(), 0);
        c = co_await pool.get();  // moving onto `c` returns the old one (id 3)
        EXPECT_EQ(pool.status().available, 1u);
        co_await weft::time::sleep(1s);
        pool.prune_idle();
        EXPECT_EQ(pool.status().available, 0u);
        EXPECT_EQ(pool.status().size, 1u);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, LifoHandsOutTheLastReturnedFirst) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        Config cfg = sized(3);
        cfg.queue_mode = QueueMode::lifo;
        TestPool lifo(TestManager{s}, cfg);
        {
            auto a = co_await lifo.get();
            auto b = co_await lifo.get();
            auto c = co_await lifo.get();
        }  // returned c, b, a: a is on top
        auto next = co_await lifo.get();
        EXPECT_TRUE(next);
        if (next) {
            EXPECT_EQ((*next)->id, 1);
        }

        cfg.queue_mode = QueueMode::fifo;
        TestPool fifo(TestManager{s}, cfg);
        {
            auto a = co_await fifo.get();
            auto b = co_await fifo.get();
        }  // returned b (id 5), then a (id 4)
        auto first = co_await fifo.get();
        EXPECT_TRUE(first);
        if (first) {
            EXPECT_EQ((*first)->id, 5);
        }
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, CancelledGetsLeakNoSlot) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(1));
        auto held = co_await pool.get();
        EXPECT_TRUE(held);
        // Cancelled while waiting for the slot.
        auto waiter = weft::spawn_local(use(pool, 0, nullptr, 0ms));
        co_await settle();
        EXPECT_EQ(pool.status().waiting, 1u);
        waiter.abort();
        co_await settle();
        EXPECT_EQ(pool.status().waiting, 0u);

        // Cancelled in the middle of recycling the returned object: it is dropped.
        { auto returned = std::move(held); }
        EXPECT_EQ(pool.status().available, 1u);
        s->recycle_delay = weft::time::Duration(1s).count();
        auto recycling = weft::spawn_local(use(pool, 1, nullptr, 0ms));
        co_await settle();
        recycling.abort();
        co_await settle();
        EXPECT_EQ(pool.status().size, 0u);
        s->recycle_delay = 0;

        // Cancelled while creating.
        s->create_delay = weft::time::Duration(1s).count();
        auto creating = weft::spawn_local(use(pool, 2, nullptr, 0ms));
        co_await settle();
        EXPECT_EQ(pool.status().size, 1u);  // counted while it is being made
        creating.abort();
        co_await settle();
        EXPECT_EQ(pool.status().size, 0u);
        s->create_delay = 0;

        auto again = co_await pool.get();  // the one slot is free after all that
        EXPECT_TRUE(again);
        EXPECT_EQ(pool.status().size, 1u);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, CloseFailsWaitersAndDropsObjects) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(2));
        { auto a = co_await pool.get(); }  // one idle
        auto held = co_await pool.get();
        auto held2 = co_await pool.get();
        auto w1 = weft::spawn_local(use(pool, 0, nullptr, 0ms));
        auto w2 = weft::spawn_local(use(pool, 1, nullptr, 0ms));
        co_await settle();
        EXPECT_EQ(pool.status().waiting, 2u);
        pool.close();
        EXPECT_TRUE(pool.is_closed());
        EXPECT_EQ(*co_await w1, -1);
        EXPECT_EQ(*co_await w2, -1);
        auto late = co_await pool.get();
        EXPECT_FALSE(late);
        if (!late) {
            EXPECT_EQ(late.error(), Errc::closed);
            EXPECT_EQ(late.error().category().name(), std::string("weft.pool"));
            EXPECT_FALSE(late.error().message().empty());
        }
        int before = s->destroyed.load();
        { auto gone = std::move(held); }
        EXPECT_EQ(s->destroyed.load(), before + 1);  // returned to a closed pool: dropped
        EXPECT_EQ(pool.status().size, 1u);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, ResizeGrowsAtOnceAndShrinksAsObjectsComeBack) {
    auto rt = paused_runtime();
    auto script = std::make_shared<Script>();
    rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
        TestPool pool(TestManager{s}, sized(1));
        auto a = co_await pool.get();
        auto waiter = weft::spawn_local(use(pool, 0, nullptr, 0ms));
        co_await settle();
        EXPECT_EQ(pool.status().waiting, 1u);
        pool.resize(3);  // the waiter gets a new slot at once
        co_await settle();
        EXPECT_TRUE(waiter.is_finished());
        EXPECT_EQ(pool.status().max_size, 3u);

        std::vector<Object<TestManager>> held;
        for (int i = 0; i < 2; ++i) {
            auto o = co_await pool.get();
            EXPECT_TRUE(o);
            if (o) held.push_back(std::move(*o));
        }
        EXPECT_EQ(pool.status().size, 3u);  // a + two (the waiter's went back and was reused)
        pool.resize(1);
        EXPECT_EQ(pool.status().size, 3u);  // all in use: they go as they come back
        held.clear();
        EXPECT_EQ(pool.status().size, 1u);
        EXPECT_EQ(pool.status().available, 0u);
        // One slot, and `a` has it: another get waits.
        auto blocked = weft::spawn_local(use(pool, 1, nullptr, 0ms));
        co_await settle();
        EXPECT_FALSE(blocked.is_finished());
        { auto gone = std::move(a); }
        EXPECT_EQ(*co_await blocked, 1);
        EXPECT_EQ(pool.status().size, 1u);
        EXPECT_THROW(pool.resize(0), std::invalid_argument);
    }(script));
    EXPECT_EQ(script->alive(), 0);
}

TEST(Pool, InvalidSizeThrows) {
    auto script = std::make_shared<Script>();
    EXPECT_THROW(TestPool(TestManager{script}, sized(0)), std::invalid_argument);
}

TEST(Pool, GuardsAndWaitersDroppedDuringRuntimeShutdown) {
    auto script = std::make_shared<Script>();
    {
        auto rt = paused_runtime();
        rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
            TestPool pool(TestManager{s}, sized(2));
            // Two holders that never finish, two waiters behind them, one creating.
            weft::spawn_local(use(pool, 0, nullptr, 1h)).detach();
            weft::spawn_local(use(pool, 1, nullptr, 1h)).detach();
            weft::spawn_local(use(pool, 2, nullptr, 1h)).detach();
            weft::spawn_local(use(pool, 3, nullptr, 1h)).detach();
            co_await settle();
            EXPECT_EQ(pool.status().waiting, 2u);
            // The Pool handle dies here, before the runtime destroys the tasks holding guards.
        }(script));
    }
    EXPECT_EQ(script->alive(), 0);
}

TEST(PoolMultiThread, GuardsAndWaitersDroppedDuringRuntimeShutdown) {
    auto script = std::make_shared<Script>();
    {
        auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
        rt.block_on([](std::shared_ptr<Script> s) -> weft::Task<> {
            TestPool pool(TestManager{s}, sized(2));
            for (int i = 0; i < 6; ++i) weft::spawn(use(pool, i, nullptr, 1h)).detach();
            while (pool.status().waiting < 4) co_await weft::time::sleep(1ms);
        }(script));
    }  // the workers stop, then every task (holders and waiters) is destroyed here
    EXPECT_EQ(script->alive(), 0);
    EXPECT_EQ(script->created.load(), 2);
}

/// On the multi-thread runtime: many tasks, few objects; the limit holds and nothing leaks.
TEST(PoolMultiThread, ManyTasksNeverExceedMaxSize) {
    auto script = std::make_shared<Script>();
    std::atomic<int> in_use{0};
    std::atomic<int> most{0};
    std::atomic<int> rounds{0};
    {
        auto rt = weft::Runtime::Builder::multi_thread().worker_threads(2).build();
        auto worker = [](TestPool pool, std::atomic<int>* in_use_, std::atomic<int>* most_,
                         std::atomic<int>* rounds_) -> weft::Task<> {
            for (int i = 0; i < 50; ++i) {
                auto obj = co_await pool.get();
                if (!obj) co_return;
                int now = in_use_->fetch_add(1) + 1;
                int seen = most_->load();
                while (now > seen && !most_->compare_exchange_weak(seen, now)) {
                }
                co_await weft::yield_now();
                if (i % 7 == 0) obj->mark_broken();
                in_use_->fetch_sub(1);
                rounds_->fetch_add(1);
            }
        };
        rt.block_on([](std::shared_ptr<Script> s, decltype(worker) w, std::atomic<int>* a,
                       std::atomic<int>* b, std::atomic<int>* c) -> weft::Task<> {
            TestPool pool(TestManager{s}, sized(4));
            std::vector<weft::JoinHandle<void>> handles;
            for (int i = 0; i < 32; ++i) handles.push_back(weft::spawn(w(pool, a, b, c)));
            for (auto& h : handles) co_await h;
            auto st = pool.status();
            EXPECT_LE(st.size, 4u);
            EXPECT_EQ(st.waiting, 0u);
        }(script, worker, &in_use, &most, &rounds));
    }
    EXPECT_EQ(rounds.load(), 32 * 50);
    EXPECT_LE(most.load(), 4);
    EXPECT_EQ(script->alive(), 0);
}

}  // namespace
