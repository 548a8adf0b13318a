#include <algorithm>
#include <weft/io/pipe.hpp>

namespace weft::io {

std::pair<PipeReader, PipeWriter> pipe(std::size_t capacity) {
    auto state = std::make_shared<detail::PipeState>(std::max<std::size_t>(capacity, 1));
    return {PipeReader(state), PipeWriter(state)};
}

PipeReader::~PipeReader() {
    if (!state_) return;
    Waker writer;
    {
        std::lock_guard lock(state_->mutex);
        state_->read_closed = true;
        writer = std::move(state_->writer);
    }
    writer.wake_and_reset();
}

PipeReader::ReadAwaiter::~ReadAwaiter() {
    if (!registered_) return;
    Waker old;
    std::lock_guard lock(s_->mutex);
    old = std::move(s_->reader);
}

Result<std::size_t> PipeReader::ReadAwaiter::await_resume() noexcept {
    Waker writer;
    std::size_t n;
    {
        std::lock_guard lock(s_->mutex);
        n = std::min(buf_.size(), s_->buffer.size());
        std::copy_n(s_->buffer.begin(), n, buf_.begin());
        s_->buffer.erase(s_->buffer.begin(), s_->buffer.begin() + static_cast<std::ptrdiff_t>(n));
        if (n > 0) writer = std::move(s_->writer);
    }
    writer.wake_and_reset();
    return n;
}

PipeWriter::~PipeWriter() {
    if (state_) close_write();
}

void PipeWriter::close_write() noexcept {
    Waker reader;
    {
        std::lock_guard lock(state_->mutex);
        state_->write_closed = true;
        reader = std::move(state_->reader);
    }
    reader.wake_and_reset();
}

PipeWriter::WriteAwaiter::~WriteAwaiter() {
    if (!registered_) return;
    Waker old;
    std::lock_guard lock(s_->mutex);
    old = std::move(s_->writer);
}

Result<std::size_t> PipeWriter::WriteAwaiter::await_resume() noexcept {
    Waker reader;
    std::size_t n;
    {
        std::lock_guard lock(s_->mutex);
        if (s_->read_closed) return std::unexpected(std::make_error_code(std::errc::broken_pipe));
        if (s_->write_closed) return std::unexpected(make_error_code(Errc::closed));
        n = std::min(buf_.size(), s_->capacity - std::min(s_->capacity, s_->buffer.size()));
        s_->buffer.insert(s_->buffer.end(), buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
        if (n > 0) reader = std::move(s_->reader);
    }
    reader.wake_and_reset();
    return n;
}

}  // namespace weft::io
