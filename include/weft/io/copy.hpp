#pragma once

#include <array>
#include <weft/io/async_io.hpp>

namespace weft::io {

/// Copies everything `reader` produces into `writer` until end of stream; yields the byte count.
/// Works with any pair of types modelling `AsyncRead` and `AsyncWrite`. The writer is not
/// shut down (call `writer.shutdown()` to pass end of stream on).
///
///     auto copied = co_await weft::io::copy(client, upstream);   // a proxy's half
///
/// Cancel safety: bytes read but not yet written when the copy is destroyed are lost.
template <AsyncRead R, AsyncWrite W>
Task<Result<std::uint64_t>> copy(R& reader, W& writer) {
    std::array<std::byte, 16 * 1024> buffer;
    std::uint64_t total = 0;
    for (;;) {
        Result<std::size_t> n = co_await reader.read(std::span(buffer));
        if (!n) co_return std::unexpected(n.error());
        if (*n == 0) co_return total;
        Result<void> w = co_await write_all(writer, std::span<const std::byte>(buffer.data(), *n));
        if (!w) co_return std::unexpected(w.error());
        total += *n;
    }
}

}  // namespace weft::io
