#pragma once

// The pool's own error conditions. A manager's errors (a refused connection, a failed
// handshake) pass through `Pool::get` unchanged; these say what the pool itself gave up on.

#include <system_error>

namespace weft::pool {

/// Why `Pool::get` failed, when it was not the manager's error (category "weft.pool").
///
///     auto conn = co_await pool.get();
///     if (!conn && conn.error() == weft::pool::Errc::wait_timed_out) shed_load();
enum class Errc {
    wait_timed_out = 1,  ///< no object became free within `Config::wait_timeout`
    create_timed_out,    ///< the manager's `create()` took longer than `Config::create_timeout`
    recycle_timed_out,   ///< the manager's `recycle()` took longer than `Config::recycle_timeout`
    closed,              ///< the pool was closed (before or while the caller waited)
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/// True for the three pool timeouts (not for a manager's own errors).
inline bool is_pool_timeout(const std::error_code& ec) noexcept {
    return ec == make_error_code(Errc::wait_timed_out) || ec == make_error_code(Errc::create_timed_out) ||
           ec == make_error_code(Errc::recycle_timed_out);
}

}  // namespace weft::pool

template <>
struct std::is_error_code_enum<weft::pool::Errc> : std::true_type {};
