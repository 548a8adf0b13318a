#include "demo.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft_fetch {

namespace {

/// In every 1000 requests, these time out (delay above the demo's timeout) and these go to the
/// closed port: the demo's deliberate failures.
bool times_out(std::size_t k) { return k == 500 || k == 999; }
bool refused(std::size_t k) { return k == 250 || k == 750; }

}  // namespace

std::vector<std::string> demo_urls(std::size_t count, std::uint16_t port, std::uint16_t closed_port) {
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    const std::string closed = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
    std::vector<std::string> urls;
    urls.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        // Spread over every 1000 requests: 2 time out, 2 are refused, 1% slow, 5% missing,
        // 2% server errors, 10% chunked, the rest small and medium bodies.
        std::size_t k = i % 1000;
        std::string url;
        if (times_out(k))
            url = base + "/delay/5000";
        else if (refused(k))
            url = closed;
        else if (k % 100 == 7)
            url = base + "/delay/" + std::to_string(100 + (i * 37) % 400);
        else if (k % 20 == 3)
            url = base + "/missing/" + std::to_string(i);
        else if (k % 50 == 11)
            url = base + "/status/503";
        else if (k % 50 == 13)
            url = base + "/status/500";
        else if (k % 10 == 5)
            url = base + "/chunked/" + std::to_string(1024 + (i * 131) % 8192);
        else if (k % 2 == 0)
            url = base + "/hello";
        else
            url = base + "/bytes/" + std::to_string(512 + (i * 97) % 16384);
        urls.push_back(std::move(url));
    }
    return urls;
}

std::uint64_t demo_deliberate_failures(std::size_t count) {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < count; ++i) n += times_out(i % 1000) || refused(i % 1000);
    return n;
}

std::uint16_t find_closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);  // never listened: connecting to it is refused
    return port;
}

}  // namespace weft_fetch
