#pragma once

// The report weft-fetch prints at the end of a run (and on Ctrl-C, for the part that ran).

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <type_traits>

#include "latency_histogram.hpp"
#include "record.hpp"

namespace weft_fetch {

/// Aggregates request records in bounded memory (counters, one example message per error kind
/// and a LatencyHistogram) and renders them as an aligned text report: totals, throughput,
/// latency percentiles of the successful requests, a small latency histogram, responses by
/// status code and failures by error kind.
///
/// A request is counted either under its status code (when it succeeded: any status is a
/// response) or under its error kind (when it failed), never both, so those two tables add up
/// to the total. Not synchronized: one owner adds (e.g. the task that collects results).
///
///     weft_fetch::Summary summary;
///     summary.add(record);                       // for each finished request
///     std::fputs(summary.render(elapsed_seconds).c_str(), stdout);
///     return summary.exit_code();                // 0: all succeeded, 1: some failed
class Summary {
public:
    /// Counts one finished request.
    void add(const RequestRecord& rec);

    /// The report; `elapsed_seconds` is the run's wall time (for the rates; <= 0 prints "-").
    /// With `color`, headings are bold and statuses and errors are colored with ANSI escapes
    /// (only for terminals); column alignment is the same either way.
    std::string render(double elapsed_seconds, bool color = false) const;

    /// The process exit status weft-fetch uses: 0 when every request succeeded (including
    /// when there were none), 1 when some failed.
    int exit_code() const noexcept { return failed_ == 0 ? 0 : 1; }

    std::uint64_t total() const noexcept { return ok_ + failed_; }
    std::uint64_t succeeded() const noexcept { return ok_; }
    std::uint64_t failed() const noexcept { return failed_; }
    /// Body bytes received, by all requests (a failed request counts what it got).
    std::uint64_t body_bytes() const noexcept { return bytes_; }
    /// Extra attempts made by retries, over all requests.
    std::uint64_t retries() const noexcept { return retries_; }
    /// Successful requests answered with `status`.
    std::uint64_t status_count(int status) const;
    /// Failed requests that ended with `kind` (`ErrorKind::none`: 0).
    std::uint64_t error_count(weft::http::ErrorKind kind) const noexcept;
    /// The first message seen for `kind`, or "" when none.
    const std::string& error_example(weft::http::ErrorKind kind) const noexcept;
    /// Latencies of the successful requests.
    const LatencyHistogram& latency() const noexcept { return latency_; }

private:
    // One slot per value of the enum's byte, so that kinds added later get their own rows too.
    static constexpr std::size_t kKinds =
        std::size_t{std::numeric_limits<std::underlying_type_t<weft::http::ErrorKind>>::max()} + 1;

    std::uint64_t ok_ = 0;
    std::uint64_t failed_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t retries_ = 0;
    std::map<int, std::uint64_t> by_status_;
    std::array<std::uint64_t, kKinds> by_error_{};
    std::array<std::string, kKinds> error_examples_{};
    LatencyHistogram latency_;
};

}  // namespace weft_fetch
