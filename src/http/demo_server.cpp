#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>
#include <weft/combinator/select.hpp>
#include <weft/http/body.hpp>
#include <weft/http/demo_server.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/sync/notify.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>

#include "http/request_parser.hpp"

namespace weft::http {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxHead = 16 * 1024;
constexpr std::size_t kInitialInput = 4 * 1024;
constexpr std::size_t kMaxInput = 32 * 1024;  // > kMaxHead: a full head always fits after compaction
constexpr std::uint64_t kMaxGenerated = 64ull << 20;
constexpr std::size_t kMaxChunk = 16 * 1024;
constexpr std::size_t kInlineBody = 64 * 1024;     // bodies up to this share the headers' buffer
constexpr std::size_t kFlushAt = 64 * 1024;        // pipelined responses are batched up to this
constexpr std::size_t kPatternBlock = 256 * 1024;  // multiple of 64: every piece starts aligned
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr std::uint64_t kMaxDelayMs = 600'000;
constexpr auto kTick = 1s;
constexpr auto kDrainGrace = 1s;
constexpr auto kLingerTime = 1s;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static_assert(kAlphabet.size() == 64);

/// kPatternBlock bytes of the generated body, shared read-only by every connection.
const char* pattern_block() {
    static const std::string block = [] {
        std::string b(kPatternBlock, '\0');
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = kAlphabet[i % 64];
        return b;
    }();
    return block.data();
}

// ---------------------------------------------------------------- routing --

enum class Route : std::uint8_t { hello, bytes, chunked, delay, status, close, not_found, bad_request };

struct Plan {
    Route route = Route::not_found;
    std::uint64_t value = 0;  // bytes: N; chunked: N; status: CODE; delay: MS
    std::uint64_t delay_ms = 0;
};

bool parse_number(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

Plan plan_for(std::string_view target) {
    Plan plan;
    std::string_view path = target;
    if (auto q = target.find('?'); q != std::string_view::npos) {
        path = target.substr(0, q);
        std::string_view query = target.substr(q + 1);
        while (!query.empty()) {
            auto amp = query.find('&');
            std::string_view param = query.substr(0, amp);
            if (param.starts_with("delay=")) {
                std::uint64_t ms = 0;
                if (!parse_number(param.substr(6), ms) || ms > kMaxDelayMs) return {Route::bad_request};
                plan.delay_ms += ms;
            }
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
    }
    auto number_after = [&](std::string_view prefix, Route route, std::uint64_t max) {
        if (!parse_number(path.substr(prefix.size()), plan.value) || plan.value > max)
            plan.route = Route::bad_request;
        else
            plan.route = route;
    };
    if (path == "/" || path == "/hello")
        plan.route = Route::hello;
    else if (path == "/close")
        plan.route = Route::close;
    else if (path.starts_with("/bytes/"))
        number_after("/bytes/", Route::bytes, kMaxGenerated);
    else if (path.starts_with("/chunked/"))
        number_after("/chunked/", Route::chunked, kMaxGenerated);
    else if (path.starts_with("/delay/"))
        number_after("/delay/", Route::delay, kMaxDelayMs);
    else if (path.starts_with("/status/")) {
        number_after("/status/", Route::status, 599);
        if (plan.route == Route::status && plan.value < 200) plan.route = Route::bad_request;
    }
    if (plan.route == Route::delay) plan.delay_ms += plan.value;
    return plan;
}

std::string_view reason(std::uint64_t status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 206:
            return "Partial Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 418:
            return "I'm a teapot";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Status";
    }
}

void append_number(std::string& out, std::uint64_t n, int base = 10) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n, base);
    (void)ec;
    out.append(digits, end);
}

enum class Framing : std::uint8_t { none, length, chunked, until_close };

/// Status line and headers. `Connection: close` when closing, `keep-alive` for a kept HTTP/1.0.
void append_head(std::string& out, std::uint64_t status, std::string_view content_type, Framing framing,
                 std::uint64_t length, bool close, int version_minor) {
    out += "HTTP/1.1 ";
    append_number(out, status);
    out += ' ';
    out += reason(status);
    out += "\r\nServer: weft-demo\r\n";
    if (!content_type.empty()) {
        out += "Content-Type: ";
        out += content_type;
        out += "\r\n";
    }
    if (framing == Framing::length) {
        out += "Content-Length: ";
        append_number(out, length);
        out += "\r\n";
    } else if (framing == Framing::chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    }
    if (close)
        out += "Connection: close\r\n";
    else if (version_minor == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
}

/// A short text response.
void append_text(std::string& out, std::uint64_t status, std::string_view a, std::string_view b, bool head,
                 bool close, int version_minor) {
    append_head(out, status, "text/plain", Framing::length, a.size() + b.size(), close, version_minor);
    if (!head) {
        out += a;
        out += b;
    }
}

/// Appends `count` chunks of generated data (at most kMaxChunk each) covering `n` more bytes;
/// returns how many body bytes it covered.
std::uint64_t append_chunks(std::string& out, std::uint64_t n, std::size_t budget) {
    std::uint64_t covered = 0;
    while (covered < n && out.size() < budget) {
        std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(kMaxChunk, n - covered));
        append_number(out, size, 16);
        out += "\r\n";
        out.append(pattern_block(), size);  // chunks start at multiples of 16 KiB: aligned
        out += "\r\n";
        covered += size;
    }
    return covered;
}

/// What remains to be sent after the buffered part of a response.
struct Tail {
    Framing framing = Framing::none;
    std::uint64_t left = 0;  // body bytes not yet in the buffer
};

/// Appends the response to `plan` (or as much of a big body as fits a buffer); returns the rest.
Tail append_response(std::string& out, const Plan& plan, bool head, bool& close, int version_minor) {
    switch (plan.route) {
        case Route::hello:
            append_text(out, 200, "Hello, world!\n", {}, head, close, version_minor);
            return {};
        case Route::close:
            close = true;
            append_text(out, 200, "closing\n", {}, head, close, version_minor);
            return {};
        case Route::delay: {
            char digits[24];
            auto [end, ec] = std::to_chars(digits, digits + sizeof digits, plan.value);
            (void)ec;
            std::string_view ms(digits, static_cast<std::size_t>(end - digits));
            append_head(out, 200, "text/plain", Framing::length, 6 + ms.size() + 4, close, version_minor);
            if (!head) {
                out += "slept ";
                out += ms;
                out += " ms\n";
            }
            return {};
        }
        case Route::status: {
            if (plan.value == 204 || plan.value == 304) {
                append_head(out, plan.value, {}, Framing::none, 0, close, version_minor);
                return {};
            }
            char line[24];
            auto [end, ec] = std::to_chars(line, line + sizeof line - 1, plan.value);
            (void)ec;
            *end++ = '\n';
            append_text(out, plan.value, "status ",
                        std::string_view(line, static_cast<std::size_t>(end - line)), head, close,
                        version_minor);
            return {};
        }
        case Route::bytes: {
            append_head(out, 200, "application/octet-stream", Framing::length, plan.value, close,
                        version_minor);
            if (head) return {};
            std::size_t now = static_cast<std::size_t>(std::min<std::uint64_t>(plan.value, kPatternBlock));
            out.append(pattern_block(), now);
            return {Framing::length, plan.value - now};
        }
        case Route::chunked: {
            if (version_minor == 0) {  // no chunked coding for HTTP/1.0: the close delimits the body
                close = true;
                append_head(out, 200, "application/octet-stream", Framing::until_close, 0, close,
                            version_minor);
                if (head) return {};
                std::size_t now =
                    static_cast<std::size_t>(std::min<std::uint64_t>(plan.value, kPatternBlock));
                out.append(pattern_block(), now);
                return {Framing::until_close, plan.value - now};
            }
            append_head(out, 200, "application/octet-stream", Framing::chunked, 0, close, version_minor);
            if (head) return {};
            std::uint64_t covered = append_chunks(out, plan.value, out.size() + kInlineBody);
            if (covered == plan.value) out += "0\r\n\r\n";
            return {covered == plan.value ? Framing::none : Framing::chunked, plan.value - covered};
        }
        case Route::bad_request:
            append_text(out, 400, "bad request\n", {}, head, close, version_minor);
            return {};
        case Route::not_found:
            append_text(out, 404, "not found\n", {}, head, close, version_minor);
            return {};
    }
    return {};
}

// ------------------------------------------------------------ connections --

enum class Phase : std::uint8_t { idle, reading, responding };

/// What the supervisor sees of a connection: progress, and whether it is between requests.
struct ConnSlot {
    std::atomic<std::uint32_t> activity{0};
    std::atomic<Phase> phase{Phase::idle};
};

/// State shared by the supervisor (serve_demo) and its connection tasks.
struct Shared {
    Shared(DemoServerOptions o, std::shared_ptr<DemoServerStats> s)
        : options(std::move(o)), stats(std::move(s)) {}

    void report_finished(std::uint64_t id) {
        {
            std::lock_guard lock(mutex);
            finished.push_back(id);
        }
        finished_notify.notify_one();
    }

    DemoServerOptions options;
    std::shared_ptr<DemoServerStats> stats;
    std::atomic<bool> draining{false};
    std::mutex mutex;
    std::vector<std::uint64_t> finished;
    sync::Notify finished_notify;
};

/// Tells the supervisor that a connection task is gone, however it ended (finished, aborted).
class FinishReport {
public:
    FinishReport(std::shared_ptr<Shared> s, std::uint64_t id) : shared_(std::move(s)), id_(id) {}
    FinishReport(const FinishReport&) = delete;
    FinishReport& operator=(const FinishReport&) = delete;
    ~FinishReport() { shared_->report_finished(id_); }

private:
    std::shared_ptr<Shared> shared_;
    std::uint64_t id_;
};

/// Writes `out` and counts its `unflushed` responses as served.
Task<bool> flush(net::TcpStream& conn, std::string& out, std::uint64_t& unflushed, DemoServerStats& stats) {
    auto written = co_await conn.write_all(io::as_bytes(out));
    if (!written) co_return false;
    stats.requests_served.fetch_add(unflushed, std::memory_order_relaxed);
    unflushed = 0;
    out.clear();
    co_return true;
}

/// Sends the part of a big body that did not fit the first buffer.
Task<bool> write_tail(net::TcpStream& conn, std::string& out, Tail tail) {
    const char* block = pattern_block();
    if (tail.framing == Framing::chunked) {
        while (tail.left > 0) {
            out.clear();
            std::uint64_t covered = append_chunks(out, tail.left, kInlineBody);
            tail.left -= covered;
            if (tail.left == 0) out += "0\r\n\r\n";
            if (!co_await conn.write_all(io::as_bytes(out))) co_return false;
        }
        out.clear();
        co_return true;
    }
    while (tail.left > 0) {  // every piece starts at a multiple of kPatternBlock: aligned
        std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(tail.left, kPatternBlock));
        if (!co_await conn.write_all(std::as_bytes(std::span(block, size)))) co_return false;
        tail.left -= size;
    }
    co_return true;
}

/// After the last response: sends FIN, then reads (and drops) what the client still sends for a
/// moment, so that closing with unread bytes does not turn into an RST that could destroy the
/// response before the client reads it.
Task<void> linger_close(net::TcpStream& conn, std::vector<char>& buf) {
    (void)conn.shutdown_write();
    std::size_t drained = 0;
    while (drained < kLingerBytes) {
        auto n = co_await conn.read(std::as_writable_bytes(std::span(buf)));
        if (!n || *n == 0) break;
        drained += *n;
    }
}

/// Reads and drops a request body of `length` bytes, starting with what `in[begin, end)` holds.
Task<bool> discard_length(net::TcpStream& conn, std::vector<char>& in, std::size_t& begin, std::size_t& end,
                          std::uint64_t length) {
    for (;;) {
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(length, end - begin));
        begin += take;
        length -= take;
        if (length == 0) co_return true;
        begin = end = 0;
        auto n = co_await conn.read(std::as_writable_bytes(std::span(in)));
        if (!n || *n == 0) co_return false;
        end = *n;
    }
}

enum class BodyOutcome { ok, eof, malformed };

Task<BodyOutcome> discard_chunked(net::TcpStream& conn, std::vector<char>& in, std::size_t& begin,
                                  std::size_t& end) {
    ChunkedDecoder decoder;
    while (!decoder.done()) {
        if (begin == end) {
            begin = end = 0;
            auto n = co_await conn.read(std::as_writable_bytes(std::span(in)));
            if (!n || *n == 0) co_return BodyOutcome::eof;
            end = *n;
        }
        auto step = decoder.decode(std::string_view(in.data() + begin, end - begin));
        if (!step) co_return BodyOutcome::malformed;
        begin += step->consumed;
    }
    co_return BodyOutcome::ok;
}

Task<void> serve_connection(net::TcpStream stream, std::shared_ptr<Shared> shared,
                            std::shared_ptr<ConnSlot> slot, std::uint64_t id) {
    FinishReport report(shared, id);
    net::TcpStream conn = std::move(stream);  // declared after `report`: closed before it reports
    DemoServerStats& stats = *shared->stats;
    const DemoServerOptions& options = shared->options;
    std::vector<char> in(kInitialInput);
    std::size_t begin = 0, end = 0, scanned = 0;
    std::string out;
    out.reserve(1024);
    std::uint64_t unflushed = 0;  // responses in `out`
    detail::RequestHead req;

    for (;;) {
        auto parsed = detail::parse_request_head(std::string_view(in.data() + begin, end - begin), scanned,
                                                 kMaxHead, req);
        if (parsed.status == detail::RequestStatus::incomplete) {
            if (!out.empty()) {  // the hot path of a keep-alive client: write, then wait for the next
                auto written = co_await conn.write_all(io::as_bytes(out));
                if (!written) co_return;
                stats.requests_served.fetch_add(unflushed, std::memory_order_relaxed);
                unflushed = 0;
                out.clear();
            }
            if (begin == end) {
                begin = end = 0;
                // seq_cst pairs with the supervisor's store of `draining` then load of `phase`:
                // one of the two sides sees the other.
                slot->phase.store(Phase::idle);
                if (shared->draining.load()) co_return;
            } else {
                slot->phase.store(Phase::reading, std::memory_order_relaxed);
                if (end == in.size() || in.size() - end < in.size() / 4) {
                    if (begin > 0) {
                        std::memmove(in.data(), in.data() + begin, end - begin);
                        end -= begin;
                        begin = 0;
                    } else if (in.size() < kMaxInput) {
                        in.resize(in.size() * 2);
                    }
                }
            }
            auto n = co_await conn.read(std::as_writable_bytes(std::span(in.data() + end, in.size() - end)));
            if (!n || *n == 0) co_return;
            end += *n;
            slot->activity.fetch_add(1, std::memory_order_relaxed);
            continue;
        }

        slot->phase.store(Phase::responding, std::memory_order_relaxed);
        bool close = true;
        Tail tail;
        switch (parsed.status) {
            case detail::RequestStatus::bad_request:
                append_text(out, 400, "malformed request\n", {}, false, close, 1);
                break;
            case detail::RequestStatus::too_large:
                append_text(out, 431, "request head too large\n", {}, false, close, 1);
                break;
            case detail::RequestStatus::not_implemented:
                append_text(out, 501, "transfer coding not implemented\n", {}, false, close, 1);
                break;
            case detail::RequestStatus::version_unsupported:
                append_text(out, 505, "HTTP/1.x only\n", {}, false, close, 1);
                break;
            case detail::RequestStatus::incomplete:
            case detail::RequestStatus::complete: {
                stats.requests_received.fetch_add(1, std::memory_order_relaxed);
                begin += parsed.head_size;
                scanned = 0;
                // Everything from the head is taken now: reading the body reuses its bytes.
                Plan plan = plan_for(req.target);
                const bool head = req.is_head();
                const int minor = req.version_minor;
                close = !req.keep_alive;
                if (req.chunked || req.content_length > 0) {
                    if (req.expect_continue && begin == end && minor >= 1) {
                        out += "HTTP/1.1 100 Continue\r\n\r\n";
                        if (!co_await flush(conn, out, unflushed, stats)) co_return;
                    }
                    if (req.chunked) {
                        auto body = co_await discard_chunked(conn, in, begin, end);
                        if (body == BodyOutcome::eof) co_return;
                        if (body == BodyOutcome::malformed) {
                            close = true;
                            append_text(out, 400, "malformed chunked body\n", {}, false, close, minor);
                            break;
                        }
                    } else if (!co_await discard_length(conn, in, begin, end, req.content_length)) {
                        co_return;
                    }
                }
                auto delay = options.default_delay + std::chrono::milliseconds(plan.delay_ms);
                if (delay > 0ms) {
                    if (!out.empty() && !co_await flush(conn, out, unflushed, stats)) co_return;
                    co_await time::sleep(delay);
                }
                tail = append_response(out, plan, head, close, minor);
                break;
            }
        }
        ++unflushed;
        if (tail.framing != Framing::none) {
            std::uint64_t counted = unflushed;
            unflushed = 0;  // counted once the tail is out too
            if (!co_await flush(conn, out, unflushed, stats)) co_return;
            if (!co_await write_tail(conn, out, tail)) co_return;
            stats.requests_served.fetch_add(counted, std::memory_order_relaxed);
        }
        slot->activity.fetch_add(1, std::memory_order_relaxed);
        if (close) {
            if (!out.empty() && !co_await flush(conn, out, unflushed, stats)) co_return;
            auto linger = time::timeout(kLingerTime, linger_close(conn, in));
            (void)co_await std::move(linger);
            co_return;
        }
        if (out.size() >= kFlushAt && !co_await flush(conn, out, unflushed, stats)) co_return;
    }
}

// ------------------------------------------------------------- supervisor --

struct ConnEntry {
    JoinHandle<void> handle;
    std::shared_ptr<ConnSlot> slot;
    std::uint32_t seen = 0;        // `activity` at the last tick
    std::uint32_t idle_ticks = 0;  // ticks without activity while not responding
};

/// The live connection tasks; destroying it (serve_demo cancelled) aborts them all.
struct Connections {
    Connections() = default;
    Connections(const Connections&) = delete;
    Connections& operator=(const Connections&) = delete;
    ~Connections() { abort_all(); }

    void abort_all() {
        for (auto& [id, e] : map) e.handle.abort();
    }
    void reap(Shared& shared) {
        std::vector<std::uint64_t> done;
        {
            std::lock_guard lock(shared.mutex);
            done.swap(shared.finished);
        }
        for (auto id : done) map.erase(id);
    }
    void tick(std::uint32_t idle_limit) {
        for (auto& [id, e] : map) {
            std::uint32_t activity = e.slot->activity.load(std::memory_order_relaxed);
            if (activity != e.seen || e.slot->phase.load(std::memory_order_relaxed) == Phase::responding) {
                e.seen = activity;
                e.idle_ticks = 0;
            } else if (++e.idle_ticks >= idle_limit) {
                e.handle.abort();
            }
        }
    }

    std::unordered_map<std::uint64_t, ConnEntry> map;
};

Task<void> wait_notified(sync::Notify& notify) { co_await notify.notified(); }
Task<void> wait_cancelled(sync::CancellationToken token) { co_await token.cancelled(); }

Task<void> run_thread_server(DemoServerOptions options, sync::CancellationToken stop,
                             std::shared_ptr<DemoServerStats> stats,
                             std::promise<Result<net::SocketAddr>>* bound) {
    auto listener = net::TcpListener::bind(options.bind);
    if (!listener) {
        bound->set_value(std::unexpected(listener.error()));
        co_return;
    }
    auto addr = listener->local_addr();
    bound->set_value(addr);
    if (!addr) co_return;
    Task<void> serve =
        serve_demo(std::move(*listener), std::move(options), std::move(stop), std::move(stats));
    co_await std::move(serve);
}

}  // namespace

char demo_body_byte(std::uint64_t offset) noexcept { return kAlphabet[offset % 64]; }

Task<void> serve_demo(net::TcpListener listener, DemoServerOptions options, sync::CancellationToken stop) {
    return serve_demo(std::move(listener), std::move(options), std::move(stop),
                      std::make_shared<DemoServerStats>());
}

Task<void> serve_demo(net::TcpListener listener, DemoServerOptions options, sync::CancellationToken stop,
                      std::shared_ptr<DemoServerStats> stats) {
    if (!stats) stats = std::make_shared<DemoServerStats>();
    auto idle_limit =
        static_cast<std::uint32_t>(std::max<std::int64_t>(1, (options.idle_timeout + kTick - 1ms) / kTick));
    auto shared = std::make_shared<Shared>(std::move(options), stats);
    Connections conns;
    std::uint64_t next_id = 0;
    time::Instant next_tick = time::now() + kTick;

    while (!stop.is_cancelled()) {
        conns.reap(*shared);
        if (time::now() >= next_tick) {
            conns.tick(idle_limit);
            next_tick = time::now() + kTick;
        }
        if (conns.map.size() >= shared->options.max_connections) {  // full: leave them in the backlog
            auto wait = weft::select(wait_notified(shared->finished_notify), time::sleep_until(next_tick),
                                     wait_cancelled(stop));
            co_await wait;
            continue;
        }
        auto wait = weft::select(listener.accept(), wait_notified(shared->finished_notify),
                                 time::sleep_until(next_tick), wait_cancelled(stop));
        auto event = co_await wait;
        if (event.index() != 0) continue;
        auto& accepted = std::get<0>(event);
        if (!accepted) {  // out of fds or similar: do not spin on it
            co_await time::sleep(10ms);
            continue;
        }
        net::TcpStream& conn = accepted->first;
        (void)conn.set_nodelay(true);
        stats->connections_accepted.fetch_add(1, std::memory_order_relaxed);
        auto slot = std::make_shared<ConnSlot>();
        std::uint64_t id = next_id++;
        // Registered before any reap can see its report: reaps happen only in this task.
        Task<void> task = serve_connection(std::move(conn), shared, slot, id);
        conns.map.emplace(id,
                          ConnEntry{weft::spawn(std::move(task), "weft-demo connection"), std::move(slot)});
    }

    // Stop: no more connections; idle ones close now, busy ones after their response.
    { net::TcpListener closing = std::move(listener); }
    shared->draining.store(true);  // seq_cst: see serve_connection
    for (auto& [id, e] : conns.map)
        if (e.slot->phase.load() == Phase::idle) e.handle.abort();
    const time::Instant deadline = time::now() + kDrainGrace;
    bool aborted = false;
    for (;;) {
        conns.reap(*shared);
        if (conns.map.empty()) break;
        if (aborted) {
            co_await shared->finished_notify.notified();
            continue;
        }
        auto wait = weft::select(wait_notified(shared->finished_notify), time::sleep_until(deadline));
        if ((co_await wait).index() == 1) {
            conns.abort_all();
            aborted = true;
        }
    }
}

// ------------------------------------------------------------- DemoServer --

Result<std::unique_ptr<DemoServer>> DemoServer::start(DemoServerOptions options) {
    std::unique_ptr<DemoServer> server(new DemoServer());
    std::promise<Result<net::SocketAddr>> bound;
    auto bound_future = bound.get_future();
    try {
        server->thread_ = std::thread([options = std::move(options), stop = server->stop_token_,
                                       stats = server->stats_, bound = std::move(bound)]() mutable {
            try {
                Runtime rt = options.threads > 1
                                 ? Runtime::Builder::multi_thread().worker_threads(options.threads).build()
                                 : Runtime::Builder::current_thread().build();
                rt.block_on(run_thread_server(std::move(options), stop, stats, &bound));
            } catch (const std::system_error& e) {
                try {
                    bound.set_value(std::unexpected(e.code()));
                } catch (const std::future_error&) {
                    std::fprintf(stderr, "weft demo server stopped: %s\n", e.what());
                }
            } catch (const std::exception& e) {
                try {
                    bound.set_value(std::unexpected(std::make_error_code(std::errc::io_error)));
                } catch (const std::future_error&) {
                }
                std::fprintf(stderr, "weft demo server stopped: %s\n", e.what());
            }
        });
    } catch (const std::system_error& e) {
        return std::unexpected(e.code());
    }
    Result<net::SocketAddr> addr = bound_future.get();
    if (!addr) {
        server->thread_.join();
        return std::unexpected(addr.error());
    }
    server->port_ = addr->port();
    std::string ip = addr->ip_string();
    if (addr->is_ipv6()) {
        if (ip == "::") ip = "::1";
        ip = "[" + ip + "]";
    } else if (ip == "0.0.0.0") {
        ip = "127.0.0.1";
    }
    server->base_url_ = "http://" + ip + ":" + std::to_string(server->port_);
    return server;
}

DemoServer::~DemoServer() { stop(); }

std::string DemoServer::url(std::string_view path_and_query) const {
    std::string u = base_url_;
    u += path_and_query;
    return u;
}

void DemoServer::stop() {
    std::lock_guard lock(stop_mutex_);
    stop_token_.cancel();
    if (thread_.joinable()) thread_.join();
}

}  // namespace weft::http
