// weft-fetch: fetch many URLs concurrently and report every result.
//
//     weft-fetch -c 100 --timeout 5 https://example.com/a https://example.com/b
//     weft-fetch -i urls.txt --rate 200/s --retries 2 -o results.jsonl
//     weft-fetch bench http://127.0.0.1:8080/ -n 100000 -c 64
//     weft-fetch demo                    # the bundled server, 10,000 requests
//
// Exit status: 0 when every request got a response, 1 when some failed, 2 for usage errors,
// 130 when interrupted by Ctrl-C (the partial summary is printed).

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>
#include <weft/http/demo_server.hpp>
#include <weft/weft.hpp>

#include "demo.hpp"
#include "fetch.hpp"
#include "input.hpp"
#include "progress.hpp"

namespace {

using namespace std::chrono_literals;
using weft_fetch::FetchConfig;

constexpr int exit_usage = 2;
constexpr int exit_interrupted = 130;

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Everything the command line says.
struct Cli {
    FetchConfig config;
    std::vector<std::string> urls;
    std::string input;
    std::string output;
    std::string progress = "auto";
    bool quiet = false;
    double timeout_s = 30;
    double connect_timeout_s = 10;
    std::string rate;
    std::vector<std::string> headers;
    std::string data;
    std::string save_dir;
    // bench
    std::string bench_url;
    std::uint64_t bench_requests = 0;
    double bench_seconds = 0;
    // demo
    std::size_t demo_requests = 10'000;
};

/// "200", "200/s", "6000/m", "100/min", "3600/h" -> requests per second.
double parse_rate(const std::string& text) {
    std::size_t used = 0;
    double n = 0;
    try {
        n = std::stod(text, &used);
    } catch (const std::exception&) {
        throw UsageError("--rate: expected a number of requests per second like 200 or 200/s, got '" + text +
                         "'");
    }
    std::string unit = text.substr(used);
    double per = 1;
    if (unit.empty() || unit == "/s" || unit == "/sec")
        per = 1;
    else if (unit == "/m" || unit == "/min")
        per = 60;
    else if (unit == "/h")
        per = 3600;
    else
        throw UsageError("--rate: unknown unit '" + unit + "' (use /s, /m or /h)");
    if (!(n > 0) || !std::isfinite(n)) throw UsageError("--rate must be positive");
    return n / per;
}

std::pair<std::string, std::string> parse_header(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw UsageError("-H: expected 'Name: value', got '" + text + "'");
    auto trim = [](std::string s) {
        auto b = s.find_first_not_of(" \t");
        auto e = s.find_last_not_of(" \t");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    return {trim(text.substr(0, colon)), trim(text.substr(colon + 1))};
}

std::chrono::milliseconds seconds_option(double s, const char* name) {
    if (!(s > 0) || !std::isfinite(s))
        throw UsageError(std::string(name) + " must be a positive number of seconds");
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(s * 1000)));
}

/// Turns the parsed strings into the run's configuration (throws UsageError).
void finish_config(Cli& cli) {
    auto& c = cli.config;
    if (c.concurrency == 0) throw UsageError("-c/--concurrency must be at least 1");
    c.timeout = seconds_option(cli.timeout_s, "--timeout");
    c.connect_timeout = seconds_option(cli.connect_timeout_s, "--connect-timeout");
    if (!cli.rate.empty()) c.rate = parse_rate(cli.rate);
    for (auto& h : cli.headers) c.headers.push_back(parse_header(h));
    if (!cli.data.empty()) {
        if (cli.data[0] == '@') {
            std::ifstream in(cli.data.substr(1), std::ios::binary);
            if (!in) throw UsageError("--data: cannot read " + cli.data.substr(1));
            std::stringstream ss;
            ss << in.rdbuf();
            c.data = ss.str();
        } else {
            c.data = cli.data;
        }
        if (c.method == "GET") c.method = "POST";  // as curl does
    }
    if (!cli.save_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(cli.save_dir, ec);
        if (ec) throw UsageError("--save: cannot create " + cli.save_dir + ": " + ec.message());
        c.save_dir = cli.save_dir;
    }
    if (c.threads == 0) c.threads = 1;
}

void add_common_options(CLI::App& app, Cli& cli) {
    app.add_option("-c,--concurrency", cli.config.concurrency, "Requests in flight at once")
        ->capture_default_str();
    app.add_option("--per-host", cli.config.per_host, "Connections per host (default: the concurrency)");
    app.add_option("--timeout", cli.timeout_s, "Seconds for a whole request")->capture_default_str();
    app.add_option("--connect-timeout", cli.connect_timeout_s, "Seconds to connect (DNS, TCP, TLS)")
        ->capture_default_str();
    app.add_option("--rate", cli.rate, "Start at most this many requests per second (200, 200/s, 6000/m)");
    app.add_option("--retries", cli.config.retries,
                   "Retries of a request that timed out, was refused or reset, or got 429/502/503/504 "
                   "(exponential backoff with jitter)")
        ->capture_default_str();
    app.add_option("-X,--method", cli.config.method, "HTTP method")->capture_default_str();
    app.add_option("-H,--header", cli.headers, "Extra request header 'Name: value' (repeatable)");
    app.add_option("--data", cli.data, "Request body (@file reads a file); implies POST unless -X");
    app.add_flag("--new-connection", cli.config.new_connection,
                 "A new connection for every request (default: keep-alive)");
    app.add_flag("-k,--insecure", cli.config.insecure, "Do not verify TLS certificates (dangerous)");
    app.add_option("--save", cli.save_dir, "Save response bodies into this directory");
    app.add_option("--max-body", cli.config.max_body, "Largest response body accepted, in bytes")
        ->capture_default_str();
    app.add_option("-o,--output", cli.output, "Write one JSON line per request to this file (- = stdout)");
    app.add_option("--progress", cli.progress, "Progress bar on stderr")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    app.add_flag("-q,--quiet", cli.quiet, "Print nothing (no progress, no summary); see the exit status");
    app.add_option("--threads", cli.config.threads, "Runtime worker threads (1 = current-thread runtime)")
        ->capture_default_str();
}

weft::Runtime make_runtime(std::size_t threads) {
    if (threads <= 1) return weft::Runtime::Builder::current_thread().build();
    return weft::Runtime::Builder::multi_thread().worker_threads(threads).build();
}

/// Watches for Ctrl-C: the first cancels the run (in-flight requests end as cancelled, the
/// partial summary is printed), a second one exits at once.
weft::Task<> watch_ctrl_c(weft::sync::CancellationToken stop, std::atomic<bool>* interrupted) {
    co_await weft::signal::ctrl_c();
    interrupted->store(true);
    stop.cancel();
    co_await weft::signal::ctrl_c();
    std::_Exit(exit_interrupted);
}

enum class Mode { list, bench, demo };

int run(Cli& cli, Mode mode) {
    finish_config(cli);
    if (mode == Mode::demo) {
        cli.config.timeout = 2s;
        cli.config.connect_timeout = 1s;
    }

    std::FILE* json = nullptr;
    bool json_is_stdout = cli.output == "-";
    if (!cli.output.empty()) {
        json = json_is_stdout ? stdout : std::fopen(cli.output.c_str(), "w");
        if (!json) throw UsageError("-o: cannot open " + cli.output + " for writing");
    }
    std::FILE* report = json_is_stdout ? stderr : stdout;

    auto progress_mode = cli.quiet                  ? weft_fetch::ProgressBar::Mode::never
                         : cli.progress == "always" ? weft_fetch::ProgressBar::Mode::always
                         : cli.progress == "never"  ? weft_fetch::ProgressBar::Mode::never
                                                    : weft_fetch::ProgressBar::Mode::automatic;
    weft_fetch::ProgressBar progress(progress_mode, stderr);

    // Inputs, before the runtime starts: usage errors should not wait for anything.
    std::vector<std::string> urls;
    std::shared_ptr<weft_fetch::LineReader> reader;
    std::unique_ptr<weft::http::DemoServer> server;
    std::uint64_t deliberate_failures = 0;
    if (mode == Mode::list) {
        std::string input = cli.input;
        if (input.empty() && cli.urls.size() == 1 && cli.urls[0] == "-") input = "-";
        if (!input.empty()) {
            auto opened = input == "-"
                              ? weft::Result<weft_fetch::LineReader>(weft_fetch::LineReader(STDIN_FILENO))
                              : weft_fetch::LineReader::open(input);
            if (!opened) throw UsageError("--input: cannot read " + input + ": " + opened.error().message());
            reader = std::make_shared<weft_fetch::LineReader>(std::move(*opened));
        } else if (cli.urls.empty()) {
            throw UsageError("no URLs: give them as arguments, or --input FILE (- for stdin)");
        } else {
            urls = cli.urls;
        }
    } else if (mode == Mode::demo) {
        auto started = weft::http::DemoServer::start();
        if (!started) {
            std::fprintf(stderr, "weft-fetch demo: cannot start the bundled server: %s\n",
                         started.error().message().c_str());
            return 1;
        }
        server = std::move(*started);
        urls = weft_fetch::demo_urls(cli.demo_requests, server->port(), weft_fetch::find_closed_port());
        deliberate_failures = weft_fetch::demo_deliberate_failures(urls.size());
        if (!cli.quiet)
            std::fprintf(
                report,
                "weft-fetch demo: %zu requests to the bundled server at %s "
                "(concurrency %zu, timeout %.0f s, some slow, some missing, a few refused or timing out)\n",
                urls.size(), server->url("/").c_str(), cli.config.concurrency,
                std::chrono::duration<double>(cli.config.timeout).count());
    }

    std::uint64_t total = mode == Mode::bench ? cli.bench_requests : urls.size();
    weft_fetch::Reporter reporter(progress.enabled() ? &progress : nullptr, json, total);
    std::atomic<bool> interrupted{false};
    weft::sync::CancellationToken stop;
    {
        auto rt = make_runtime(cli.config.threads);
        auto body = [&]() -> weft::Task<> {
            auto watcher = weft::spawn(watch_ctrl_c(stop, &interrupted), "ctrl_c");
            if (mode == Mode::bench) {
                weft_fetch::LoadPlan plan{
                    cli.bench_url, cli.bench_requests,
                    std::chrono::milliseconds(static_cast<std::int64_t>(cli.bench_seconds * 1000))};
                auto loading = weft_fetch::run_load(std::move(plan), cli.config, reporter, stop);
                co_await std::move(loading);
            } else {
                auto targets =
                    reader ? weft_fetch::targets_from(reader, stop) : weft_fetch::targets_from(urls);
                auto fetching = weft_fetch::run_list(std::move(targets), cli.config, reporter, stop);
                co_await std::move(fetching);
            }
            watcher.abort();
            (void)co_await watcher;
        };
        rt.block_on(body());
    }
    progress.finish();
    if (json) {
        std::fflush(json);
        if (!json_is_stdout) std::fclose(json);
    }
    if (!cli.quiet) {
        std::string text = reporter.summary().render(reporter.elapsed_seconds());
        std::fputs(text.c_str(), report);
        if (server)
            std::fprintf(report, "\nbundled server: %llu connections accepted, %llu responses sent\n",
                         static_cast<unsigned long long>(server->connections_accepted()),
                         static_cast<unsigned long long>(server->requests_served()));
        if (interrupted.load()) std::fputs("\ninterrupted: the summary above is partial\n", report);
        std::fflush(report);
    }
    if (interrupted.load()) return exit_interrupted;
    if (mode == Mode::demo) {
        // The demo's failures are part of its mix: it succeeds when exactly those failed.
        const auto& summary = reporter.summary();
        bool as_planned = summary.total() == urls.size() && summary.failed() == deliberate_failures;
        if (!as_planned && !cli.quiet)
            std::fprintf(report, "\ndemo: expected %llu deliberate failures, got %llu\n",
                         static_cast<unsigned long long>(deliberate_failures),
                         static_cast<unsigned long long>(summary.failed()));
        return as_planned ? 0 : 1;
    }
    return reporter.summary().exit_code();
}

}  // namespace

int main(int argc, char** argv) {
    Cli cli;
    CLI::App app{"weft-fetch: fetch many URLs concurrently, with per-request results and a summary"};
    app.set_version_flag("--version", "weft-fetch 0.1");
    add_common_options(app, cli);
    app.add_option("urls", cli.urls, "URLs, or 'host port path' lines via --input; '-' reads stdin");
    app.add_option("-i,--input", cli.input, "Read targets from this file, one per line (- = stdin)");

    auto* bench = app.add_subcommand("bench", "Load mode: one URL, back to back over keep-alive connections");
    bench->add_option("url", cli.bench_url, "The URL to load")->required();
    auto* n = bench->add_option("-n,--requests", cli.bench_requests, "Number of requests");
    bench->add_option("-d,--duration", cli.bench_seconds, "Seconds to run")->excludes(n);
    add_common_options(*bench, cli);

    auto* demo = app.add_subcommand("demo", "Fetch a mix of 10,000 requests from the bundled local server");
    demo->add_option("-n,--requests", cli.demo_requests, "Number of requests")->capture_default_str();
    add_common_options(*demo, cli);
    cli.config.concurrency = 50;

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return exit_usage;
    }

    Mode mode = Mode::list;
    if (bench->parsed()) {
        mode = Mode::bench;
        if (cli.bench_requests == 0 && !(cli.bench_seconds > 0)) cli.bench_seconds = 10;
    } else if (demo->parsed()) {
        mode = Mode::demo;
        if (demo->count("-c") == 0 && demo->count("--concurrency") == 0) cli.config.concurrency = 100;
    }
    try {
        return run(cli, mode);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "weft-fetch: %s\n", e.what());
        return exit_usage;
    }
}
