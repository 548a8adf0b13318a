#pragma once

// The error model, decided once for the whole library:
//
// - Operations that can fail for reasons outside the program's control (I/O, name resolution,
//   timeouts) return `weft::Result<T>` = `std::expected<T, std::error_code>`. OS errors keep
//   their `std::system_category()` codes (ECONNREFUSED, ECONNRESET, ...); weft's own conditions
//   use `weft::error_category()` so that they are never confused with an OS code.
// - A timeout is `weft::Errc::timed_out`, distinct from the socket-level ETIMEDOUT: test it with
//   `weft::is_timeout(ec)`.
// - Programming errors (calling `block_on` on a runtime thread, awaiting a timer with no
//   runtime) throw `std::logic_error` with a message that says what to do instead.
// - Exceptions thrown by a task travel to whoever awaits it (a `Task` rethrows; a `JoinHandle`
//   reports `JoinError::Kind::failed` with the `exception_ptr`).

#include <expected>
#include <string>
#include <system_error>

namespace weft {

/// Result of a fallible asynchronous operation.
///
///     weft::Result<std::size_t> n = co_await stream.read(buf);
///     if (!n) std::println("read failed: {}", n.error().message());
template <class T>
using Result = std::expected<T, std::error_code>;

/// weft's own error conditions (category "weft").
enum class Errc {
    ok = 0,
    timed_out = 1,       ///< a `weft::timeout` deadline passed before the operation finished
    cancelled = 2,       ///< the operation was cancelled
    no_runtime = 3,      ///< the operation needs a runtime and none is running on this thread
    resolve_failed = 4,  ///< name resolution found no address for the host
    closed = 5,          ///< the other side of a channel or pipe is gone
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/// True when `ec` is weft's timeout (not a socket's ETIMEDOUT).
inline bool is_timeout(const std::error_code& ec) noexcept { return ec == make_error_code(Errc::timed_out); }

/// `std::unexpected` holding the OS error `errno_value`.
inline std::unexpected<std::error_code> os_error(int errno_value) noexcept {
    return std::unexpected(std::error_code(errno_value, std::system_category()));
}

}  // namespace weft

template <>
struct std::is_error_code_enum<weft::Errc> : std::true_type {};
