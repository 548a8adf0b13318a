#include "summary.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

using weft::http::ErrorKind;
using weft_fetch::RequestRecord;
using weft_fetch::Summary;

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The lines after the heading `heading` up to the next blank line.
std::vector<std::string> section(const std::string& report, const std::string& heading) {
    auto lines = lines_of(report);
    std::vector<std::string> out;
    bool in = false;
    for (const auto& l : lines) {
        if (in && l.empty()) break;
        if (in) out.push_back(l);
        if (l == heading) in = true;
    }
    return out;
}

bool contains_line(const std::string& report, const std::string& line) {
    for (const auto& l : lines_of(report))
        if (l == line) return true;
    return false;
}

RequestRecord ok(int status, double ms, std::uint64_t bytes = 100) {
    return {.url = "http://h/", .status = status, .bytes = bytes, .millis = ms};
}
RequestRecord fail(ErrorKind kind, std::string message, double ms = 5000) {
    return {.url = "http://h/", .millis = ms, .error = kind, .error_message = std::move(message)};
}

// 100 requests: 90 x 200 (1..90 ms), 5 x 404, 2 x 503, 2 timeouts, 1 refused (after 2 retries).
Summary fixed_run() {
    Summary s;
    for (int i = 1; i <= 90; ++i) s.add(ok(200, i, 1024));
    for (int i = 0; i < 5; ++i) s.add(ok(404, 100, 10));
    for (int i = 0; i < 2; ++i) s.add(ok(503, 200, 0));
    s.add(fail(ErrorKind::timeout, "request timed out after 5 s"));
    s.add(fail(ErrorKind::timeout, "a second message is not kept"));
    auto refused = fail(ErrorKind::connect_refused, "connect: Connection refused", 1);
    refused.attempts = 3;
    s.add(refused);
    return s;
}

TEST(FetchSummary, CountsAndExitCode) {
    Summary s = fixed_run();
    EXPECT_EQ(s.total(), 100u);
    EXPECT_EQ(s.succeeded(), 97u);
    EXPECT_EQ(s.failed(), 3u);
    EXPECT_EQ(s.body_bytes(), 90u * 1024 + 50);
    EXPECT_EQ(s.retries(), 2u);
    EXPECT_EQ(s.status_count(200), 90u);
    EXPECT_EQ(s.status_count(404), 5u);
    EXPECT_EQ(s.status_count(503), 2u);
    EXPECT_EQ(s.status_count(500), 0u);
    EXPECT_EQ(s.error_count(ErrorKind::timeout), 2u);
    EXPECT_EQ(s.error_count(ErrorKind::connect_refused), 1u);
    EXPECT_EQ(s.error_count(ErrorKind::none), 0u);
    EXPECT_EQ(s.error_example(ErrorKind::timeout), "request timed out after 5 s");
    EXPECT_EQ(s.error_example(ErrorKind::dns), "");
    EXPECT_EQ(s.latency().count(), 97u);  // only successful requests are timed
    EXPECT_EQ(s.exit_code(), 1);
}

TEST(FetchSummary, EveryErrorKindHasItsOwnRow) {
    Summary s;
    const int last = static_cast<int>(ErrorKind::invalid_request);
    // (Messages built with +=: GCC 12 -O3 warns falsely, -Wrestrict, on "m" + std::to_string(k).)
    auto message = [](int k) {
        std::string m = "m";
        m += std::to_string(k);
        return m;
    };
    for (int k = 1; k <= last; ++k) {
        for (int n = 0; n < k; ++n) s.add(fail(static_cast<ErrorKind>(k), message(k)));
    }
    auto rows = section(s.render(1.0), "Errors:");
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(last));
    for (int k = last; k >= 1; --k) {  // most frequent first
        auto kind = static_cast<ErrorKind>(k);
        EXPECT_EQ(s.error_count(kind), static_cast<std::uint64_t>(k));
        const std::string& row = rows[static_cast<std::size_t>(last - k)];
        std::string name = "  ";
        name += weft::http::to_string(kind);
        name += ' ';
        EXPECT_TRUE(row.starts_with(name)) << row;
        EXPECT_TRUE(row.ends_with(" e.g. " + message(k))) << row;
    }
}

TEST(FetchSummary, ExitCodeIsZeroWhenAllSucceededWhateverTheStatus) {
    Summary s;
    EXPECT_EQ(s.exit_code(), 0);  // nothing ran, nothing failed
    s.add(ok(200, 1));
    s.add(ok(404, 1));
    s.add(ok(500, 1));
    EXPECT_EQ(s.exit_code(), 0);
    s.add(fail(ErrorKind::cancelled, ""));
    EXPECT_EQ(s.exit_code(), 1);
}

TEST(FetchSummary, RenderTotalsAndRates) {
    std::string report = fixed_run().render(2.0);
    SCOPED_TRACE(report);
    EXPECT_EQ(lines_of(report).front(), "Summary:");
    EXPECT_TRUE(contains_line(report, "  Elapsed:       2.0000 s"));
    EXPECT_TRUE(contains_line(report, "  Requests:      100"));
    EXPECT_TRUE(contains_line(report, "  Succeeded:     97 (97.00%)"));
    EXPECT_TRUE(contains_line(report, "  Failed:        3 (3.00%)"));
    EXPECT_TRUE(contains_line(report, "  Retries:       2"));
    EXPECT_TRUE(contains_line(report, "  Requests/sec:  50.00"));
    EXPECT_TRUE(contains_line(report, "  Body bytes:    90.05 KiB"));    // 92210 B
    EXPECT_TRUE(contains_line(report, "  Bytes/sec:     45.02 KiB/s"));  // 46105 B/s
    EXPECT_EQ(report.find("\x1b["), std::string::npos);                  // no color unless asked
}

TEST(FetchSummary, RenderLatencyPercentilesAligned) {
    std::string report = fixed_run().render(2.0);
    SCOPED_TRACE(report);
    auto rows = section(report, "Latency (97 successful requests):");
    ASSERT_EQ(rows.size(), 5u);
    // 97 values: 1..90 ms, 5 x 100 ms, 2 x 200 ms. p50 = rank 49 -> 49 ms; p90 = rank 88 -> 88 ms;
    // p99 = rank 97 -> 200 ms. Percentiles are within 0.8% of these.
    auto value_of = [](const std::string& row) { return std::stod(row.substr(8)); };
    EXPECT_EQ(rows[0].substr(0, 8), "  p50   ");
    EXPECT_NEAR(value_of(rows[0]), 49, 49 / 128.0);
    EXPECT_EQ(rows[1].substr(0, 8), "  p90   ");
    EXPECT_NEAR(value_of(rows[1]), 88, 88 / 128.0);
    EXPECT_EQ(rows[2].substr(0, 8), "  p99   ");
    EXPECT_NEAR(value_of(rows[2]), 200, 200 / 128.0);
    EXPECT_EQ(rows[3], "  max   200.000 ms");
    EXPECT_EQ(rows[4].substr(0, 8), "  mean  ");
    EXPECT_NEAR(value_of(rows[4]), (90 * 91 / 2 + 500 + 400) / 97.0, 1e-3);
    for (const auto& r : rows) {
        EXPECT_EQ(r.size(), rows[3].size()) << r;  // right-aligned numbers: all rows as wide
        EXPECT_TRUE(r.ends_with(" ms")) << r;
    }
}

TEST(FetchSummary, RenderHistogramRowsAreLogSpacedAndCountEverything) {
    std::string report = fixed_run().render(2.0);
    SCOPED_TRACE(report);
    auto rows = section(report, "Latency histogram:");
    ASSERT_EQ(rows.size(), 10u);
    std::uint64_t total = 0;
    double last_bound = 0;
    std::size_t bar_column = std::string::npos;
    std::size_t longest_bar = 0;
    for (const auto& r : rows) {
        // "  <bound> ms [<count>] |<bar>"
        auto open = r.find('[');
        auto close = r.find(']');
        auto bar = r.find('|');
        ASSERT_NE(open, std::string::npos) << r;
        ASSERT_EQ(r.substr(open - 4, 4), " ms ") << r;
        double bound = std::stod(r.substr(0, open - 4));
        EXPECT_GT(bound, last_bound);
        last_bound = bound;
        std::uint64_t count = std::stoull(r.substr(open + 1, close - open - 1));
        total += count;
        if (bar_column == std::string::npos) bar_column = bar;
        EXPECT_EQ(bar, bar_column) << "bars start in one column: " << r;
        std::size_t bar_length = r.size() - bar - 1;
        EXPECT_EQ(bar_length == 0, count == 0) << r;
        EXPECT_EQ(r.substr(bar + 1), std::string(bar_length, '#'));
        longest_bar = std::max(longest_bar, bar_length);
    }
    EXPECT_EQ(total, 97u);
    EXPECT_EQ(longest_bar, 40u);
    EXPECT_NEAR(last_bound, 200.0, 1e-9);                           // the last row ends at max
    EXPECT_TRUE(rows[0].starts_with("    1.699 ms [")) << rows[0];  // 1 * 200^(1/10)
}

TEST(FetchSummary, RenderStatusCodesByClassThenCode) {
    std::string report = fixed_run().render(2.0);
    SCOPED_TRACE(report);
    auto rows = section(report, "Status codes:");
    EXPECT_EQ(rows, (std::vector<std::string>{
                        "  2xx     90",
                        "    200   90",
                        "  4xx      5",
                        "    404    5",
                        "  5xx      2",
                        "    503    2",
                    }));
}

TEST(FetchSummary, RenderErrorsMostFrequentFirstWithAnExample) {
    std::string report = fixed_run().render(2.0);
    SCOPED_TRACE(report);
    auto rows = section(report, "Errors:");
    EXPECT_EQ(rows, (std::vector<std::string>{
                        "  timeout         2  e.g. request timed out after 5 s",
                        "  connect_refused 1  e.g. connect: Connection refused",
                    }));
}

TEST(FetchSummary, ErrorExamplesAreKeptOnOneShortLine) {
    Summary s;
    s.add(fail(ErrorKind::protocol, "bad\nheader\r\tline " + std::string(200, 'x')));
    s.add(fail(ErrorKind::tls, ""));  // no message: no example
    std::string report = s.render(1.0);
    SCOPED_TRACE(report);
    auto rows = section(report, "Errors:");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], "  tls             1");  // equal counts: in ErrorKind order
    EXPECT_TRUE(rows[1].starts_with("  protocol        1  e.g. bad header  line xxx")) << rows[1];
    EXPECT_TRUE(rows[1].ends_with("x...")) << rows[1];
    EXPECT_EQ(rows[1].size(), std::string("  protocol        1  e.g. ").size() + 72);
}

TEST(FetchSummary, LongExampleIsCutOnACharacterBoundary) {
    Summary s;
    s.add(fail(ErrorKind::io, std::string(68, 'a') + "\xC3\xA9\xC3\xA9\xC3\xA9"));  // 74 bytes, cut at 69
    auto rows = section(s.render(1.0), "Errors:");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], "  io              1  e.g. " + std::string(68, 'a') + "...");
}

TEST(FetchSummary, EmptyRunAndUnknownElapsed) {
    std::string report = Summary{}.render(0);
    SCOPED_TRACE(report);
    EXPECT_TRUE(contains_line(report, "  Requests:      0"));
    EXPECT_TRUE(contains_line(report, "  Succeeded:     0 (-)"));
    EXPECT_TRUE(contains_line(report, "  Elapsed:       -"));
    EXPECT_TRUE(contains_line(report, "  Requests/sec:  -"));
    EXPECT_TRUE(contains_line(report, "  Bytes/sec:     -"));
    EXPECT_EQ(report.find("Latency"), std::string::npos);
    EXPECT_EQ(report.find("Status codes"), std::string::npos);
    EXPECT_EQ(report.find("Errors"), std::string::npos);
}

TEST(FetchSummary, HistogramOfIdenticalLatenciesIsOneRow) {
    Summary s;
    for (int i = 0; i < 3; ++i) s.add(ok(200, 2.5));
    auto rows = section(s.render(1.0), "Latency histogram:");
    EXPECT_EQ(rows, (std::vector<std::string>{"  2.500 ms [3] |########################################"}));
}

TEST(FetchSummary, HistogramOfANarrowSpreadUsesMoreDecimals) {
    Summary s;
    for (int i = 0; i < 100; ++i) s.add(ok(200, 1.0 + i * 0.00002));  // 1.000 .. 1.002 ms
    auto rows = section(s.render(1.0), "Latency histogram:");
    ASSERT_EQ(rows.size(), 10u);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        EXPECT_NE(rows[i].substr(0, rows[i].find('[')), rows[i - 1].substr(0, rows[i - 1].find('[')));
    }
}

TEST(FetchSummary, ColorWrapsHeadingsAndKeepsTheText) {
    Summary s = fixed_run();
    std::string plain = s.render(2.0, false);
    std::string colored = s.render(2.0, true);
    EXPECT_NE(colored.find("\x1b[1mSummary:\x1b[0m"), std::string::npos);
    EXPECT_NE(colored.find("\x1b[31m3 (3.00%)\x1b[0m"), std::string::npos);
    // Stripping the escapes gives the plain report back: alignment does not depend on color.
    std::string stripped;
    for (std::size_t i = 0; i < colored.size(); ++i) {
        if (colored[i] == '\x1b') {
            i = colored.find('m', i);
            continue;
        }
        stripped += colored[i];
    }
    EXPECT_EQ(stripped, plain);
}

}  // namespace
