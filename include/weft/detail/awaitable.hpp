#pragma once

#include <type_traits>
#include <utility>

namespace weft::detail {

template <class A>
concept HasMemberCoAwait = requires(A&& a) {
    std::forward<A>(a).operator co_await();
};

template <class A>
struct AwaitResultOf {
    using type = decltype(std::declval<A&>().await_resume());
};
template <class A>
requires HasMemberCoAwait<A>
struct AwaitResultOf<A> {
    using type = decltype(std::declval<A>().operator co_await().await_resume());
};
template <class A>
requires HasMemberCoAwait<A&>
struct AwaitResultOf<A&> {
    using type = decltype(std::declval<A&>().operator co_await().await_resume());
};
template <class A>
requires(!HasMemberCoAwait<A&>) struct AwaitResultOf<A&> {
    using type = decltype(std::declval<A&>().await_resume());
};

/// What `co_await a` produces for an `A` (an awaiter, or a type with `operator co_await`).
template <class A>
using await_result_t = typename AwaitResultOf<A>::type;

}  // namespace weft::detail
