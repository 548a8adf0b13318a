#include "progress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

using weft_fetch::ProgressBar;
using weft_fetch::ProgressState;
using weft_fetch::render_progress_line;

// 4521 of 10000 done at exactly 1234.5 req/s.
const ProgressState kMidway{
    .done = 4521, .total = 10000, .errors = 3, .in_flight = 100, .elapsed_seconds = 4521 / 1234.5};

TEST(FetchProgressLine, KnownTotalWithBar) {
    EXPECT_EQ(
        render_progress_line(kMidway, 120),
        "[##################----------------------]   4521/10000   45%   1234.5 req/s  errors 3  ETA 5s");
    EXPECT_EQ(render_progress_line(kMidway, 80),
              "[#########-------------]   4521/10000   45%   1234.5 req/s  errors 3  ETA 5s");
}

TEST(FetchProgressLine, BarKeepsItsLengthAsRateAndEtaChange) {
    // Same width, same total: whatever the rate and ETA, the bar and the count columns stay put.
    std::size_t bar_length = std::string::npos;
    for (double elapsed : {0.1, 0.5, 3.0, 40.0, 700.0, 5000.0}) {  // rates up to 9990 req/s
        for (std::uint64_t done : {1u, 37u, 512u, 999u}) {
            std::string line =
                render_progress_line({.done = done, .total = 1000, .elapsed_seconds = elapsed}, 80);
            auto end = line.find(']');
            ASSERT_NE(end, std::string::npos) << line;
            if (bar_length == std::string::npos) bar_length = end;
            EXPECT_EQ(end, bar_length) << line;
            EXPECT_EQ(line.find(" req/s"), bar_length + 27) << line;  // "]  ", count, percent, padded rate
        }
    }
}

TEST(FetchProgressLine, NeverWiderThanWidth) {
    for (const ProgressState& s :
         {kMidway, ProgressState{}, ProgressState{.done = 7, .elapsed_seconds = 1},
          ProgressState{.done = 10, .total = 10, .errors = 10, .elapsed_seconds = 2}}) {
        std::size_t previous = 0;
        for (int width = 0; width <= 200; ++width) {
            std::string line = render_progress_line(s, width);
            EXPECT_LE(line.size(), static_cast<std::size_t>(width)) << width << " " << line;
            EXPECT_GE(line.size(), previous) << "wider room never shows less: " << width;
            EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos);
            previous = line.size();
        }
    }
}

TEST(FetchProgressLine, NarrowWidthsDropTheBarThenTheLeastUsefulParts) {
    // Below 10 bar columns the bar goes; then ETA, errors, rate and percentage, in that order.
    EXPECT_EQ(render_progress_line(kMidway, 60), " 4521/10000   45%   1234.5 req/s  errors 3  ETA 5s");
    EXPECT_EQ(render_progress_line(kMidway, 48), " 4521/10000   45%   1234.5 req/s  errors 3");
    EXPECT_EQ(render_progress_line(kMidway, 38), " 4521/10000   45%   1234.5 req/s");
    EXPECT_EQ(render_progress_line(kMidway, 30), " 4521/10000   45%");
    EXPECT_EQ(render_progress_line(kMidway, 12), " 4521/10000");
    EXPECT_EQ(render_progress_line(kMidway, 5), " 4521");  // even the count is cut, not overflowed
    EXPECT_EQ(render_progress_line(kMidway, 0), "");
    EXPECT_EQ(render_progress_line(kMidway, -3), "");
}

TEST(FetchProgressLine, BarIsAtMostFortyColumnsAndFillsProportionally) {
    std::string line = render_progress_line({.done = 1, .total = 4, .elapsed_seconds = 1}, 200);
    ASSERT_TRUE(line.starts_with("[##########------------------------------]  ")) << line;
    std::string full = render_progress_line({.done = 4, .total = 4, .elapsed_seconds = 1}, 200);
    EXPECT_TRUE(full.starts_with("[########################################]  4/4  100%")) << full;
    // done beyond total (should not happen) is shown as it is but the bar and percent stop at full.
    std::string over = render_progress_line({.done = 5, .total = 4, .elapsed_seconds = 1}, 200);
    EXPECT_TRUE(over.starts_with("[########################################]  5/4  100%")) << over;
    EXPECT_TRUE(over.ends_with("ETA 0s")) << over;
}

TEST(FetchProgressLine, UnknownTotalShowsCountsAndRateOnly) {
    EXPECT_EQ(render_progress_line({.done = 4521, .errors = 3, .elapsed_seconds = 4521 / 1234.5}, 80),
              "4521 done   1234.5 req/s  errors 3");
    EXPECT_EQ(render_progress_line({.done = 4521, .errors = 3, .elapsed_seconds = 4521 / 1234.5}, 20),
              "4521 done");
}

TEST(FetchProgressLine, NothingDoneYet) {
    EXPECT_EQ(render_progress_line({.done = 0, .total = 10000}, 80),
              "[----------------------]      0/10000    0%        - req/s  errors 0  ETA -");
    EXPECT_EQ(render_progress_line({.done = 0, .total = 10, .elapsed_seconds = 3}, 62),
              "[----------]   0/10    0%      0.0 req/s  errors 0  ETA -");  // the narrowest bar
    EXPECT_EQ(render_progress_line({.done = 0, .total = 10, .elapsed_seconds = 3}, 61),
              " 0/10    0%      0.0 req/s  errors 0  ETA -");
    EXPECT_EQ(render_progress_line({}, 80), "0 done        - req/s  errors 0");
}

TEST(FetchProgressLine, EtaInSecondsMinutesAndHours) {
    auto eta = [](std::uint64_t done, std::uint64_t total, double elapsed) {
        std::string line =
            render_progress_line({.done = done, .total = total, .elapsed_seconds = elapsed}, 200);
        return line.substr(line.rfind("ETA ") + 4);
    };
    EXPECT_EQ(eta(100, 200, 10), "10s");       // 100 left at 10/s
    EXPECT_EQ(eta(100, 101, 10), "1s");        // 0.1 s rounds up, never "0s" while work is left
    EXPECT_EQ(eta(200, 200, 10), "0s");        // done
    EXPECT_EQ(eta(10, 1000, 10), "16m30s");    // 990 left at 1/s
    EXPECT_EQ(eta(10, 100000, 10), "27h46m");  // 99990 s
    EXPECT_EQ(eta(1, 1000000, 100), ">99h");
    EXPECT_EQ(eta(0, 1000, 10), "-");  // no rate yet
}

TEST(FetchProgressLine, PercentIsFlooredAndPadded) {
    auto percent = [](std::uint64_t done, std::uint64_t total) {
        std::string line = render_progress_line({.done = done, .total = total, .elapsed_seconds = 1}, 200);
        auto p = line.find('%');
        return line.substr(p - 3, 4);
    };
    EXPECT_EQ(percent(0, 3), "  0%");
    EXPECT_EQ(percent(1, 3), " 33%");
    EXPECT_EQ(percent(2, 3), " 66%");
    EXPECT_EQ(percent(999, 1000), " 99%");  // not 100% until it is
    EXPECT_EQ(percent(1000, 1000), "100%");
    EXPECT_EQ(percent(UINT64_MAX - 1, UINT64_MAX), "100%");  // no overflow in done * 100
}

// What erasing a drawn line of `length` writes. (Built with append: GCC 12 -O3 warns falsely,
// -Wrestrict, on "\r" + std::string(n, ' ') + "\r".)
std::string erased(std::size_t length) {
    std::string out(1, '\r');
    out.append(length, ' ');
    out += '\r';
    return out;
}

// A FILE* whose contents the test can read back.
struct MemFile {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* file = open_memstream(&data, &size);
    ~MemFile() {
        std::fclose(file);
        std::free(data);
    }
    std::string contents() {
        std::fflush(file);
        return std::string(data, size);
    }
};

TEST(FetchProgressBar, DrawsWithCarriageReturnsAndErasesOnFinish) {
    MemFile mem;
    ProgressBar bar(ProgressBar::Mode::always, mem.file, 61);
    ASSERT_TRUE(bar.enabled());
    bar.update({.done = 10'000'000, .elapsed_seconds = 1});
    std::string first = render_progress_line({.done = 10'000'000, .elapsed_seconds = 1}, 60);
    EXPECT_EQ(mem.contents(), "\r" + first);
    bar.update({.done = 10'000'001, .elapsed_seconds = 10});  // "1000000.1 req/s": one byte shorter
    std::string second = render_progress_line({.done = 10'000'001, .elapsed_seconds = 10}, 60);
    ASSERT_LT(second.size(), first.size());
    // The shorter line is padded with spaces over the old tail.
    EXPECT_EQ(mem.contents(), "\r" + first + "\r" + second + std::string(first.size() - second.size(), ' '));
    bar.finish();
    EXPECT_TRUE(mem.contents().ends_with(erased(second.size())));
    std::size_t before = mem.contents().size();
    bar.update({.done = 10'000'002, .elapsed_seconds = 20});
    bar.finish();
    EXPECT_EQ(mem.contents().size(), before);  // nothing after finish
    EXPECT_EQ(bar.redraws(), 2u);
}

TEST(FetchProgressBar, RedrawsAtMostTenTimesASecondOfTheRunsClock) {
    MemFile mem;
    ProgressBar bar(ProgressBar::Mode::always, mem.file, 80);
    for (int ms = 0; ms <= 1000; ++ms) {  // an update every millisecond for one second
        bar.update({.done = static_cast<std::uint64_t>(ms), .total = 5000, .elapsed_seconds = ms / 1000.0});
    }
    EXPECT_EQ(bar.redraws(), 11u);  // at 0, 0.1, ..., 1.0 s
    bar.update({.done = 5000, .total = 5000, .elapsed_seconds = 1.0005});
    EXPECT_EQ(bar.redraws(), 12u);  // the final state is always shown
    bar.update({.done = 5000, .total = 5000, .elapsed_seconds = 1.001});
    EXPECT_EQ(bar.redraws(), 12u);  // but only once
}

TEST(FetchProgressBar, NeverAndAutomaticOnAFileDrawNothing) {
    MemFile mem;
    {
        ProgressBar never(ProgressBar::Mode::never, mem.file, 80);
        EXPECT_FALSE(never.enabled());
        never.update({.done = 1, .total = 2, .elapsed_seconds = 1});
    }
    std::FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    {
        ProgressBar automatic(ProgressBar::Mode::automatic, file);  // a regular file is no terminal
        EXPECT_FALSE(automatic.enabled());
        automatic.update({.done = 1, .total = 2, .elapsed_seconds = 1});
        automatic.finish();
    }
    EXPECT_EQ(std::ftell(file), 0);
    std::fclose(file);
    EXPECT_EQ(mem.contents(), "");
}

TEST(FetchProgressBar, AutomaticOnATerminalDraws) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) GTEST_SKIP() << "no pseudo-terminals here";
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ASSERT_GE(slave, 0);
    std::FILE* tty = fdopen(slave, "w");
    ASSERT_NE(tty, nullptr);
    {
        ProgressBar bar(ProgressBar::Mode::automatic, tty, 40);
        EXPECT_TRUE(bar.enabled());
        bar.update({.done = 1, .total = 2, .elapsed_seconds = 1});
        EXPECT_EQ(bar.redraws(), 1u);
    }  // the destructor finishes (erases the line)
    const std::string line = render_progress_line({.done = 1, .total = 2, .elapsed_seconds = 1}, 39);
    const std::string expected = "\r" + line + erased(line.size());
    // The two writes (draw, erase) may arrive in separate reads: read until all is there, or
    // until nothing more comes for a second (then the comparison below fails).
    std::string seen;
    while (seen.size() < expected.size()) {
        pollfd pfd{master, POLLIN, 0};
        if (poll(&pfd, 1, 1000) != 1) break;
        char buf[256];
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) break;
        seen.append(buf, static_cast<std::size_t>(n));
    }
    std::fclose(tty);
    close(master);
    EXPECT_EQ(seen, expected);
}

TEST(FetchProgressBar, PrintGoesAboveTheBar) {
    MemFile mem;
    ProgressBar bar(ProgressBar::Mode::always, mem.file, 61);
    const ProgressState state{.done = 3, .total = 9, .errors = 1, .elapsed_seconds = 1};
    const std::string line = render_progress_line(state, 60);
    bar.update(state);
    bar.print("line 12: invalid URL");
    // Erase the bar, print the message on its own line, draw the bar again below it.
    EXPECT_EQ(mem.contents(), "\r" + line + erased(line.size()) + "line 12: invalid URL\n" + "\r" + line);
    bar.finish();
    bar.print("after finish");
    EXPECT_TRUE(mem.contents().ends_with(erased(line.size()) + "after finish\n"));

    MemFile quiet;
    ProgressBar never(ProgressBar::Mode::never, quiet.file, 80);
    never.print("a warning");  // printed even when no bar is drawn
    EXPECT_EQ(quiet.contents(), "a warning\n");
}

TEST(FetchProgressBar, ConcurrentUpdatesDrawWholeFrames) {
    MemFile mem;
    ProgressBar bar(ProgressBar::Mode::always, mem.file, 100);
    bar.update({.total = 100000});  // drawn before the printer starts, so every print erases first
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&bar, t] {
            for (int i = 0; i < 2000; ++i) {
                bar.update({.done = static_cast<std::uint64_t>(i),
                            .total = 100000,
                            .errors = 0,
                            .in_flight = static_cast<std::uint64_t>(t),
                            .elapsed_seconds = i / 1000.0});
            }
        });
    }
    std::thread printer([&bar] {
        for (int i = 0; i < 50; ++i) bar.print("warning");
    });
    for (auto& th : threads) th.join();
    printer.join();
    bar.finish();
    std::string out = mem.contents();
    // Every frame starts with '\r' and is a complete progress line (padded): no interleaving.
    std::size_t frames = 0;
    std::size_t warnings = 0;
    for (std::size_t pos = 0; pos < out.size();) {
        ASSERT_EQ(out[pos], '\r');
        std::size_t next = out.find('\r', pos + 1);
        std::string frame = out.substr(pos + 1, (next == std::string::npos ? out.size() : next) - pos - 1);
        if (frame == "warning\n") {
            ++warnings;
            pos = next == std::string::npos ? out.size() : next;
            continue;
        }
        EXPECT_LE(frame.size(), 99u);
        if (frame.find_first_not_of(' ') != std::string::npos) {
            EXPECT_TRUE(frame.starts_with("[")) << frame;
            ++frames;
        }
        pos = next == std::string::npos ? out.size() : next;
    }
    EXPECT_EQ(warnings, 50u);
    EXPECT_EQ(frames, bar.redraws());
    EXPECT_GE(frames, 20u);  // each thread alone would draw 20 times over its 2 s
}

}  // namespace
