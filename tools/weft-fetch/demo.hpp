#pragma once

// `weft-fetch demo`: the URL mix fetched from the bundled server, so that the embedded run shows
// what the tool reports: mostly quick successes, some slow responses, some missing pages, some
// server errors, a few requests that time out and a few to a port where nothing listens.

#include <cstdint>
#include <string>
#include <vector>

namespace weft_fetch {

/// The demo's request mix against `http://127.0.0.1:<port>`; `closed_port` refuses
/// connections. Deterministic: the same arguments give the same list.
///
///     auto urls = weft_fetch::demo_urls(10000, server->port(), closed_port);
std::vector<std::string> demo_urls(std::size_t count, std::uint16_t port, std::uint16_t closed_port);

/// How many of the first `count` demo requests fail on purpose: those that time out under the
/// demo's 2 s timeout and those sent to the closed port.
std::uint64_t demo_deliberate_failures(std::size_t count);

/// A local port where nothing listens (bound, then closed, so nothing else took it meanwhile
/// unless by chance); 0 if none could be found.
std::uint16_t find_closed_port();

}  // namespace weft_fetch
