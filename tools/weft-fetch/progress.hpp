#pragma once

// weft-fetch's progress line on stderr:
//   [#########-------]  4521/10000  45%  1234.5 req/s  errors 3  ETA 4s

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace weft_fetch {

/// A snapshot of a run, for the progress line.
struct ProgressState {
    std::uint64_t done = 0;       ///< requests finished (succeeded or failed)
    std::uint64_t total = 0;      ///< requests in the run; 0 = unknown (streaming input)
    std::uint64_t errors = 0;     ///< failed requests among `done`
    std::uint64_t in_flight = 0;  ///< requests started and not finished
    double elapsed_seconds = 0;   ///< since the run started
};

/// The progress line for `state`, at most `width` bytes (ASCII) and without a newline.
///
/// With a known total:  `[######----]   4521/10000   45%   1234.5 req/s  errors 3  ETA 4s`
/// With total 0:        `4521 done   1234.5 req/s  errors 3`
///
/// The bar takes the room the text leaves (at most 40 columns, dropped below 10); when even the
/// text does not fit, its least useful parts go first (ETA, errors, rate, percentage), and what
/// remains is cut at `width`. So that nothing jumps about between redraws, `done` is padded to
/// the width of `total`, the rate to 7 characters, and the bar leaves room for the longest ETA.
/// The rate is done / elapsed; the ETA assumes it holds. `in_flight` is not shown here.
///
///     render_progress_line({.done = 50, .total = 100, .elapsed_seconds = 5}, 72);
///     // "[##########----------]   50/100   50%     10.0 req/s  errors 0  ETA 5s"
std::string render_progress_line(const ProgressState& state, int width);

/// Draws the progress line on a terminal, redrawing in place with '\r'.
///
/// Drawing happens on `update` (no thread of its own): the fetch loop calls `update` whenever a
/// request finishes, and may also call it from a periodic ticker so the rate and ETA move while
/// nothing finishes. Redraws are throttled by the state's own clock, `elapsed_seconds`: at most
/// one per 100 ms, plus the first and the one where done reaches total. That keeps a run of
/// 100,000 req/s from spending its time on stderr, and makes the throttle deterministic.
/// `update` and `finish` may be called from any thread (one mutex).
///
///     weft_fetch::ProgressBar bar(weft_fetch::ProgressBar::Mode::automatic, stderr);
///     bar.update({.done = n, .total = total, .errors = failed, .elapsed_seconds = secs});
///     ...
///     bar.finish();   // erase the line before printing the summary
class ProgressBar {
public:
    enum class Mode {
        automatic,  ///< draw only when `out` is a terminal (isatty)
        always,     ///< draw even into a file or pipe
        never,      ///< draw nothing
    };

    /// Minimum time between two redraws, in the state's elapsed seconds.
    static constexpr double kRedrawInterval = 0.1;

    /// `width` 0 = the terminal's width (TIOCGWINSZ on `out`), 80 when that is unknown. The line
    /// is drawn one column narrower, so that it never wraps.
    ProgressBar(Mode mode, std::FILE* out, int width = 0);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    /// Whether this bar draws anything (decided once, at construction).
    bool enabled() const noexcept { return enabled_; }

    /// Records `state` and redraws if due (see the class comment). No-op after `finish`.
    void update(const ProgressState& state);

    /// Prints `message` (a line, '\n' added) to the bar's FILE without garbling the bar: erases the
    /// bar, prints, and redraws the bar below. Without a drawn bar it just prints, so callers
    /// can use it for warnings whatever the mode.
    ///
    ///     bar.print("line 12: invalid URL");
    void print(std::string_view message);

    /// Erases the line (if one was drawn) so that the next output starts at column 0; later
    /// updates draw nothing. Called by the destructor if not before.
    void finish();

    /// Redraws so far (for tests and for curiosity).
    std::uint64_t redraws() const;

private:
    void draw_locked(const ProgressState& state);
    void erase_locked();

    mutable std::mutex mutex_;
    std::FILE* out_;
    bool enabled_;
    bool finished_ = false;
    bool drawn_any_ = false;
    bool drew_complete_ = false;
    int width_;
    double last_draw_ = 0;
    ProgressState last_state_{};
    std::size_t last_length_ = 0;
    std::uint64_t redraws_ = 0;
};

}  // namespace weft_fetch
