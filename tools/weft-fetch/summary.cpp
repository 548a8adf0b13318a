#include "summary.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "text.hpp"

namespace weft_fetch {
namespace {

using weft::http::ErrorKind;

constexpr int kHistogramRows = 10;
constexpr std::size_t kBarWidth = 40;
constexpr std::size_t kLabelWidth = 15;
constexpr std::size_t kMaxMessage = 72;

// ANSI styling that is a no-op when color is off; applied after padding so widths stay right.
struct Style {
    bool on;
    std::string operator()(std::string_view s, const char* code) const {
        if (!on) return std::string(s);
        return std::string(code) + std::string(s) + "\x1b[0m";
    }
};
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kCyan = "\x1b[36m";

const char* status_color(int status) {
    if (status < 300) return kGreen;
    if (status < 400) return kCyan;
    if (status < 500) return kYellow;
    return kRed;
}

std::string percent_of(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return "-";
    return text::fixed(100.0 * static_cast<double>(part) / static_cast<double>(whole), 2) + "%";
}

// A message on one line, printable ASCII/UTF-8 only, at most kMaxMessage bytes (cut on a
// character boundary, marked with "...").
std::string one_line(std::string_view message) {
    std::string out;
    for (char c : message) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    if (out.size() > kMaxMessage) {
        std::size_t cut = kMaxMessage - 3;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        out += "...";
    }
    return out;
}

// Ten log-spaced rows from min to max latency, each labelled with its upper bound (ms):
//      0.251 ms [  1234] |########################################
std::vector<std::string> histogram_rows(const LatencyHistogram& latency) {
    std::vector<std::string> rows;
    if (latency.count() == 0) return rows;
    const double lo = latency.min();
    const double hi = latency.max();

    std::vector<double> upper;  // upper bound of each row, increasing; the last is max
    if (!(hi > lo) || !std::isfinite(hi)) {
        upper.push_back(hi);
    } else {
        const double base = lo > 0 ? lo : hi / 1e4;  // log spacing needs a positive start
        for (int i = 1; i < kHistogramRows; ++i)
            upper.push_back(base * std::pow(hi / base, double(i) / kHistogramRows));
        upper.push_back(hi);
    }

    std::vector<std::uint64_t> counts(upper.size(), 0);
    latency.for_each_bucket([&](double ms, std::uint64_t n) {
        auto row = std::lower_bound(upper.begin(), upper.end(), ms) - upper.begin();
        counts[std::min<std::size_t>(static_cast<std::size_t>(row), counts.size() - 1)] += n;
    });

    // Enough decimals that neighbouring labels differ (a narrow spread needs more than 3).
    std::vector<std::string> labels;
    for (int decimals = 3; decimals <= 6; ++decimals) {
        labels.clear();
        for (double u : upper) labels.push_back(text::fixed(u, decimals));
        bool distinct = std::adjacent_find(labels.begin(), labels.end()) == labels.end();
        if (distinct) break;
    }
    std::size_t label_width = 0;
    for (const auto& l : labels) label_width = std::max(label_width, l.size());
    const std::uint64_t most = *std::max_element(counts.begin(), counts.end());
    const std::size_t count_width = std::to_string(most).size();

    for (std::size_t i = 0; i < upper.size(); ++i) {
        std::size_t bar = 0;
        if (counts[i] != 0) {
            bar = static_cast<std::size_t>(
                std::llround(static_cast<double>(counts[i]) / static_cast<double>(most) * double(kBarWidth)));
            bar = std::max<std::size_t>(bar, 1);  // a non-empty row always shows
        }
        rows.push_back("  " + text::pad_left(labels[i], label_width) + " ms [" +
                       text::pad_left(std::to_string(counts[i]), count_width) + "] |" +
                       std::string(bar, '#'));
    }
    return rows;
}

}  // namespace

void Summary::add(const RequestRecord& rec) {
    bytes_ += rec.bytes;
    retries_ += rec.attempts > 1 ? rec.attempts - 1 : 0;
    if (rec.ok()) {
        ++ok_;
        ++by_status_[rec.status];
        latency_.record(rec.millis);
        return;
    }
    ++failed_;
    const auto kind = static_cast<std::size_t>(rec.error);  // < kKinds: any byte value
    ++by_error_[kind];
    if (error_examples_[kind].empty() && !rec.error_message.empty())
        error_examples_[kind] = rec.error_message;
}

std::uint64_t Summary::status_count(int status) const {
    auto it = by_status_.find(status);
    return it == by_status_.end() ? 0 : it->second;
}

std::uint64_t Summary::error_count(ErrorKind kind) const noexcept {
    auto i = static_cast<std::size_t>(kind);
    return (i == 0 || i >= kKinds) ? 0 : by_error_[i];
}

const std::string& Summary::error_example(ErrorKind kind) const noexcept {
    static const std::string kNone;
    auto i = static_cast<std::size_t>(kind);
    return (i == 0 || i >= kKinds) ? kNone : error_examples_[i];
}

std::string Summary::render(double elapsed_seconds, bool color) const {
    const Style style{color};
    const bool have_time = elapsed_seconds > 0 && std::isfinite(elapsed_seconds);
    auto rate = [&](double n) { return have_time ? n / elapsed_seconds : std::nan(""); };
    std::string out;
    auto line = [&](std::string_view s) {
        out += s;
        out += '\n';
    };
    auto field = [&](std::string_view label, std::string_view value) {
        line("  " + text::pad_right(label, kLabelWidth) + std::string(value));
    };

    line(style("Summary:", kBold));
    field("Elapsed:", have_time ? text::fixed(elapsed_seconds, 4) + " s" : "-");
    field("Requests:", std::to_string(total()));
    field("Succeeded:", std::to_string(ok_) + " (" + percent_of(ok_, total()) + ")");
    std::string failed = std::to_string(failed_) + " (" + percent_of(failed_, total()) + ")";
    field("Failed:", failed_ != 0 ? style(failed, kRed) : failed);
    if (retries_ != 0) field("Retries:", std::to_string(retries_));
    field("Requests/sec:", text::fixed(rate(static_cast<double>(total())), 2));
    field("Body bytes:", text::bytes(static_cast<double>(bytes_)));
    field("Bytes/sec:", have_time ? text::bytes(rate(static_cast<double>(bytes_))) + "/s" : "-");

    if (latency_.count() != 0) {
        line("");
        line(style("Latency (" + std::to_string(latency_.count()) + " successful requests):", kBold));
        const std::pair<const char*, double> stats[] = {
            {"p50", latency_.percentile(50)}, {"p90", latency_.percentile(90)},
            {"p99", latency_.percentile(99)}, {"max", latency_.max()},
            {"mean", latency_.mean()},
        };
        std::size_t width = 0;
        for (const auto& [name, ms] : stats) width = std::max(width, text::fixed(ms, 3).size());
        for (const auto& [name, ms] : stats) {
            line("  " + text::pad_right(name, 6) + text::pad_left(text::fixed(ms, 3), width) + " ms");
        }
        line("");
        line(style("Latency histogram:", kBold));
        for (const auto& row : histogram_rows(latency_)) line(row);
    }

    if (!by_status_.empty()) {
        line("");
        line(style("Status codes:", kBold));
        // One line per class ("2xx"), then its codes indented below it.
        std::map<int, std::uint64_t> by_class;
        for (const auto& [status, n] : by_status_) by_class[status / 100] += n;
        std::size_t count_width = 0;
        for (const auto& [c, n] : by_class) count_width = std::max(count_width, std::to_string(n).size());
        for (const auto& [cls, n] : by_class) {
            std::string name = cls == 0 ? "other" : std::to_string(cls) + "xx";
            const char* tint = status_color(cls * 100);
            line("  " + style(text::pad_right(name, 8), tint) +
                 text::pad_left(std::to_string(n), count_width));
            for (auto it = by_status_.lower_bound(cls * 100);
                 it != by_status_.end() && it->first / 100 == cls; ++it) {
                line("    " + text::pad_right(std::to_string(it->first), 6) +
                     text::pad_left(std::to_string(it->second), count_width));
            }
        }
    }

    if (failed_ != 0) {
        line("");
        line(style("Errors:", kBold));
        std::vector<std::size_t> kinds;
        for (std::size_t k = 1; k < kKinds; ++k)
            if (by_error_[k] != 0) kinds.push_back(k);
        std::stable_sort(kinds.begin(), kinds.end(),
                         [&](std::size_t a, std::size_t b) { return by_error_[a] > by_error_[b]; });
        std::size_t count_width = std::to_string(by_error_[kinds.front()]).size();
        for (std::size_t k : kinds) {
            std::string name(weft::http::to_string(static_cast<ErrorKind>(k)));
            std::string row = "  " + style(text::pad_right(name, kLabelWidth + 1), kRed) +
                              text::pad_left(std::to_string(by_error_[k]), count_width);
            if (!error_examples_[k].empty()) row += "  e.g. " + one_line(error_examples_[k]);
            line(row);
        }
    }
    return out;
}

}  // namespace weft_fetch
