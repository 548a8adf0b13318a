#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "text.hpp"

namespace weft_fetch {
namespace {

constexpr int kMaxBar = 40;
constexpr int kMinBar = 10;
constexpr int kDefaultWidth = 80;
constexpr std::string_view kLongestEta = "ETA 59m59s";  // text::eta is at most 6 characters

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += "  ";
        out += p;
    }
    return out;
}

}  // namespace

std::string render_progress_line(const ProgressState& state, int width) {
    if (width <= 0) return {};
    const bool known = state.total != 0;
    const bool timed = state.elapsed_seconds > 0 && std::isfinite(state.elapsed_seconds);
    const double rate = timed ? static_cast<double>(state.done) / state.elapsed_seconds : 0;

    // Parts in order of usefulness; the tail is dropped first when the width is short.
    std::vector<std::string> parts;
    if (known) {
        std::string total = std::to_string(state.total);
        parts.push_back(text::pad_left(std::to_string(state.done), total.size()) + "/" + total);
        std::uint64_t percent = std::min<std::uint64_t>(100, state.done * 100 / state.total);
        if (state.done > UINT64_MAX / 100) percent = 100;  // overflow guard for absurd counts
        parts.push_back(text::pad_left(std::to_string(percent), 3) + "%");
    } else {
        parts.push_back(std::to_string(state.done) + " done");
    }
    // The rate is padded, and the bar below leaves room for the longest ETA, so that neither
    // the bar nor the text after it jumps about as they change from one redraw to the next.
    parts.push_back(text::pad_left(timed ? text::fixed(rate, 1) : std::string("-"), 7) + " req/s");
    parts.push_back("errors " + std::to_string(state.errors));
    if (known) {
        std::uint64_t remaining = state.done >= state.total ? 0 : state.total - state.done;
        std::string eta = remaining == 0 ? "0s"
                          : rate > 0     ? text::eta(static_cast<double>(remaining) / rate)
                                         : "-";
        parts.push_back("ETA " + eta);
    }

    std::string line = join(parts);
    while (static_cast<int>(line.size()) > width && parts.size() > 1) {
        parts.pop_back();
        line = join(parts);
    }
    if (static_cast<int>(line.size()) > width) line.resize(static_cast<std::size_t>(width));

    // The bar takes what room is left: "[###---]  " before the text.
    std::size_t text_room = line.size();
    if (known && parts.size() == 5) text_room += kLongestEta.size() - parts.back().size();
    const int room = width - static_cast<int>(text_room) - 4;
    if (known && room >= kMinBar) {
        const int bar = std::min(room, kMaxBar);
        const double fraction =
            std::min(1.0, static_cast<double>(state.done) / static_cast<double>(state.total));
        const int filled = static_cast<int>(std::floor(fraction * bar));
        // Appended piece by piece: GCC 12 -O3 warns falsely (-Wrestrict) on a chain of operator+.
        std::string drawn;
        drawn.reserve(static_cast<std::size_t>(bar) + 4 + line.size());
        drawn += '[';
        drawn.append(static_cast<std::size_t>(filled), '#');
        drawn.append(static_cast<std::size_t>(bar - filled), '-');
        drawn += "]  ";
        drawn += line;
        line = std::move(drawn);
    }
    return line;
}

ProgressBar::ProgressBar(Mode mode, std::FILE* out, int width) : out_(out), width_(width) {
    const int fd = out != nullptr ? fileno(out) : -1;
    enabled_ = out != nullptr && (mode == Mode::always || (mode == Mode::automatic && fd >= 0 && isatty(fd)));
    if (width_ <= 0) {
        winsize ws{};
        width_ = (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) ? ws.ws_col : kDefaultWidth;
    }
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(const ProgressState& state) {
    std::lock_guard lock(mutex_);
    if (!enabled_ || finished_) return;
    const bool complete = state.total != 0 && state.done >= state.total;
    // The epsilon keeps updates at exact 0.1 s steps due despite rounding (0.3 - 0.2 < 0.1).
    const bool due = !drawn_any_ || state.elapsed_seconds - last_draw_ >= kRedrawInterval - 1e-9;
    if (due || (complete && !drew_complete_)) {
        draw_locked(state);
        drew_complete_ = drew_complete_ || complete;
    }
}

void ProgressBar::draw_locked(const ProgressState& state) {
    std::string line = render_progress_line(state, width_ - 1);  // the last column would wrap
    std::string frame;
    frame.reserve(1 + std::max(line.size(), last_length_));
    frame += '\r';
    frame += line;
    if (line.size() < last_length_) frame.append(last_length_ - line.size(), ' ');  // erase the old tail
    std::fwrite(frame.data(), 1, frame.size(), out_);
    std::fflush(out_);
    last_length_ = line.size();
    last_draw_ = state.elapsed_seconds;
    last_state_ = state;
    drawn_any_ = true;
    ++redraws_;
}

void ProgressBar::erase_locked() {
    std::string erase;
    erase += '\r';
    erase.append(last_length_, ' ');
    erase += '\r';
    std::fwrite(erase.data(), 1, erase.size(), out_);
    last_length_ = 0;
}

void ProgressBar::print(std::string_view message) {
    std::lock_guard lock(mutex_);
    if (out_ == nullptr) return;
    const bool bar_shown = enabled_ && !finished_ && drawn_any_;
    if (bar_shown) erase_locked();
    std::fwrite(message.data(), 1, message.size(), out_);
    std::fputc('\n', out_);
    if (bar_shown) {
        draw_locked(last_state_);
    } else {
        std::fflush(out_);
    }
}

void ProgressBar::finish() {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (!enabled_ || !drawn_any_) return;
    erase_locked();
    std::fflush(out_);
}

std::uint64_t ProgressBar::redraws() const {
    std::lock_guard lock(mutex_);
    return redraws_;
}

}  // namespace weft_fetch
