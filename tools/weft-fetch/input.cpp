#include "input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <weft/http/error.hpp>
#include <weft/http/url.hpp>

namespace weft_fetch {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> fields_of(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        std::size_t end = 0;
        while (end < s.size() && !is_space(s[end])) ++end;
        out.push_back(s.substr(0, end));
        s.remove_prefix(end);
        s = trim(s);
    }
    return out;
}

bool is_port(std::string_view s) {
    if (s.empty() || s.size() > 5 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    int value = 0;
    for (char c : s) value = value * 10 + (c - '0');
    return value >= 1 && value <= 65535;
}

weft::Result<std::string> normalized(std::string_view url) {
    auto parsed = weft::http::Url::parse(url);
    if (!parsed) return std::unexpected(parsed.error());
    return parsed->to_string();
}

}  // namespace

std::optional<weft::Result<std::string>> parse_target_line(std::string_view line) {
    line = trim(line);
    if (line.empty() || line.front() == '#') return std::nullopt;
    auto fields = fields_of(line);
    if (fields.size() == 1) return normalized(fields[0]);
    if (fields.size() == 3 && is_port(fields[1])) {
        std::string_view host = fields[0];
        std::string url = "http://";
        // A bare IPv6 literal gets its brackets; anything else malformed is Url::parse's to reject.
        const bool bare_ipv6 = host.find(':') != std::string_view::npos && !host.starts_with('[');
        if (bare_ipv6) url += '[';
        url += host;
        if (bare_ipv6) url += ']';
        url += ':';
        url += fields[1];
        if (!fields[2].starts_with('/')) url += '/';
        url += fields[2];
        return normalized(url);
    }
    return weft::http::fail(weft::http::Errc::invalid_url);
}

weft::Result<LineReader> LineReader::open(const std::string& path, std::size_t max_line) {
    if (path == "-") return LineReader(STDIN_FILENO, false, max_line);
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return weft::os_error(errno);
    return LineReader(fd, true, max_line);
}

LineReader::LineReader(int fd, bool owns_fd, std::size_t max_line)
    : fd_(fd), owns_fd_(owns_fd), max_line_(max_line), buffer_(kChunk) {}

LineReader::LineReader(LineReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      owns_fd_(std::exchange(other.owns_fd_, false)),
      at_end_(std::exchange(other.at_end_, true)),
      max_line_(other.max_line_),
      buffer_(std::move(other.buffer_)),
      pos_(std::exchange(other.pos_, 0)),
      end_(std::exchange(other.end_, 0)),
      line_number_(other.line_number_) {}

LineReader& LineReader::operator=(LineReader&& other) noexcept {
    if (this != &other) {
        close_fd();
        fd_ = std::exchange(other.fd_, -1);
        owns_fd_ = std::exchange(other.owns_fd_, false);
        at_end_ = std::exchange(other.at_end_, true);
        max_line_ = other.max_line_;
        buffer_ = std::move(other.buffer_);
        pos_ = std::exchange(other.pos_, 0);
        end_ = std::exchange(other.end_, 0);
        line_number_ = other.line_number_;
    }
    return *this;
}

LineReader::~LineReader() { close_fd(); }

void LineReader::close_fd() noexcept {
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
    fd_ = -1;
    owns_fd_ = false;
}

std::optional<weft::Result<std::string>> LineReader::next() {
    if (at_end_) return std::nullopt;
    std::string line;
    bool seen_any = false;  // bytes of this line (or its newline) were read
    bool too_long = false;
    for (;;) {
        if (pos_ == end_) {
            ssize_t n;
            do {
                n = ::read(fd_, buffer_.data(), buffer_.size());
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                at_end_ = true;
                ++line_number_;
                return std::optional<weft::Result<std::string>>(weft::os_error(errno));
            }
            if (n == 0) {
                at_end_ = true;
                if (!seen_any) return std::nullopt;
                break;  // the last line had no newline
            }
            pos_ = 0;
            end_ = static_cast<std::size_t>(n);
        }
        seen_any = true;
        const char* begin = buffer_.data() + pos_;
        const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', end_ - pos_));
        const std::size_t take = newline ? static_cast<std::size_t>(newline - begin) : end_ - pos_;
        if (!too_long) {
            if (line.size() + take > max_line_ + 1) {  // + 1: room for the '\r' of a CRLF
                too_long = true;                       // keep reading to the newline, keep nothing
                std::string().swap(line);
            } else {
                line.append(begin, take);
            }
        }
        pos_ += take;
        if (newline) {
            ++pos_;
            break;
        }
    }
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    too_long = too_long || line.size() > max_line_;
    if (too_long)
        return std::optional<weft::Result<std::string>>(
            std::unexpected(std::make_error_code(std::errc::message_size)));
    if (line_number_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    return std::optional<weft::Result<std::string>>(std::move(line));
}

}  // namespace weft_fetch
