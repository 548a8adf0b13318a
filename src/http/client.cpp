#include <algorithm>
#include <atomic>
#include <cassert>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <weft/http/body.hpp>
#include <weft/http/client.hpp>
#include <weft/http/request.hpp>
#include <weft/sync/semaphore.hpp>
#include <weft/time/timeout.hpp>
#include <weft/tls/context.hpp>

#include "http/connection.hpp"

namespace weft::http {

using detail::Connection;
using detail::Origin;

Result<Request> Request::make(std::string method, std::string_view url) {
    auto parsed = Url::parse(url);
    if (!parsed) return std::unexpected(parsed.error());
    return Request(std::move(*parsed), std::move(method));
}

bool Request::is_idempotent() const noexcept {
    for (std::string_view m : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
        if (method == m) return true;
    return false;
}

/// What every send of a request needs, computed once by `Client::prepare`.
struct PreparedRequest::Data {
    std::string wire;
    Origin origin;
    std::string origin_key;
    bool idempotent = false;
    bool head_request = false;
    std::uint64_t client_id = 0;  // the client whose options went into `wire`
};

std::string_view PreparedRequest::wire() const noexcept { return data_ ? std::string_view(data_->wire) : ""; }

namespace {

struct HostPool;

/// An idle pooled connection, in the client's list of all idle connections (oldest first).
struct IdleConnection {
    std::unique_ptr<Connection> conn;
    HostPool* pool;
};
using IdleList = std::list<IdleConnection>;

/// The connections to one origin: a FIFO-fair limit on those in use, and the idle ones.
/// Guarded by the client's mutex, except `slots` (a semaphore of its own).
struct HostPool {
    HostPool(std::string origin_key, std::size_t limit) : key(std::move(origin_key)), slots(limit) {}

    std::string key;
    sync::Semaphore slots;
    std::vector<IdleList::iterator> idle;  // most recently used last
    std::size_t users = 0;                 // requests holding this pool
};

/// What one request/response exchange on a connection produced.
struct Exchange {
    ResponseHead head;
    bool reusable = false;  // the connection may carry the next request
};

}  // namespace

struct Client::Impl {
    explicit Impl(ClientOptions o) : options(std::move(o)) {}

    /// Tells clients apart for prepared requests (an address could be reused by a later client).
    static std::uint64_t next_id() noexcept {
        static std::atomic<std::uint64_t> next{1};
        return next.fetch_add(1, std::memory_order_relaxed);
    }

    // Per-origin state lives while a request uses it or it holds an idle connection, and idle
    // connections are bounded in number (max_idle_connections, oldest closed first) and age
    // (idle_timeout): a crawler that visits a million hosts keeps neither a million entries
    // nor their sockets.

    /// The pool of an origin, created on first use; `release_pool` gives it back.
    std::shared_ptr<HostPool> acquire_pool(const std::string& key) {
        std::lock_guard lock(mutex);
        auto& slot = hosts[key];
        if (!slot) slot = std::make_shared<HostPool>(key, options.max_connections_per_host);
        ++slot->users;
        return slot;
    }

    /// Idle connections and origins, read together.
    std::pair<std::size_t, std::size_t> pooled() {
        std::lock_guard lock(mutex);
        return {idle.size(), hosts.size()};
    }

    void release_pool(HostPool& pool) {
        std::lock_guard lock(mutex);
        --pool.users;
        forget_if_unused(pool);
    }

    /// The most recently used idle connection that is still usable. `careful`: check with a
    /// syscall that the server has not closed it, even if it was idle only briefly (a request
    /// that may not be resent after a failure needs that; others are retried instead).
    std::unique_ptr<Connection> take_idle(HostPool& pool, bool careful) {
        for (;;) {
            std::unique_ptr<Connection> c;
            bool check;
            {
                std::lock_guard lock(mutex);
                if (pool.idle.empty()) return nullptr;
                IdleList::iterator entry = pool.idle.back();
                pool.idle.pop_back();
                c = std::move(entry->conn);
                spare.splice(spare.end(), idle, entry);
                auto now = time::now();
                if (c->idle_since < now - options.idle_timeout) continue;  // expired: closed here
                check = careful || c->idle_since < now - std::chrono::milliseconds(100);
            }
            // The probe is a syscall: not under the client's lock, which every request takes.
            if (check && c->looks_closed()) continue;
            return c;
        }
    }

    void put_idle(HostPool& pool, std::unique_ptr<Connection> c) {
        std::vector<std::unique_ptr<Connection>> closing;  // closed outside the lock
        std::lock_guard lock(mutex);
        auto now = time::now();  // under the lock: the idle list stays in idle_since order
        c->idle_since = now;
        // In-use connections are capped by the slots, so this bound is only ever reached when
        // the pool holds connections that requests no longer need.
        if (pool.idle.size() >= options.max_connections_per_host || options.max_idle_connections == 0) {
            closing.push_back(std::move(c));
            return;
        }
        // Expired ones are at the front of the list; then make room under the total cap.
        auto expired_before = now - options.idle_timeout;
        while (!idle.empty() && (idle.size() >= options.max_idle_connections ||
                                 idle.front().conn->idle_since < expired_before))
            closing.push_back(evict_oldest());
        pool.idle.reserve(pool.idle.size() + 1);  // may throw: before the list changes
        IdleList::iterator entry;
        if (!spare.empty()) {
            entry = spare.begin();
            entry->conn = std::move(c);
            entry->pool = &pool;
            idle.splice(idle.end(), spare, entry);
        } else {
            entry = idle.insert(idle.end(), IdleConnection{std::move(c), &pool});
        }
        pool.idle.push_back(entry);
    }

    /// Takes the oldest idle connection out of the pools (caller holds the mutex).
    std::unique_ptr<Connection> evict_oldest() {
        IdleList::iterator oldest = idle.begin();
        HostPool& owner = *oldest->pool;
        auto in_owner = std::find(owner.idle.begin(), owner.idle.end(), oldest);
        assert(in_owner != owner.idle.end() && "an idle connection missing from its origin's stack");
        owner.idle.erase(in_owner);
        auto conn = std::move(oldest->conn);
        spare.splice(spare.end(), idle, oldest);
        forget_if_unused(owner);
        return conn;
    }

    /// Drops an origin's entry once nothing uses it (caller holds the mutex; may free `pool`).
    void forget_if_unused(HostPool& pool) {
        if (pool.users != 0 || !pool.idle.empty()) return;
        auto it = hosts.find(pool.key);
        if (it != hosts.end() && it->second.get() == &pool) hosts.erase(it);  // not by key: it lives in pool
    }

    Task<Result<std::unique_ptr<Connection>>> connect(const Origin& origin);
    Task<Result<std::unique_ptr<Connection>>> establish(const Origin& origin);
    Result<tls::ClientContext> tls_context();
    Task<Result<Exchange>> exchange(Connection& conn, const std::string& wire, bool head_request,
                                    BodySink& sink, bool& started);
    Result<std::shared_ptr<const PreparedRequest::Data>> prepare(const Request& request) const;
    static Task<Result<ResponseHead>> run(std::shared_ptr<Impl> self,
                                          std::shared_ptr<const PreparedRequest::Data> request,
                                          BodySink sink);
    static Task<Result<ResponseHead>> send(std::shared_ptr<Impl> self,
                                           std::shared_ptr<const PreparedRequest::Data> request,
                                           BodySink sink);
    static Task<Result<Response>> collect(Task<Result<ResponseHead>> sending,
                                          std::shared_ptr<std::string> body);

    ClientOptions options;
    const std::uint64_t id = next_id();
    std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<HostPool>> hosts;
    IdleList idle;  // every idle connection, oldest first
    // Nodes of connections taken out of `idle`, reused by the next put (no allocation per
    // request); never more than the most connections that were idle at once.
    IdleList spare;
    std::optional<tls::ClientContext> tls;
    std::atomic<std::uint64_t> opened{0};
    std::atomic<std::uint64_t> reused{0};
    std::atomic<std::uint64_t> stale_retries{0};
};

Task<Result<std::unique_ptr<Connection>>> Client::Impl::connect(const Origin& origin) {
    auto establishing = establish(origin);
    auto conn = co_await time::timeout(options.connect_timeout, std::move(establishing));
    if (!conn && is_timeout(conn.error())) co_return fail(Errc::connect_timeout);
    co_return conn;
}

Task<Result<std::unique_ptr<Connection>>> Client::Impl::establish(const Origin& origin) {
    auto tcp = co_await net::TcpStream::connect(origin.host, origin.port);
    if (!tcp) co_return std::unexpected(tcp.error());
    (void)tcp->set_nodelay(true);  // requests are written whole: no reason to wait for more
    opened.fetch_add(1, std::memory_order_relaxed);
    if (origin.scheme == Url::Scheme::http) co_return std::make_unique<Connection>(std::move(*tcp));
    auto context = tls_context();
    if (!context) co_return std::unexpected(context.error());
    auto tls = co_await tls::TlsStream::connect(std::move(*tcp), *context, origin.host);
    if (!tls) co_return std::unexpected(tls.error());
    co_return std::make_unique<Connection>(std::move(*tls));
}

Result<tls::ClientContext> Client::Impl::tls_context() {
    // Made on first use: loading the system CA store costs milliseconds.
    std::lock_guard lock(mutex);
    if (!tls) {
        tls::ClientConfig config;
        config.verify_peer = !options.insecure;
        config.ca_pem = options.ca_pem;
        auto made = tls::ClientContext::create(config);
        if (!made) return std::unexpected(made.error());
        tls = std::move(*made);
    }
    return *tls;
}

Task<Result<Exchange>> Client::Impl::exchange(Connection& conn, const std::string& wire, bool head_request,
                                              BodySink& sink, bool& started) {
    if (auto w = co_await conn.write_all(wire); !w) co_return std::unexpected(w.error());
    ResponseParser parser({.limits = options.limits, .head_request = head_request});
    BodyDecoder body;
    bool leftover = false;
    std::span<std::byte> buf = conn.buffer();
    for (;;) {
        auto n = co_await conn.read(buf);
        if (!n) co_return std::unexpected(n.error());
        if (*n == 0) {  // end of stream
            if (!parser.done()) {
                auto f = parser.finish();
                co_return std::unexpected(f ? make_error_code(Errc::unexpected_eof) : f.error());
            }
            if (auto f = body.finish(); !f) co_return std::unexpected(f.error());
            break;
        }
        started = true;
        std::string_view in(reinterpret_cast<const char*>(buf.data()), *n);
        if (!parser.done()) {
            auto used = parser.feed(in);
            if (!used) co_return std::unexpected(used.error());
            in.remove_prefix(*used);
            if (!parser.done()) continue;
            if (parser.head().status() == 101) co_return fail(Errc::unexpected_upgrade);
            body = BodyDecoder::for_response(parser.head(), options.limits);
        }
        while (!in.empty() && !body.done()) {
            auto step = body.decode(in);
            if (!step) co_return std::unexpected(step.error());
            if (!step->data.empty() && sink) {
                if (auto s = sink(step->data); !s) co_return std::unexpected(s.error());
            }
            in.remove_prefix(step->consumed);
        }
        if (body.done()) {
            leftover = !in.empty();  // bytes nobody asked for: do not trust this connection
            break;
        }
    }
    Exchange out;
    out.reusable = parser.head().keep_alive() && body.kind() != BodyKind::until_close && !leftover;
    out.head = parser.take_head();
    co_return out;
}

Result<std::shared_ptr<const PreparedRequest::Data>> Client::Impl::prepare(const Request& request) const {
    std::vector<Field> extra;
    extra.reserve(request.headers.size() + 2);
    bool has_user_agent = false;
    for (auto& [name, value] : request.headers) {
        if (iequals(name, "user-agent")) has_user_agent = true;
        extra.push_back({name, value});
    }
    if (!has_user_agent && !options.user_agent.empty()) extra.push_back({"User-Agent", options.user_agent});
    if (!options.keep_alive) extra.push_back({"Connection", "close"});
    std::optional<std::string_view> body;
    if (request.body) body = *request.body;
    auto wire = serialize_request(request.method, request.url, extra, body);
    if (!wire) return std::unexpected(wire.error());
    auto data = std::make_shared<PreparedRequest::Data>();
    data->wire = std::move(*wire);
    data->origin = Origin::of(request.url);
    data->origin_key = data->origin.key();
    data->idempotent = request.is_idempotent();
    data->head_request = request.method == "HEAD";
    data->client_id = id;
    return data;
}

Task<Result<ResponseHead>> Client::Impl::run(std::shared_ptr<Impl> self,
                                             std::shared_ptr<const PreparedRequest::Data> request,
                                             BodySink sink) {
    const ClientOptions& options = self->options;
    const Origin& origin = request->origin;
    // Gives the origin's pool back on every way out, cancellation included; declared before
    // the slot, so the slot goes first.
    struct PoolUse {
        Impl& client;
        std::shared_ptr<HostPool> pool;
        ~PoolUse() { client.release_pool(*pool); }
    } use{*self, self->acquire_pool(request->origin_key)};
    HostPool* pool = use.pool.get();
    auto slot = co_await pool->slots.acquire();
    if (!slot) co_return std::unexpected(slot.error());

    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Connection> conn;
        if (options.keep_alive) conn = self->take_idle(*pool, !request->idempotent);
        const bool reused = conn != nullptr;
        if (reused) {
            self->reused.fetch_add(1, std::memory_order_relaxed);
        } else {
            auto c = co_await self->connect(origin);
            if (!c) co_return std::unexpected(c.error());
            conn = std::move(*c);
        }
        bool started = false;
        auto ex = co_await self->exchange(*conn, request->wire, request->head_request, sink, started);
        if (ex) {
            if (options.keep_alive && ex->reusable) self->put_idle(*pool, std::move(conn));
            co_return std::move(ex->head);
        }
        // A pooled connection the server closed while idle fails before any response byte:
        // resend once on a fresh connection when that cannot cause a second effect.
        if (reused && !started && attempt == 0 && request->idempotent) {
            self->stale_retries.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        co_return std::unexpected(ex.error());
    }
}

Client::Client(ClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

Client::~Client() = default;

Task<Result<ResponseHead>> Client::Impl::send(std::shared_ptr<Impl> self,
                                              std::shared_ptr<const PreparedRequest::Data> request,
                                              BodySink sink) {
    auto limit = self->options.timeout;
    auto running = run(std::move(self), std::move(request), std::move(sink));
    auto result = co_await time::timeout(limit, std::move(running));
    co_return result;
}

Task<Result<Response>> Client::Impl::collect(Task<Result<ResponseHead>> sending,
                                             std::shared_ptr<std::string> body) {
    auto head = co_await std::move(sending);
    if (!head) co_return std::unexpected(head.error());
    co_return Response{std::move(*head), std::move(*body)};
}

namespace {
Task<Result<ResponseHead>> failed_head(std::error_code ec) { co_return std::unexpected(ec); }
Task<Result<Response>> failed_response(std::error_code ec) { co_return std::unexpected(ec); }
}  // namespace

Result<PreparedRequest> Client::prepare(const Request& request) const {
    auto data = impl_->prepare(request);
    if (!data) return std::unexpected(data.error());
    return PreparedRequest(std::move(*data));
}

Task<Result<ResponseHead>> Client::send(PreparedRequest request, BodySink sink) {
    if (!request.data_ || request.data_->client_id != impl_->id)
        return failed_head(std::make_error_code(std::errc::invalid_argument));
    return Impl::send(impl_, std::move(request.data_), std::move(sink));
}

Task<Result<ResponseHead>> Client::send(Request request, BodySink sink) {
    auto data = impl_->prepare(request);
    if (!data) return failed_head(data.error());
    return Impl::send(impl_, std::move(*data), std::move(sink));
}

Task<Result<Response>> Client::send(PreparedRequest request) {
    auto body = std::make_shared<std::string>();
    BodySink sink = [body](std::string_view piece) -> Result<void> {
        body->append(piece);
        return {};
    };
    return Impl::collect(send(std::move(request), std::move(sink)), std::move(body));
}

Task<Result<Response>> Client::send(Request request) {
    auto data = impl_->prepare(request);
    if (!data) return failed_response(data.error());
    return send(PreparedRequest(std::move(*data)));
}

Task<Result<Response>> Client::get(std::string_view url) {
    auto request = Request::get(url);
    if (!request) return failed_response(request.error());
    return send(std::move(*request));
}

ClientStats Client::stats() const {
    auto [idle, origins] = impl_->pooled();
    return {impl_->opened.load(std::memory_order_relaxed), impl_->reused.load(std::memory_order_relaxed),
            impl_->stale_retries.load(std::memory_order_relaxed), idle, origins};
}

const ClientOptions& Client::options() const noexcept { return impl_->options; }

}  // namespace weft::http
