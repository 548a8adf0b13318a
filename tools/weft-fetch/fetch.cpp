#include "fetch.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <weft/combinator/select.hpp>
#include <weft/ratelimit/rate_limiter.hpp>
#include <weft/runtime/blocking/spawn_blocking.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/stream/adapters.hpp>
#include <weft/time/sleep.hpp>

#include "json_lines.hpp"

namespace weft_fetch {

using namespace std::chrono_literals;
using weft::http::ErrorKind;

weft::http::ClientOptions FetchConfig::client_options() const {
    weft::http::ClientOptions o;
    o.connect_timeout = connect_timeout;
    o.timeout = timeout;
    o.max_connections_per_host = per_host ? per_host : std::max<std::size_t>(concurrency, 1);
    o.keep_alive = !new_connection;
    // Room for every connection in flight to stay pooled; a list spread over many hosts still
    // keeps at most this many sockets open beyond those in use.
    o.max_idle_connections = std::max<std::size_t>(concurrency, 256);
    o.insecure = insecure;
    o.limits.max_body_size = max_body;
    o.user_agent = "weft-fetch/0.1";
    return o;
}

// ---- Reporter ----------------------------------------------------------------------------

Reporter::Reporter(ProgressBar* progress, std::FILE* json, std::uint64_t total)
    : progress_(progress), json_(json), total_(total) {}

void Reporter::started() noexcept {
    std::lock_guard lock(mutex_);
    ++in_flight_;
}

void Reporter::finished(const RequestRecord& record) {
    std::string line;
    if (json_) line = to_json_line(record);
    std::lock_guard lock(mutex_);
    summary_.add(record);
    ++done_;
    if (!record.ok()) ++errors_;
    if (in_flight_) --in_flight_;
    if (json_) std::fputs(line.c_str(), json_);
    if (progress_) progress_->update(state_locked());
}

void Reporter::tick() {
    std::lock_guard lock(mutex_);
    if (progress_) progress_->update(state_locked());
}

ProgressState Reporter::state_locked() const {
    ProgressState s;
    s.done = done_;
    s.total = total_;
    s.errors = errors_;
    s.in_flight = in_flight_;
    s.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return s;
}

double Reporter::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::uint64_t Reporter::done() const {
    std::lock_guard lock(mutex_);
    return done_;
}

void Reporter::set_total(std::uint64_t total) {
    std::lock_guard lock(mutex_);
    total_ = total;
}

// ---- Targets -----------------------------------------------------------------------------

weft::Stream<Target> targets_from(std::vector<std::string> lines) {
    std::uint64_t index = 0;
    for (auto& line : lines) {
        auto parsed = parse_target_line(line);
        if (!parsed) continue;  // blank or comment
        Target target{index++, std::move(*parsed), std::move(line)};
        co_yield std::move(target);  // named: GCC 12 double-destroys temporaries in co_yield
    }
}

weft::Stream<Target> targets_from(std::shared_ptr<LineReader> reader, weft::sync::CancellationToken stop) {
    constexpr std::size_t batch_size = 512;  // lines per trip to the blocking pool
    std::uint64_t index = 0;
    for (;;) {
        if (stop.is_cancelled()) co_return;
        auto read_batch = [reader] {
            std::vector<std::pair<weft::Result<std::string>, std::uint64_t>> batch;
            batch.reserve(batch_size);
            while (batch.size() < batch_size) {
                auto line = reader->next();
                if (!line) break;
                batch.emplace_back(std::move(*line), reader->line_number());
            }
            return batch;
        };
        auto reading = weft::spawn_blocking(std::move(read_batch));
        auto batch = co_await reading;
        if (batch.empty()) co_return;
        for (auto& [line, number] : batch) {
            std::string where = "line " + std::to_string(number);
            if (!line) {
                Target bad{index++, std::unexpected(line.error()), std::move(where)};
                co_yield std::move(bad);
                continue;
            }
            auto parsed = parse_target_line(*line);
            if (!parsed) continue;
            std::string text = parsed->has_value() ? std::move(*line) : std::move(where);
            Target target{index++, std::move(*parsed), std::move(text)};
            co_yield std::move(target);
        }
    }
}

// ---- One request -------------------------------------------------------------------------

namespace {

/// What the requests of one run share.
struct Session {
    Session(FetchConfig c, weft::sync::CancellationToken s)
        : config(std::move(c)), client(config.client_options()), stop(std::move(s)) {
        if (config.rate > 0) {
            auto period =
                std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(1.0, 1e9 / config.rate)));
            // A burst of 20 ms worth of cells: timers fire on millisecond ticks, and without
            // any burst every late wake-up would be rate lost for good (see ratelimit/quota.hpp).
            auto burst = static_cast<std::uint32_t>(std::clamp(std::ceil(config.rate * 0.02), 1.0, 1e6));
            auto quota = weft::ratelimit::Quota::with_period(period).allow_burst(burst);
            limiter = std::make_unique<weft::ratelimit::RateLimiter>(quota);
        }
    }

    FetchConfig config;
    weft::http::Client client;
    weft::sync::CancellationToken stop;
    std::unique_ptr<weft::ratelimit::RateLimiter> limiter;
};

weft::Task<> until_cancelled(weft::sync::CancellationToken stop) { co_await stop.cancelled(); }

weft::Result<weft::http::Request> make_request(const FetchConfig& config, std::string_view url) {
    auto request = weft::http::Request::make(config.method, url);
    if (!request) return request;
    request->headers = config.headers;
    request->body = config.data;
    return request;
}

/// Statuses worth another try: the server said it was overloaded or its upstream failed.
bool retryable_status(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

/// Exponential backoff with full jitter: uniform in [0, min(5 s, 100 ms * 2^(attempt-1))].
std::chrono::milliseconds backoff(unsigned attempt) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    auto cap = std::min<std::int64_t>(5000, 100LL << std::min(attempt - 1, 10u));
    return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, cap)(rng));
}

std::string save_name(std::uint64_t index, std::string_view url) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%06llu-", static_cast<unsigned long long>(index + 1));
    std::string name = prefix;
    if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    for (char c : url.substr(0, 80)) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '-' || c == '_';
        name += plain ? c : '_';
    }
    return name;
}

/// Fetches one target. `prepared`, when given, is the request already prepared for its URL
/// (load mode sends the same one over and over and need not build it each time).
weft::Task<RequestRecord> fetch_one(std::shared_ptr<Session> s, Target target,
                                    std::optional<weft::http::PreparedRequest> prepared = std::nullopt) {
    RequestRecord rec;
    if (!target.url) {
        rec.url = std::move(target.text);
        rec.error = ErrorKind::invalid_request;
        rec.error_message = target.url.error().message();
        rec.attempts = 0;
        co_return rec;
    }
    rec.url = std::move(*target.url);
    if (!prepared) {
        auto made = make_request(s->config, rec.url);
        auto ready = made ? s->client.prepare(*made) : std::unexpected(made.error());
        if (!ready) {
            rec.error = ErrorKind::invalid_request;
            rec.error_message = ready.error().message();
            rec.attempts = 0;
            co_return rec;
        }
        prepared.emplace(std::move(*ready));
    }

    // What the body sink saw, in this frame: every send completes or is destroyed before the
    // frame moves on, and a sink that captures only a pointer needs no allocation of its own.
    struct Received {
        std::string body;
        std::uint64_t bytes = 0;
    } received;
    const bool saving = s->config.save_dir.has_value();
    auto start = std::chrono::steady_clock::now();
    for (unsigned attempt = 1;; ++attempt) {
        rec.attempts = attempt;
        rec.status = 0;
        rec.error = ErrorKind::none;
        rec.error_message.clear();
        received.body.clear();
        received.bytes = 0;
        if (s->limiter) {
            auto ready = s->limiter->until_ready();
            auto interrupt = until_cancelled(s->stop);
            auto raced = co_await weft::select(std::move(ready), std::move(interrupt));
            if (raced.index() == 1) {
                rec.error = ErrorKind::cancelled;
                rec.error_message = "interrupted before it was sent";
                break;
            }
        }
        weft::http::BodySink sink = [into = &received, saving](std::string_view piece) -> weft::Result<void> {
            into->bytes += piece.size();
            if (saving) into->body.append(piece);
            return {};
        };
        auto sending = s->client.send(*prepared, std::move(sink));
        auto interrupt = until_cancelled(s->stop);
        auto raced = co_await weft::select(std::move(sending), std::move(interrupt));
        if (raced.index() == 1) {
            rec.error = ErrorKind::cancelled;
            rec.error_message = "interrupted";
            break;
        }
        auto& head = std::get<0>(raced);
        bool retry = false;
        if (head) {
            rec.status = head->status();
            rec.bytes = received.bytes;
            retry = retryable_status(rec.status);
        } else {
            rec.error = weft::http::classify(head.error());
            rec.error_message = head.error().message();
            retry = weft::http::is_retryable(rec.error);
        }
        if (!retry || attempt > s->config.retries) break;
        auto pause = weft::time::sleep(backoff(attempt));
        auto pause_interrupt = until_cancelled(s->stop);
        auto waited = co_await weft::select(std::move(pause), std::move(pause_interrupt));
        if (waited.index() == 1) break;  // keep the last attempt's outcome
    }
    rec.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    if (saving && rec.ok()) {
        auto path = *s->config.save_dir / save_name(target.index, rec.url);
        auto write_file = [path, body = std::move(received.body)]() -> std::string {
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            out.write(body.data(), static_cast<std::streamsize>(body.size()));
            out.close();
            return out ? std::string() : "cannot write " + path.string();
        };
        auto writing = weft::spawn_blocking(std::move(write_file));
        auto failure = co_await writing;
        if (!failure.empty()) {
            rec.error = ErrorKind::io;
            rec.error_message = std::move(failure);
        }
    }
    co_return rec;
}

/// Awaits a request spawned on another worker.
weft::Task<RequestRecord> join_spawned(weft::JoinHandle<RequestRecord> handle, std::string url) {
    auto joined = co_await handle;
    if (joined) co_return std::move(*joined);
    RequestRecord rec;
    rec.url = std::move(url);
    if (joined.error().is_cancelled()) {
        rec.error = ErrorKind::cancelled;
        rec.error_message = "cancelled";
    } else {
        rec.error = ErrorKind::io;
        rec.error_message = "internal error: the request task failed with an exception";
    }
    co_return rec;
}

/// Redraws the progress bar while requests are slow to finish; never returns.
weft::Task<> tick_forever(Reporter& reporter) {
    for (;;) {
        co_await weft::time::sleep(100ms);
        reporter.tick();
    }
}

/// Runs `work` to its end, redrawing the progress bar meanwhile if there is one (without a bar
/// no timer wakes the run every 100 ms for nothing).
weft::Task<> with_progress(weft::Task<> work, Reporter& reporter) {
    if (!reporter.draws_progress()) {
        co_await std::move(work);
        co_return;
    }
    auto ticking = tick_forever(reporter);
    co_await weft::select(std::move(work), std::move(ticking));
}

weft::Task<> drain(weft::Stream<RequestRecord> results, Reporter& reporter) {
    while (auto rec = co_await results.next()) reporter.finished(*rec);
}

}  // namespace

weft::Task<> run_list(weft::Stream<Target> targets, FetchConfig config, Reporter& reporter,
                      weft::sync::CancellationToken stop) {
    auto session = std::make_shared<Session>(std::move(config), stop);
    const bool spread = session->config.threads > 1;
    Reporter* rep = &reporter;
    auto start_one = [session, spread, rep](Target t) -> weft::Task<RequestRecord> {
        rep->started();
        if (!spread) return fetch_one(session, std::move(t));
        std::string url = t.url ? *t.url : t.text;
        return join_spawned(weft::spawn(fetch_one(session, std::move(t)), "fetch"), std::move(url));
    };
    auto results = weft::stream::buffer_unordered(weft::stream::map(std::move(targets), std::move(start_one)),
                                                  std::max<std::size_t>(session->config.concurrency, 1));
    auto draining = drain(std::move(results), reporter);
    auto running = with_progress(std::move(draining), reporter);
    co_await std::move(running);
}

namespace {

struct LoadState {
    std::optional<weft::http::PreparedRequest> request;  // none when the URL is not valid
    std::atomic<std::uint64_t> issued{0};
    std::chrono::steady_clock::time_point deadline;
    bool timed = false;  // -d: stop at the deadline (else only the count stops it)
    std::uint64_t limit = 0;
};

weft::Task<> load_worker(std::shared_ptr<Session> s, std::shared_ptr<LoadState> load, std::string url,
                         Reporter* reporter) {
    for (;;) {
        if (s->stop.is_cancelled()) co_return;
        std::uint64_t n = load->issued.fetch_add(1, std::memory_order_relaxed);
        if (load->limit && n >= load->limit) co_return;
        if (load->timed && std::chrono::steady_clock::now() >= load->deadline) co_return;
        reporter->started();
        // The text is only shown for an invalid URL, and then the URL itself is the message.
        auto fetching = fetch_one(s, Target{n, url, {}}, load->request);
        auto rec = co_await std::move(fetching);
        reporter->finished(rec);
    }
}

weft::Task<> join_all_workers(std::vector<weft::JoinHandle<void>> handles) {
    for (auto& h : handles) (void)co_await h;
}

}  // namespace

weft::Task<> run_load(LoadPlan plan, FetchConfig config, Reporter& reporter,
                      weft::sync::CancellationToken stop) {
    config.per_host = std::max(config.per_host, config.concurrency);
    auto session = std::make_shared<Session>(std::move(config), stop);
    auto load = std::make_shared<LoadState>();
    if (auto request = make_request(session->config, plan.url)) {
        if (auto prepared = session->client.prepare(*request)) load->request = std::move(*prepared);
    }
    load->limit = plan.requests;
    load->timed = plan.duration.count() > 0;
    load->deadline = load->timed ? std::chrono::steady_clock::now() + plan.duration
                                 : std::chrono::steady_clock::time_point::max();
    std::vector<weft::JoinHandle<void>> workers;
    for (std::size_t i = 0; i < std::max<std::size_t>(session->config.concurrency, 1); ++i)
        workers.push_back(weft::spawn(load_worker(session, load, plan.url, &reporter), "load"));
    auto joining = join_all_workers(std::move(workers));
    auto running = with_progress(std::move(joining), reporter);
    co_await std::move(running);
}

}  // namespace weft_fetch
