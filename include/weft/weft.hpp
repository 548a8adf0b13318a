#pragma once

// The whole public API in one include.

#include <weft/error.hpp>
#include <weft/io/async_io.hpp>
#include <weft/io/copy.hpp>
#include <weft/io/pipe.hpp>
#include <weft/net/socket_addr.hpp>
#include <weft/net/tcp_listener.hpp>
#include <weft/net/tcp_stream.hpp>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/blocking/spawn_blocking.hpp>
#include <weft/runtime/join_handle.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>
#include <weft/task.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/interval.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>
