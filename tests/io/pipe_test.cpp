#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <weft/io/copy.hpp>
#include <weft/io/pipe.hpp>
#include <weft/runtime/block_on.hpp>
#include <weft/runtime/runtime.hpp>
#include <weft/runtime/yield_now.hpp>

namespace {

static_assert(weft::io::AsyncRead<weft::io::PipeReader>);
static_assert(weft::io::AsyncWrite<weft::io::PipeWriter>);

TEST(Pipe, BytesWrittenAreReadInOrderThenEndOfStream) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<std::string> {
        auto [reader, writer] = weft::io::pipe(8);  // small: the writer must wait for the reader
        auto producer = [](weft::io::PipeWriter w) -> weft::Task<> {
            (void)co_await weft::io::write_all(w, weft::io::as_bytes("the quick brown fox jumps"));
            (void)co_await w.shutdown();
        };
        auto h = weft::spawn_local(producer(std::move(writer)));
        std::string out;
        auto n = co_await weft::io::read_to_string(reader, out);
        (void)co_await h;
        co_return n ? out : "error";
    };
    EXPECT_EQ(rt.block_on(t()), "the quick brown fox jumps");
}

TEST(Pipe, WriteAfterReaderDroppedIsBrokenPipe) {
    weft::Runtime rt;
    auto t = []() -> weft::Task<std::error_code> {
        auto [reader, writer] = weft::io::pipe(8);
        { auto gone = std::move(reader); }
        auto r = co_await weft::io::write_all(writer, weft::io::as_bytes("x"));
        co_return r ? std::error_code{} : r.error();
    };
    EXPECT_EQ(rt.block_on(t()), std::make_error_code(std::errc::broken_pipe));
}

TEST(Copy, WorksWithAnyAsyncReadAndWrite) {
    // Two pipes chained through the generic copy: no socket involved.
    weft::Runtime rt;
    auto t = []() -> weft::Task<std::string> {
        auto [in_r, in_w] = weft::io::pipe(1024);
        auto [out_r, out_w] = weft::io::pipe(1024);
        std::string payload(100'000, 'x');
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
        auto produce = [](weft::io::PipeWriter w, std::string data) -> weft::Task<> {
            (void)co_await weft::io::write_all(w, weft::io::as_bytes(data));
            (void)co_await w.shutdown();
        };
        auto pump = [](weft::io::PipeReader r, weft::io::PipeWriter w) -> weft::Task<std::uint64_t> {
            auto n = co_await weft::io::copy(r, w);
            (void)co_await w.shutdown();
            co_return n.value_or(0);
        };
        auto p = weft::spawn_local(produce(std::move(in_w), payload));
        auto c = weft::spawn_local(pump(std::move(in_r), std::move(out_w)));
        std::string received;
        (void)co_await weft::io::read_to_string(out_r, received);
        auto copied = (co_await c).value();
        (void)co_await p;
        co_return received == payload&& copied == payload.size() ? "same" : "different";
    };
    EXPECT_EQ(rt.block_on(t()), "same");
}

TEST(Pipe, WriterOnAnotherThreadWakesTheReader) {
    auto [reader, writer] = weft::io::pipe(4);
    std::thread producer([w = std::move(writer)]() mutable {
        auto t = [](weft::io::PipeWriter& w) -> weft::Task<> {
            (void)co_await weft::io::write_all(w, weft::io::as_bytes("across threads"));
        };
        weft::block_on(t(w));
    });  // w is dropped at thread end: end of stream
    auto t = [](weft::io::PipeReader& r) -> weft::Task<std::string> {
        std::string out;
        (void)co_await weft::io::read_to_string(r, out);
        co_return out;
    };
    weft::Runtime rt;
    EXPECT_EQ(rt.block_on(t(reader)), "across threads");
    producer.join();
}

}  // namespace
