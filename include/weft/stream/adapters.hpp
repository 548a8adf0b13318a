#pragma once

// Stream adapters, each a small generator over its input. They take the input by value (move
// it in) and return a new Stream:
//
//     auto sizes = weft::stream::buffer_unordered(
//         weft::stream::map(weft::stream::iter(urls), [](std::string u) { return fetch_size(u); }),
//         64);                                    // at most 64 requests in flight
//     co_await weft::stream::for_each(std::move(sizes), [&](std::size_t n) { total += n; });

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>
#include <weft/stream/detail/in_flight.hpp>
#include <weft/stream/stream.hpp>
#include <weft/task.hpp>

namespace weft::stream {

/// A stream of the elements of `range` (moved in, so it may be a temporary).
template <std::ranges::input_range R>
Stream<std::ranges::range_value_t<R>> iter(R range) {
    for (auto&& v : range) co_yield std::forward<decltype(v)>(v);
}

/// Applies `f` to each element.
template <class T, class F>
Stream<std::invoke_result_t<F&, T&&>> map(Stream<T> in, F f) {
    while (auto v = co_await in.next()) co_yield std::invoke(f, std::move(*v));
}

/// Applies the asynchronous `f` (returning a `Task<U>`) to each element, one at a time.
template <class T, class F>
Stream<typename std::invoke_result_t<F&, T&&>::value_type> then(Stream<T> in, F f) {
    while (auto v = co_await in.next()) co_yield co_await std::invoke(f, std::move(*v));
}

/// Keeps the elements for which `pred` holds.
template <class T, class P>
Stream<T> filter(Stream<T> in, P pred) {
    while (auto v = co_await in.next()) {
        if (std::invoke(pred, std::as_const(*v))) co_yield std::move(*v);
    }
}

/// The first `n` elements (the input is not pulled further).
template <class T>
Stream<T> take(Stream<T> in, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        auto v = co_await in.next();
        if (!v) co_return;
        co_yield std::move(*v);
    }
}

/// Runs up to `n` of the input's tasks at once and yields their results in completion order.
/// Memory is bounded by `n` whatever the input's length; the input is pulled when a slot frees.
/// Destroying the stream cancels the tasks in flight.
template <class U>
Stream<U> buffer_unordered(Stream<Task<U>> in, std::size_t n) {
    weft::detail::InFlight<U> set(n);
    weft::detail::TaskContext* owner = co_await weft::detail::CurrentContext{};
    bool input_done = false;
    for (;;) {
        while (!input_done && !set.full()) {
            auto t = co_await in.next();
            if (!t)
                input_done = true;
            else
                set.push(std::move(*t), *owner);
        }
        if (set.empty()) co_return;
        co_await set.wait_any();
        co_yield set.take_any();
    }
}

/// Like `buffer_unordered`, but yields results in input order.
template <class U>
Stream<U> buffered(Stream<Task<U>> in, std::size_t n) {
    weft::detail::InFlight<U> set(n);
    weft::detail::TaskContext* owner = co_await weft::detail::CurrentContext{};
    std::deque<std::size_t> order;  // slots in input order
    bool input_done = false;
    for (;;) {
        while (!input_done && !set.full()) {
            auto t = co_await in.next();
            if (!t)
                input_done = true;
            else
                order.push_back(set.push(std::move(*t), *owner));
        }
        if (order.empty()) co_return;
        std::size_t head = order.front();
        co_await set.wait(head);
        order.pop_front();
        co_yield set.take(head);
    }
}

/// Every element, in a vector.
template <class T>
Task<std::vector<T>> collect(Stream<T> in) {
    std::vector<T> out;
    while (auto v = co_await in.next()) out.push_back(std::move(*v));
    co_return out;
}

/// Calls `f` on each element.
template <class T, class F>
Task<> for_each(Stream<T> in, F f) {
    while (auto v = co_await in.next()) std::invoke(f, std::move(*v));
}

namespace detail {
/// Turns each element into a task running `f` on it. A named functor, not a lambda with an
/// init-capture: GCC 12 destroys such captures twice when the lambda is made inside a coroutine.
template <class T, class F>
struct ConcurrentBody {
    F f;
    Task<std::monostate> operator()(T v) { return run(f, std::move(v)); }
    static Task<std::monostate> run(F& f, T v) {
        co_await std::invoke(f, std::move(v));
        co_return std::monostate{};
    }
};

template <class U>
Task<> drain(Stream<U> s) {
    for (;;) {
        auto v = co_await s.next();
        if (!v) co_return;
    }
}
}  // namespace detail

/// Runs the asynchronous `f` (returning a `Task<>`) on each element, at most `n` at once.
template <class T, class F>
Task<> for_each_concurrent(Stream<T> in, std::size_t n, F f) {
    auto tasks = map(std::move(in), detail::ConcurrentBody<T, F>{std::move(f)});
    return detail::drain(buffer_unordered(std::move(tasks), n));
}

}  // namespace weft::stream
