#pragma once

// The fetch loops of weft-fetch: list mode (many URLs, bounded concurrency, per-request results)
// and load mode (one URL over and over on keep-alive connections), both reporting every
// finished request to a `Reporter`.
//
//     weft_fetch::FetchConfig config;
//     config.concurrency = 100;
//     weft_fetch::Reporter reporter(progress, json_out, /*total=*/urls.size());
//     weft::sync::CancellationToken stop;                       // Ctrl-C cancels it
//     co_await weft_fetch::run_list(weft_fetch::targets_from(urls), config, reporter, stop);
//     std::fputs(reporter.summary().render(reporter.elapsed_seconds()).c_str(), stdout);

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <weft/http/client.hpp>
#include <weft/stream/stream.hpp>
#include <weft/sync/cancellation_token.hpp>

#include "input.hpp"
#include "progress.hpp"
#include "record.hpp"
#include "summary.hpp"

namespace weft_fetch {

/// What every request of a run shares: the options of the command line.
struct FetchConfig {
    std::size_t concurrency = 50;  ///< requests in flight at once
    std::size_t per_host = 0;      ///< connections per origin; 0 = `concurrency`
    std::chrono::milliseconds timeout{30'000};
    std::chrono::milliseconds connect_timeout{10'000};
    double rate = 0;  ///< requests started per second, all hosts together; 0 = unlimited
    unsigned retries = 0;
    std::string method = "GET";
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> data;  ///< request body
    bool new_connection = false;      ///< one connection per request (Connection: close)
    bool insecure = false;
    std::optional<std::filesystem::path> save_dir;  ///< bodies of successful responses
    std::uint64_t max_body = 64ull << 20;           ///< per response; more is `too_large`
    std::size_t threads = 1;                        ///< runtime workers; >1 spreads requests over them

    weft::http::ClientOptions client_options() const;
};

/// Collects finished requests: the summary, the progress bar and the JSON lines output.
/// Thread-safe (load mode reports from several workers).
class Reporter {
public:
    /// `progress` and `json` may be null; `total` 0 = unknown.
    Reporter(ProgressBar* progress, std::FILE* json, std::uint64_t total);

    void started() noexcept;
    void finished(const RequestRecord& record);
    /// Redraws the progress bar (it throttles itself).
    void tick();
    /// Whether there is a progress bar to keep redrawing while nothing finishes.
    bool draws_progress() const noexcept { return progress_ != nullptr; }

    const Summary& summary() const noexcept { return summary_; }
    double elapsed_seconds() const;
    std::uint64_t done() const;
    void set_total(std::uint64_t total);

private:
    ProgressState state_locked() const;

    mutable std::mutex mutex_;
    ProgressBar* progress_;
    std::FILE* json_;
    Summary summary_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    std::uint64_t errors_ = 0;
    std::uint64_t in_flight_ = 0;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// A target as read from the input: a normalized URL, or why the line is not one.
struct Target {
    std::uint64_t index = 0;        ///< 0-based position among the targets
    weft::Result<std::string> url;  ///< normalized URL or the parse error
    std::string text;               ///< the input line (for error records)
};

/// The targets among `lines` (URLs or `host port path`; blank lines and comments skipped).
weft::Stream<Target> targets_from(std::vector<std::string> lines);
/// The targets of a file or stdin ("-"), read on the blocking pool in batches, so memory
/// stays flat however long the input. Stops early once `stop` is cancelled.
weft::Stream<Target> targets_from(std::shared_ptr<LineReader> reader, weft::sync::CancellationToken stop);

/// Fetches every target with at most `concurrency` in flight; each finished request goes to
/// `reporter`. Returns when all are done, or soon after `stop` is cancelled (requests in flight
/// then end as `cancelled`, and no further target is read).
weft::Task<> run_list(weft::Stream<Target> targets, FetchConfig config, Reporter& reporter,
                      weft::sync::CancellationToken stop);

/// Load mode: `concurrency` workers send `config.method` to `url` back to back over
/// keep-alive connections, until `requests` have been sent (if non-zero) or `duration` has
/// passed (if non-zero), or `stop` is cancelled.
struct LoadPlan {
    std::string url;
    std::uint64_t requests = 0;
    std::chrono::milliseconds duration{0};
};
weft::Task<> run_load(LoadPlan plan, FetchConfig config, Reporter& reporter,
                      weft::sync::CancellationToken stop);

}  // namespace weft_fetch
