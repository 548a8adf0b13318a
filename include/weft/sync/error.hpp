#pragma once

// Errors of the sync primitives' non-waiting operations.
//
// Waiting operations report a closed channel or semaphore as `weft::Errc::closed` (or give the
// unsent value back). The `try_` forms have one more outcome, "not now", so they return a
// small enum instead of a `std::error_code`, and the ones that carry a value give it back.

#include <utility>

namespace weft::sync {

/// Why `try_recv` returned nothing.
enum class TryRecvError {
    empty,   ///< nothing queued yet; the sending side is still open
    closed,  ///< nothing queued, and nothing ever will be (every sender is gone, or closed)
};

/// The value of a `send` that failed because the receiving side is gone or closed.
template <class T>
struct SendError {
    T value;
};

/// Why `try_send` failed, with the value it did not send.
template <class T>
struct TrySendError {
    enum class Kind { full, closed };
    Kind kind;
    T value;

    bool is_full() const noexcept { return kind == Kind::full; }
    bool is_closed() const noexcept { return kind == Kind::closed; }
};

/// Why `try_acquire` returned no permit.
enum class TryAcquireError {
    no_permits,  ///< not enough permits now (or others are queued ahead)
    closed,      ///< the semaphore was closed
};

}  // namespace weft::sync
