#pragma once

// Running several child tasks inside one task (`select`, `join`, `try_join`).
//
// Each child gets a context of its own whose waker is the parent's: a wake of any child
// re-polls the parent, which asks each pending child whether it may progress. That costs one
// `ready()` check per child per wake, which is right for the handful of branches these
// combinators take. (`join_all` over a range keeps per-branch wake flags instead.)

#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <weft/detail/into_task.hpp>
#include <weft/task.hpp>

namespace weft::detail {

/// The value a branch of type `Task<T>` contributes: `T`, or `std::monostate` for void.
template <class T>
using BranchValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
BranchValue<T> take_branch_value(Task<T>& task) {
    if constexpr (std::is_void_v<T>) {
        task.take_result();
        return {};
    } else {
        return task.take_result();
    }
}

/// N child tasks, each with its own context, polled from inside the awaiting task.
template <class... Ts>
class Branches {
public:
    static constexpr std::size_t size = sizeof...(Ts);

    explicit Branches(Task<Ts>... tasks) : tasks_(std::move(tasks)...) {}
    Branches(Branches&&) = default;

    /// Wires the children to the parent's waker (call once, from await_suspend).
    void attach(TaskContext& parent) noexcept {
        for_each_index([&]<std::size_t I>() {
            contexts_[I].wakeable = parent.wakeable;
            std::get<I>(tasks_).handle().promise().context = &contexts_[I];
        });
    }

    /// Polls branch I if it may progress; true when it is (now) finished.
    template <std::size_t I>
    bool poll() {
        auto& task = std::get<I>(tasks_);
        if (!task.valid()) return false;  // cancelled
        if (!task.done()) contexts_[I].poll(task.handle());
        return task.done();
    }

    template <std::size_t I>
    bool done() const noexcept {
        return std::get<I>(tasks_).done();
    }
    template <std::size_t I>
    Task<std::tuple_element_t<I, std::tuple<Ts...>>>& task() noexcept {
        return std::get<I>(tasks_);
    }

    /// Destroys every branch but `keep` (npos: all), releasing what they held.
    void cancel_all_but(std::size_t keep) noexcept {
        for_each_index([&]<std::size_t I>() {
            if (I != keep) std::get<I>(tasks_) = {};
        });
    }

    void describe(std::string& out) const {
        for (std::size_t i = 0; i < size; ++i) {
            if (const PendingLeaf* leaf = contexts_[i].waiting_on()) {
                out += " [";
                out += std::to_string(i);
                out += ": ";
                out += leaf->describe();
                leaf->describe_detail(out);
                out += ']';
            }
        }
    }

    template <class F>
    static void for_each_index(F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<I>(), ...); }
        (std::index_sequence_for<Ts...>{});
    }

private:
    std::tuple<Task<Ts>...> tasks_;
    std::array<TaskContext, sizeof...(Ts)> contexts_{};
};

/// The awaiting protocol shared by `Select`, `Join` and `TryJoin`: wire the branches to the
/// awaiting task, poll them once, and stay that task's pending leaf until `poll_all()` says the
/// combinator is complete. `Derived` provides `branches()`, `poll_all()` and `await_resume()`.
template <class Derived>
class InTaskCombinator : public PendingLeaf {
public:
    bool await_ready() const noexcept { return false; }
    template <HasTaskContext P>
    bool await_suspend(std::coroutine_handle<P> h) {
        TaskContext& parent = *h.promise().context;
        self().branches().attach(parent);
        if (self().poll_all()) return false;
        continuation = h;
        parent.pending = this;
        return true;
    }
    bool ready() noexcept override { return self().poll_all(); }
    void describe_detail(std::string& out) const override {
        static_cast<const Derived&>(*this).branches().describe(out);
    }

private:
    Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace weft::detail
