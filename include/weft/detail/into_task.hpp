#pragma once

#include <type_traits>
#include <utility>
#include <weft/detail/awaitable.hpp>
#include <weft/task.hpp>

namespace weft::detail {

/// Owns an rvalue awaitable in the frame.
template <class A>
Task<await_result_t<A>> wrap_awaitable(A awaitable) {
    co_return co_await std::move(awaitable);
}

/// Refers to an lvalue awaitable (a JoinHandle, a Sleep), which must outlive the task.
template <class A>
Task<await_result_t<A&>> wrap_awaitable_ref(A& awaitable) {
    co_return co_await awaitable;
}

/// Turns any awaitable into a Task (a Task stays as it is): combinators take both.
template <class A>
auto into_task(A&& a) {
    if constexpr (IsTask<std::remove_cvref_t<A>>::value)
        return std::forward<A>(a);
    else if constexpr (std::is_lvalue_reference_v<A>)
        return wrap_awaitable_ref(a);
    else {
        static_assert(std::is_move_constructible_v<std::remove_cvref_t<A>>,
                      "this awaiter cannot move (it registers itself where its event will find it): "
                      "name it and pass the variable, e.g. `auto r = rx.recv(); select(r, ...)`");
        return wrap_awaitable(std::move(a));
    }
}

template <class A>
using TaskValue = typename decltype(into_task(std::declval<A>()))::value_type;

}  // namespace weft::detail
