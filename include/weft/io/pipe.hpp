#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <weft/error.hpp>
#include <weft/io/async_io.hpp>
#include <weft/runtime/context.hpp>

namespace weft::io {

namespace detail {
struct PipeState {
    explicit PipeState(std::size_t cap) : capacity(cap) {}
    std::mutex mutex;
    std::deque<std::byte> buffer;
    std::size_t capacity;
    bool write_closed = false;  ///< writer shut down or dropped: reads drain, then see 0
    bool read_closed = false;   ///< reader dropped: writes fail with broken_pipe
    Waker reader;
    Waker writer;
};
}  // namespace detail

class PipeWriter;

/// The reading end of an in-memory byte pipe (an `AsyncRead`).
class PipeReader {
public:
    explicit PipeReader(std::shared_ptr<detail::PipeState> s) noexcept : state_(std::move(s)) {}
    PipeReader(PipeReader&&) noexcept = default;
    PipeReader& operator=(PipeReader&&) noexcept = default;
    ~PipeReader();

    /// Waits for data; yields how many bytes were copied into `buf`, 0 at end of stream.
    auto read(std::span<std::byte> buf) noexcept { return ReadAwaiter{state_.get(), buf}; }

private:
    class ReadAwaiter final : public weft::detail::LeafAwaiter {
    public:
        ReadAwaiter(detail::PipeState* s, std::span<std::byte> b) noexcept : s_(s), buf_(b) {}
        ReadAwaiter(const ReadAwaiter&) = delete;
        ~ReadAwaiter();
        bool await_ready() noexcept { return ready() && weft::detail::coop::poll_proceed(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(s_->mutex);
            if (can_read_locked()) return yield_if_budget_spent(h);
            s_->reader = h.promise().context->waker();
            registered_ = true;
            suspend_here(h);
            return true;
        }
        Result<std::size_t> await_resume() noexcept;
        bool ready() noexcept override {
            std::lock_guard lock(s_->mutex);
            return can_read_locked();
        }
        const char* describe() const noexcept override { return "pipe read"; }

    private:
        bool can_read_locked() const noexcept {
            return !s_->buffer.empty() || s_->write_closed || buf_.empty();
        }
        detail::PipeState* s_;
        std::span<std::byte> buf_;
        bool registered_ = false;
    };
    std::shared_ptr<detail::PipeState> state_;
};

/// The writing end of an in-memory byte pipe (an `AsyncWrite`). Writes wait while the pipe
/// holds `capacity` bytes.
class PipeWriter {
public:
    explicit PipeWriter(std::shared_ptr<detail::PipeState> s) noexcept : state_(std::move(s)) {}
    PipeWriter(PipeWriter&&) noexcept = default;
    PipeWriter& operator=(PipeWriter&&) noexcept = default;
    ~PipeWriter();

    /// Waits for room; yields how many bytes of `buf` were taken (at least one).
    auto write(std::span<const std::byte> buf) noexcept { return WriteAwaiter{state_.get(), buf}; }
    /// Ends the stream: the reader sees 0 once the buffer is drained.
    ReadyAwaiter<Result<void>> shutdown() noexcept {
        close_write();
        return {Result<void>{}};
    }

private:
    void close_write() noexcept;
    class WriteAwaiter final : public weft::detail::LeafAwaiter {
    public:
        WriteAwaiter(detail::PipeState* s, std::span<const std::byte> b) noexcept : s_(s), buf_(b) {}
        WriteAwaiter(const WriteAwaiter&) = delete;
        ~WriteAwaiter();
        bool await_ready() noexcept { return ready() && weft::detail::coop::poll_proceed(); }
        template <weft::detail::HasTaskContext P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard lock(s_->mutex);
            if (can_write_locked()) return yield_if_budget_spent(h);
            s_->writer = h.promise().context->waker();
            registered_ = true;
            suspend_here(h);
            return true;
        }
        Result<std::size_t> await_resume() noexcept;
        bool ready() noexcept override {
            std::lock_guard lock(s_->mutex);
            return can_write_locked();
        }
        const char* describe() const noexcept override { return "pipe write"; }

    private:
        bool can_write_locked() const noexcept {
            return s_->buffer.size() < s_->capacity || s_->read_closed || buf_.empty();
        }
        detail::PipeState* s_;
        std::span<const std::byte> buf_;
        bool registered_ = false;
    };
    std::shared_ptr<detail::PipeState> state_;
};

/// An in-memory pipe holding at most `capacity` bytes, for tests and for connecting tasks
/// through the `AsyncRead`/`AsyncWrite` interfaces. The two ends may live on different threads.
///
///     auto [reader, writer] = weft::io::pipe(4096);
///     co_await weft::io::write_all(writer, weft::io::as_bytes("hello"));
///
/// Cancel safety: a destroyed pending read or write transfers nothing.
std::pair<PipeReader, PipeWriter> pipe(std::size_t capacity = 64 * 1024);

}  // namespace weft::io
