#pragma once

#include <atomic>
#include <cstdint>
#include <weft/runtime/waker.hpp>

namespace weft::time::detail {

/// A timer registration, embedded in the awaiter that waits for it.
///
/// Owned by its awaiter, listed in a wheel slot while registered. The awaiter's destructor
/// deregisters it, so a cancelled sleep leaves nothing behind in the wheel. Every field but
/// `fired` is guarded by the driver's lock; `fired` is also read by the awaiting task, and
/// once it is set the driver holds nothing of the entry until its owner registers or resets it.
struct TimerEntry {
    std::uint64_t when = 0;   ///< deadline, in wheel ticks (milliseconds)
    Waker waker;              ///< woken when the deadline passes
    std::uint32_t index = 0;  ///< position in its slot's array, while linked
    std::uint8_t level = 0;
    std::uint8_t slot = 0;
    bool linked = false;             ///< in a wheel slot
    std::atomic<bool> fired{false};  ///< deadline reached
    /// In the wheel with no waker: it fired and was reset before its waiter ran. Written under
    /// the lock before `fired` is cleared (release), so a waiter that reads `fired` false sees it.
    std::atomic<bool> without_waker{false};
};

}  // namespace weft::time::detail
