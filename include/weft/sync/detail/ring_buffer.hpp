#pragma once

#include <bit>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace weft::sync::detail {

/// A growable FIFO ring of `T` in one array whose size is a power of two.
///
/// The queue of a channel: push at the back, pop at the front, no allocation per element. The
/// array starts empty, is allocated on the first push and doubles when full, so a bounded
/// channel with a large capacity pays only for what it has held at once.
///
/// Not thread-safe (the channel's mutex guards it). If `T`'s move constructor throws, a push
/// leaves the ring holding the same elements, though those moved before the throw while
/// growing are left moved-from; prefer types with a noexcept move.
template <class T>
class RingBuffer {
public:
    RingBuffer() noexcept = default;
    RingBuffer(RingBuffer&& o) noexcept
        : buf_(std::exchange(o.buf_, nullptr)),
          cap_(std::exchange(o.cap_, 0)),
          head_(std::exchange(o.head_, 0)),
          len_(std::exchange(o.len_, 0)) {}
    RingBuffer& operator=(RingBuffer&& o) noexcept {
        if (this != &o) {
            clear_and_free();
            buf_ = std::exchange(o.buf_, nullptr);
            cap_ = std::exchange(o.cap_, 0);
            head_ = std::exchange(o.head_, 0);
            len_ = std::exchange(o.len_, 0);
        }
        return *this;
    }
    ~RingBuffer() { clear_and_free(); }

    bool empty() const noexcept { return len_ == 0; }
    std::size_t size() const noexcept { return len_; }

    /// Makes room for `n` elements in total without further allocation.
    void reserve(std::size_t n) {
        if (n > cap_) regrow(std::bit_ceil(n));
    }

    void push_back(T&& value) {
        if (len_ == cap_) regrow(cap_ == 0 ? initial_capacity : cap_ * 2);
        ::new (static_cast<void*>(buf_ + ((head_ + len_) & (cap_ - 1)))) T(std::move(value));
        ++len_;
    }

    T pop_front() {
        T* slot = buf_ + head_;
        T value(std::move(*slot));
        slot->~T();
        head_ = (head_ + 1) & (cap_ - 1);
        --len_;
        return value;
    }

private:
    // Small enough that a channel used for a handful of messages stays small; growth doubles.
    static constexpr std::size_t initial_capacity = 8;

    void regrow(std::size_t new_cap) {
        T* fresh = std::allocator<T>{}.allocate(new_cap);
        std::size_t moved = 0;
        try {
            for (; moved < len_; ++moved) {
                T* from = buf_ + ((head_ + moved) & (cap_ - 1));
                ::new (static_cast<void*>(fresh + moved)) T(std::move(*from));
            }
        } catch (...) {
            for (std::size_t i = 0; i < moved; ++i) fresh[i].~T();
            std::allocator<T>{}.deallocate(fresh, new_cap);
            throw;
        }
        std::size_t len = len_;
        clear_and_free();
        buf_ = fresh;
        cap_ = new_cap;
        head_ = 0;
        len_ = len;
    }

    void clear_and_free() noexcept {
        for (std::size_t i = 0; i < len_; ++i) buf_[(head_ + i) & (cap_ - 1)].~T();
        if (buf_) std::allocator<T>{}.deallocate(buf_, cap_);
        buf_ = nullptr;
        cap_ = head_ = len_ = 0;
    }

    T* buf_ = nullptr;
    std::size_t cap_ = 0;  ///< 0 or a power of two
    std::size_t head_ = 0;
    std::size_t len_ = 0;
};

}  // namespace weft::sync::detail
