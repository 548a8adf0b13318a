#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <vector>
#include <weft/combinator/detail/branches.hpp>
#include <weft/error.hpp>

namespace weft {

/// Awaits every one of several tasks. Produced by `join`.
///
/// The tasks run concurrently inside the awaiting task. The result is a tuple of their values
/// (`std::monostate` for `void`). If some threw, the first in argument order is rethrown once all
/// have finished.
///
/// Cancel safety: destroying a pending join destroys every branch.
template <class... Ts>
class [[nodiscard]] Join final : public detail::InTaskCombinator<Join<Ts...>> {
public:
    using Output = std::tuple<detail::BranchValue<Ts>...>;

    explicit Join(Task<Ts>... tasks) : branches_(std::move(tasks)...) {}
    Join(Join&&) = default;

    Output await_resume() {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return Output(detail::take_branch_value(branches_.template task<I>())...);
        }
        (std::index_sequence_for<Ts...>{});
    }

    const char* describe() const noexcept override { return "join"; }

private:
    friend class detail::InTaskCombinator<Join>;
    detail::Branches<Ts...>& branches() noexcept { return branches_; }
    const detail::Branches<Ts...>& branches() const noexcept { return branches_; }
    bool poll_all() {
        bool all = true;
        detail::Branches<Ts...>::for_each_index(
            [&]<std::size_t I>() { all &= branches_.template poll<I>(); });
        return all;
    }
    detail::Branches<Ts...> branches_;
};

/// Runs the tasks concurrently within the awaiting task; completes when all have.
///
///     auto [user, orders] = co_await weft::join(fetch_user(id), fetch_orders(id));
template <class... As>
auto join(As&&... branches) {
    return Join<detail::TaskValue<As>...>(detail::into_task(std::forward<As>(branches))...);
}

namespace detail {
template <class R>
struct ResultValue;
template <class U>
struct ResultValue<Result<U>> {
    using type = BranchValue<U>;
};
}  // namespace detail

/// Awaits tasks returning `Result<U>`; the first error cancels the others. Produced by
/// `try_join`.
///
/// Completes with `Result<std::tuple<U...>>` (`std::monostate` for `Result<void>`): every value,
/// or the first error, in which case the remaining branches are destroyed before it returns.
template <class... Rs>
class [[nodiscard]] TryJoin final : public detail::InTaskCombinator<TryJoin<Rs...>> {
public:
    using Output = Result<std::tuple<typename detail::ResultValue<Rs>::type...>>;

    explicit TryJoin(Task<Rs>... tasks) : branches_(std::move(tasks)...) {}
    TryJoin(TryJoin&&) = default;

    Output await_resume() {
        if (error_) {
            branches_.cancel_all_but(static_cast<std::size_t>(-1));
            return std::unexpected(*error_);
        }
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return Output(std::in_place, unwrap(results_.template get<I>())...);
        }
        (std::index_sequence_for<Rs...>{});
    }

    const char* describe() const noexcept override { return "try_join"; }

private:
    friend class detail::InTaskCombinator<TryJoin>;
    detail::Branches<Rs...>& branches() noexcept { return branches_; }
    const detail::Branches<Rs...>& branches() const noexcept { return branches_; }

    template <class U>
    static detail::BranchValue<U> unwrap(Result<U>& r) {
        if constexpr (std::is_void_v<U>)
            return {};
        else
            return std::move(*r);
    }
    struct Results {
        std::tuple<std::optional<Rs>...> values;
        template <std::size_t I>
        auto& get() {
            return *std::get<I>(values);
        }
    };

    bool poll_all() {
        bool all = true;
        detail::Branches<Rs...>::for_each_index([&]<std::size_t I>() {
            if (error_ || std::get<I>(results_.values)) return;
            if (!branches_.template poll<I>()) {
                all = false;
                return;
            }
            auto r = branches_.template task<I>().take_result();  // rethrows a branch's exception
            if (!r)
                error_ = r.error();
            else
                std::get<I>(results_.values).emplace(std::move(r));
        });
        return all || error_;
    }

    detail::Branches<Rs...> branches_;
    Results results_;
    std::optional<std::error_code> error_;
};

/// Runs tasks returning `Result<U>` concurrently; the first error cancels the rest.
///
///     auto both = co_await weft::try_join(connect(a), connect(b));
///     if (!both) co_return std::unexpected(both.error());
///     auto& [conn_a, conn_b] = *both;
template <class... As>
auto try_join(As&&... branches) {
    return TryJoin<detail::TaskValue<As>...>(detail::into_task(std::forward<As>(branches))...);
}

/// Runs every task of `tasks` concurrently inside the awaiting task and collects their values in
/// order (a `std::monostate` per task for `void`). Exceptions: the first in order is rethrown
/// after all finished.
///
///     std::vector<weft::Task<int>> jobs = make_jobs();
///     std::vector<int> results = co_await weft::join_all(std::move(jobs));
///
/// Unlike `join`, branches are woken individually: a wake costs O(1) however many tasks there are.
template <class T>
Task<std::vector<detail::BranchValue<T>>> join_all(std::vector<Task<T>> tasks);

}  // namespace weft

#include <weft/combinator/detail/join_all.hpp>
