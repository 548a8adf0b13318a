#pragma once

#include <cstddef>
#include <variant>
#include <weft/combinator/detail/branches.hpp>

namespace weft {

/// The outcome of `select`: which branch finished first, and its value.
///
///     auto r = co_await weft::select(read_request(conn), weft::time::sleep(5s) ...);
///     if (r.index() == 0) handle(std::get<0>(r));
template <class... Ts>
using SelectResult = std::variant<detail::BranchValue<Ts>...>;

/// Awaits the first of several tasks to finish. Produced by `select`.
///
/// All branches run inside the awaiting task (no spawn). Branches are polled in order, so when
/// several are ready at once the earliest wins. Every other branch is destroyed, releasing what
/// it held, before the `co_await` returns. An exception from the winner propagates.
///
/// Cancel safety: as the branches'. A losing branch is cancelled mid-flight, so give `select`
/// only operations whose cancellation loses nothing (a timer, an accept, a channel receive).
template <class... Ts>
class [[nodiscard]] Select final : public detail::InTaskCombinator<Select<Ts...>> {
public:
    explicit Select(Task<Ts>... tasks) : branches_(std::move(tasks)...) {}
    Select(Select&&) = default;

    SelectResult<Ts...> await_resume() {
        branches_.cancel_all_but(winner_);
        return take<0>();
    }
    const char* describe() const noexcept override { return "select"; }

private:
    friend class detail::InTaskCombinator<Select>;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    detail::Branches<Ts...>& branches() noexcept { return branches_; }
    const detail::Branches<Ts...>& branches() const noexcept { return branches_; }
    bool poll_all() {
        detail::Branches<Ts...>::for_each_index([&]<std::size_t I>() {
            if (winner_ == npos && branches_.template poll<I>()) winner_ = I;
        });
        return winner_ != npos;
    }
    template <std::size_t I>
    SelectResult<Ts...> take() {
        if constexpr (I + 1 < sizeof...(Ts)) {
            if (winner_ != I) return take<I + 1>();
        }
        return SelectResult<Ts...>(std::in_place_index<I>,
                                   detail::take_branch_value(branches_.template task<I>()));
    }

    detail::Branches<Ts...> branches_;
    std::size_t winner_ = npos;
};

/// Runs the tasks concurrently within the awaiting task and completes with the first to finish;
/// the others are cancelled (destroyed) before it returns.
///
///     auto message = rx.recv();
///     auto stopping = shutdown.cancelled();
///     auto r = co_await weft::select(message, stopping);
///     if (r.index() == 1) co_return;   // shutting down
///
/// Branches may be `Task`s or any other awaitable (a `Sleep`, a `Timeout`, a channel receive).
/// Awaiters that register themselves somewhere (a channel receive, `cancelled()`) cannot move:
/// name them and pass the variables, as above, or pass a `Task` that awaits them.
template <class... As>
requires(sizeof...(As) >= 1) auto select(As&&... branches) {
    return Select<detail::TaskValue<As>...>(detail::into_task(std::forward<As>(branches))...);
}

}  // namespace weft
