#pragma once

// The whole public API in one include.

#include <weft/combinator/join.hpp>
#include <weft/combinator/select.hpp>
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
#include <weft/signal/signal.hpp>
#include <weft/stream/adapters.hpp>
#include <weft/stream/stream.hpp>
#include <weft/sync/barrier.hpp>
#include <weft/sync/broadcast.hpp>
#include <weft/sync/cancellation_token.hpp>
#include <weft/sync/mpsc.hpp>
#include <weft/sync/mutex.hpp>
#include <weft/sync/notify.hpp>
#include <weft/sync/oneshot.hpp>
#include <weft/sync/rwlock.hpp>
#include <weft/sync/semaphore.hpp>
#include <weft/sync/watch.hpp>
#include <weft/task.hpp>
#include <weft/task/join_set.hpp>
#include <weft/task/task_tracker.hpp>
#include <weft/time/clock.hpp>
#include <weft/time/interval.hpp>
#include <weft/time/sleep.hpp>
#include <weft/time/timeout.hpp>
