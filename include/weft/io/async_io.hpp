#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <weft/detail/awaitable.hpp>
#include <weft/error.hpp>
#include <weft/task.hpp>

namespace weft::io {

/// An awaitable that is complete from the start (for operations that never wait).
template <class T>
struct ReadyAwaiter {
    T value;
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    T await_resume() { return std::move(value); }
};

/// The type a `co_await` on an `A` produces.
template <class A>
using await_result_t = weft::detail::await_result_t<A>;

/// A source of bytes: `co_await r.read(buf)` yields `Result<std::size_t>`, 0 meaning end of
/// stream. Any type with such a member models it: sockets, pipes, TLS streams, test doubles.
///
///     template <weft::io::AsyncRead R> weft::Task<> drain(R& r);
template <class R>
concept AsyncRead = requires(R& r, std::span<std::byte> buf) {
    {r.read(buf)};
    requires std::convertible_to<await_result_t<decltype(r.read(buf))>, Result<std::size_t>>;
};

/// A sink of bytes: `co_await w.write(buf)` yields `Result<std::size_t>` (bytes accepted, maybe
/// fewer than offered), and `co_await w.shutdown()` (`Result<void>`) signals end of stream.
template <class W>
concept AsyncWrite = requires(W& w, std::span<const std::byte> buf) {
    {w.write(buf)};
    requires std::convertible_to<await_result_t<decltype(w.write(buf))>, Result<std::size_t>>;
    {w.shutdown()};
    requires std::convertible_to<await_result_t<decltype(w.shutdown())>, Result<void>>;
};

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
    return std::as_bytes(std::span(s.data(), s.size()));
}

/// Writes all of `data`, retrying short writes.
///
///     co_await weft::io::write_all(stream, weft::io::as_bytes("GET / HTTP/1.1\r\n\r\n"));
template <AsyncWrite W>
Task<Result<void>> write_all(W& writer, std::span<const std::byte> data) {
    while (!data.empty()) {
        Result<std::size_t> n = co_await writer.write(data);
        if (!n) co_return std::unexpected(n.error());
        if (*n == 0) co_return std::unexpected(std::make_error_code(std::errc::broken_pipe));
        data = data.subspan(*n);
    }
    co_return Result<void>{};
}

/// Reads until end of stream, appending to `out`; yields the number of bytes read.
template <AsyncRead R>
Task<Result<std::size_t>> read_to_end(R& reader, std::vector<std::byte>& out) {
    std::size_t total = 0;
    for (;;) {
        std::size_t old = out.size();
        out.resize(old + std::max<std::size_t>(4096, old / 2));
        Result<std::size_t> n = co_await reader.read(std::span(out).subspan(old));
        out.resize(old + (n ? *n : 0));
        if (!n) co_return std::unexpected(n.error());
        if (*n == 0) co_return total;
        total += *n;
    }
}

/// Reads until end of stream, appending to `out`; yields the number of bytes read.
template <AsyncRead R>
Task<Result<std::size_t>> read_to_string(R& reader, std::string& out) {
    std::size_t total = 0;
    for (;;) {
        std::size_t old = out.size();
        out.resize(old + std::max<std::size_t>(4096, old / 2));
        auto span = std::as_writable_bytes(std::span(out.data(), out.size())).subspan(old);
        Result<std::size_t> n = co_await reader.read(span);
        out.resize(old + (n ? *n : 0));
        if (!n) co_return std::unexpected(n.error());
        if (*n == 0) co_return total;
        total += *n;
    }
}

}  // namespace weft::io
