#pragma once

// weft-fetch's input: target lines from a file or stdin, read in bounded memory, and the
// parsing of one line into a URL.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weft/error.hpp>

namespace weft_fetch {

/// One input line as a normalized URL to fetch, or nullopt for a line to skip.
///
/// - Leading and trailing whitespace (CR included) is ignored; blank lines and lines whose first
///   non-blank character is `#` are skipped (nullopt).
/// - One field: an absolute http(s) URL, validated with `weft::http::Url::parse` and returned
///   normalized (`Url::to_string`); its parse error otherwise (`invalid_url`, `unsupported_scheme`).
/// - Three fields `host port path` (the seed program's format, whitespace-separated, port
///   decimal 1..65535): becomes `http://host:port/path`, with an IPv6 host bracketed and a '/'
///   put before a path that lacks one, then validated and normalized the same way.
/// - Anything else: `weft::http::Errc::invalid_url`.
///
///     parse_target_line("  HTTP://Example.com:80/a \r");   // "http://example.com/a"
///     parse_target_line("example.com 8080 /index.html");   // "http://example.com:8080/index.html"
///     parse_target_line("::1 8080 x");                      // "http://[::1]:8080/x"
///     parse_target_line("# a comment");                     // nullopt
///     parse_target_line("example.com");                     // error: invalid_url
std::optional<weft::Result<std::string>> parse_target_line(std::string_view line);

/// Reads lines from a file descriptor with a blocking `read(2)`, in bounded memory (a 64 KiB
/// buffer plus at most one line), so a million-line input costs no more than a ten-line one.
/// Meant for a dedicated thread or `spawn_blocking`: `next` blocks until a line is available.
///
/// - Lines end at '\n'; a trailing '\r' is removed (CRLF files), and so is a UTF-8 byte order
///   mark at the start of the first line. A last line without a newline is still returned;
///   an empty input yields no lines, and a final '\n' does not make an extra empty line.
/// - A line longer than `max_line` bytes (without its line ending) is skipped up to its newline and reported
/// as an error
///   (`std::errc::message_size`) in its place; reading goes on with the next line.
/// - A read error is returned once (the OS error), after which the reader is at its end.
///
///     auto reader = weft_fetch::LineReader::open("urls.txt");   // or "-" for stdin
///     if (!reader) die(reader.error().message());
///     while (auto line = reader->next()) {
///         if (!*line) warn("line {}: {}", reader->line_number(), line->error().message());
///         else if (auto url = weft_fetch::parse_target_line(**line)) ...
///     }
class LineReader {
public:
    static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

    /// Opens `path` for reading; "-" reads standard input (not closed by the reader).
    static weft::Result<LineReader> open(const std::string& path, std::size_t max_line = kDefaultMaxLine);

    /// Reads from `fd` (a pipe, a socket, an open file); closes it on destruction if `owns_fd`.
    explicit LineReader(int fd, bool owns_fd = false, std::size_t max_line = kDefaultMaxLine);
    LineReader(LineReader&& other) noexcept;
    LineReader& operator=(LineReader&& other) noexcept;
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;
    ~LineReader();

    /// The next line without its line ending, an error for an overlong line or a failed read, or
    /// nullopt at the end of the input.
    std::optional<weft::Result<std::string>> next();

    /// The number of lines returned so far (errors included): the 1-based number of the line
    /// `next` returned last.
    std::uint64_t line_number() const noexcept { return line_number_; }

private:
    void close_fd() noexcept;

    int fd_ = -1;
    bool owns_fd_ = false;
    bool at_end_ = false;
    std::size_t max_line_ = kDefaultMaxLine;
    std::vector<char> buffer_;
    std::size_t pos_ = 0;  // unread bytes are buffer_[pos_, end_)
    std::size_t end_ = 0;
    std::uint64_t line_number_ = 0;
};

}  // namespace weft_fetch
