#pragma once

#include <type_traits>
#include <utility>
#include <weft/detail/awaitable.hpp>
#include <weft/task.hpp>

namespace weft::detail {

template <class A>
Task<await_result_t<A>> wrap_awaitable(A awaitable) {
    co_return co_await std::move(awaitable);
}

/// Turns any awaitable into a Task (a Task stays as it is): combinators take both.
template <class A>
auto into_task(A&& a) {
    if constexpr (IsTask<std::remove_cvref_t<A>>::value) return std::forward<A>(a);
    else return wrap_awaitable(std::forward<A>(a));
}

template <class A>
using TaskValue = typename decltype(into_task(std::declval<A>()))::value_type;

}  // namespace weft::detail
