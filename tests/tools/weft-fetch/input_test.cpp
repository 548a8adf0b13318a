#include "input.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>
#include <weft/http/error.hpp>

namespace {

using weft::http::Errc;
using weft_fetch::LineReader;
using weft_fetch::parse_target_line;

// --- parse_target_line ---------------------------------------------------------------------

std::string url_of(std::string_view line) {
    auto r = parse_target_line(line);
    EXPECT_TRUE(r.has_value()) << "skipped: " << line;
    if (!r) return "<skipped>";
    EXPECT_TRUE(r->has_value()) << line << ": " << r->error().message();
    return r->has_value() ? **r : "<error>";
}

std::error_code error_of(std::string_view line) {
    auto r = parse_target_line(line);
    EXPECT_TRUE(r.has_value()) << "skipped: " << line;
    if (!r) return {};
    EXPECT_FALSE(r->has_value()) << line << " -> " << **r;
    return r->has_value() ? std::error_code{} : r->error();
}

TEST(FetchInput, UrlsAreValidatedAndNormalized) {
    EXPECT_EQ(url_of("http://example.com/a?b=1"), "http://example.com/a?b=1");
    EXPECT_EQ(url_of("HTTP://Example.COM:80/a#frag"), "http://example.com/a");
    EXPECT_EQ(url_of("https://x.y"), "https://x.y/");
    EXPECT_EQ(url_of("https://[::1]:8443/p"), "https://[::1]:8443/p");
    EXPECT_EQ(url_of("  \t http://h/x \r"), "http://h/x");
    EXPECT_EQ(url_of("http://h/x\r\n"), "http://h/x");
}

TEST(FetchInput, BlankLinesAndCommentsAreSkipped) {
    for (std::string_view line :
         {"", " ", "\t\t", "\r", "\r\n", "# comment", "   # indented comment", "#http://h/"}) {
        EXPECT_FALSE(parse_target_line(line).has_value()) << "[" << line << "]";
    }
}

TEST(FetchInput, SeedFormatHostPortPath) {
    EXPECT_EQ(url_of("example.com 8080 /index.html"), "http://example.com:8080/index.html");
    EXPECT_EQ(url_of("example.com 80 /"), "http://example.com/");  // normalized: default port dropped
    EXPECT_EQ(url_of("Example.COM\t8080\t\tindex.html"), "http://example.com:8080/index.html");
    EXPECT_EQ(url_of("127.0.0.1 1 /a/b?c=d"), "http://127.0.0.1:1/a/b?c=d");
    EXPECT_EQ(url_of("127.0.0.1 65535 /"), "http://127.0.0.1:65535/");
    EXPECT_EQ(url_of("::1 8080 x"), "http://[::1]:8080/x");
    EXPECT_EQ(url_of("[::1] 8080 /x"), "http://[::1]:8080/x");
    EXPECT_EQ(url_of("  fe80::1   9000   /deep/path  \r"), "http://[fe80::1]:9000/deep/path");
}

TEST(FetchInput, EverythingElseIsAnError) {
    EXPECT_EQ(error_of("example.com"), Errc::invalid_url);  // no scheme
    EXPECT_EQ(error_of("example.com/path"), Errc::invalid_url);
    EXPECT_EQ(error_of("ftp://example.com/"), Errc::unsupported_scheme);
    EXPECT_EQ(error_of("http://user:pw@h/"), Errc::invalid_url);
    EXPECT_EQ(error_of("http://h/ extra"), Errc::invalid_url);  // two fields
    EXPECT_EQ(error_of("h 80 / extra"), Errc::invalid_url);     // four fields
    EXPECT_EQ(error_of("h eighty /"), Errc::invalid_url);       // port not numeric
    EXPECT_EQ(error_of("h 0 /"), Errc::invalid_url);            // port out of range
    EXPECT_EQ(error_of("h 65536 /"), Errc::invalid_url);
    EXPECT_EQ(error_of("h 000080 /"), Errc::invalid_url);  // more than 5 digits
    EXPECT_EQ(error_of("h -80 /"), Errc::invalid_url);
    EXPECT_EQ(error_of("bad_host! 80 /"), Errc::invalid_url);  // host Url::parse rejects
    EXPECT_EQ(error_of("http://h/ 80 /"), Errc::invalid_url);  // a URL is not a host
    EXPECT_EQ(error_of("h 80 /a\x01"
                       "b"),
              Errc::invalid_url);  // control byte in the path
    EXPECT_EQ(error_of("http://h/\x7f"), Errc::invalid_url);
}

// --- LineReader -------------------------------------------------------------------------------

// A temporary file with `contents`, removed at the end of the test.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& contents) {
        char name[] = "/tmp/weft-fetch-input-XXXXXX";
        int fd = mkstemp(name);
        EXPECT_GE(fd, 0);
        path = name;
        std::size_t off = 0;
        while (off < contents.size()) {
            ssize_t n = write(fd, contents.data() + off, contents.size() - off);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        close(fd);
    }
    ~TempFile() { unlink(path.c_str()); }
};

// All lines of `reader`, errors as "<error: message>".
std::vector<std::string> read_all(LineReader& reader) {
    std::vector<std::string> out;
    while (auto line = reader.next())
        out.push_back(*line ? **line : "<error: " + line->error().message() + ">");
    return out;
}

std::vector<std::string> lines_of_file(const std::string& contents,
                                       std::size_t max_line = LineReader::kDefaultMaxLine) {
    TempFile file(contents);
    auto reader = LineReader::open(file.path, max_line);
    EXPECT_TRUE(reader.has_value());
    if (!reader) return {};
    return read_all(*reader);
}

using Lines = std::vector<std::string>;

TEST(FetchLineReader, SplitsLinesAndHandlesEndings) {
    EXPECT_EQ(lines_of_file(""), Lines{});
    EXPECT_EQ(lines_of_file("\n"), Lines{""});
    EXPECT_EQ(lines_of_file("a"), Lines{"a"});    // last line without newline
    EXPECT_EQ(lines_of_file("a\n"), Lines{"a"});  // no extra empty line
    EXPECT_EQ(lines_of_file("a\nb"), (Lines{"a", "b"}));
    EXPECT_EQ(lines_of_file("a\n\nb\n"), (Lines{"a", "", "b"}));
    EXPECT_EQ(lines_of_file("a\r\nb\r\n"), (Lines{"a", "b"}));  // CRLF
    EXPECT_EQ(lines_of_file("a\r\r\n"), Lines{"a\r"});          // only one CR belongs to the ending
    EXPECT_EQ(lines_of_file("a\rb\n"), Lines{"a\rb"});          // a lone CR is not an ending
    EXPECT_EQ(lines_of_file("\xEF\xBB\xBFhttp://h/\n\xEF\xBB\xBFx\n"), (Lines{"http://h/", "\xEF\xBB\xBFx"}));
}

TEST(FetchLineReader, CountsLines) {
    TempFile file("one\n\nthree\nfour");
    auto reader = LineReader::open(file.path);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->line_number(), 0u);
    for (std::uint64_t n = 1; n <= 4; ++n) {
        ASSERT_TRUE(reader->next());
        EXPECT_EQ(reader->line_number(), n);
    }
    EXPECT_FALSE(reader->next());
    EXPECT_FALSE(reader->next());  // stays at the end
    EXPECT_EQ(reader->line_number(), 4u);
}

TEST(FetchLineReader, OverlongLineIsAnErrorInItsPlace) {
    const std::string huge(1'000'000, 'x');  // 1 MB line, cap 64 KiB
    TempFile file("first\n" + huge + "\nlast\n");
    auto reader = LineReader::open(file.path);
    ASSERT_TRUE(reader);
    EXPECT_EQ(**reader->next(), "first");
    auto bad = reader->next();
    ASSERT_TRUE(bad);
    ASSERT_FALSE(bad->has_value());
    EXPECT_EQ(bad->error(), std::errc::message_size);
    EXPECT_EQ(reader->line_number(), 2u);
    EXPECT_EQ(**reader->next(), "last");
    EXPECT_FALSE(reader->next());
}

TEST(FetchLineReader, CapIsExactAndCrlfDoesNotCount) {
    EXPECT_EQ(lines_of_file("12345\n123456\n", 5), (Lines{"12345", "<error: Message too long>"}));
    EXPECT_EQ(lines_of_file("12345\r\n123456\r\n", 5), (Lines{"12345", "<error: Message too long>"}));
    EXPECT_EQ(lines_of_file("123456", 5), Lines{"<error: Message too long>"});  // at EOF too
    std::string exact(LineReader::kDefaultMaxLine, 'y');
    EXPECT_EQ(lines_of_file(exact + "\n" + exact + "y"), (Lines{exact, "<error: Message too long>"}));
}

TEST(FetchLineReader, LinesAcrossReadChunks) {
    // Lines of every length around the 64 KiB read size, so line ends fall on chunk edges.
    std::string contents;
    Lines expected;
    for (std::size_t len : {65535u, 1u, 0u, 65536u, 3u, 65537u, 7u}) {
        expected.push_back(std::string(len, static_cast<char>('a' + expected.size())));
        contents += expected.back() + (len % 2 ? "\r\n" : "\n");
    }
    EXPECT_EQ(lines_of_file(contents, 70'000), expected);
}

TEST(FetchLineReader, ManyLinesFromAFile) {
    std::string contents;
    for (int i = 0; i < 100'000; ++i) contents += "http://h/" + std::to_string(i) + "\n";
    TempFile file(contents);
    auto reader = LineReader::open(file.path);
    ASSERT_TRUE(reader);
    int i = 0;
    while (auto line = reader->next()) {
        ASSERT_TRUE(*line);
        ASSERT_EQ(**line, "http://h/" + std::to_string(i)) << i;
        ++i;
    }
    EXPECT_EQ(i, 100'000);
}

TEST(FetchLineReader, PipeWithSlowWriterAndPartialWrites) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    // The writer sends lines in odd pieces (a line split over writes, several lines in one).
    std::thread writer([fd = fds[1]] {
        for (std::string_view piece : {"http://a/", "1\nhttp://b/2\r", "\n", "\nlast-without-newline"}) {
            ASSERT_EQ(write(fd, piece.data(), piece.size()), static_cast<ssize_t>(piece.size()));
        }
        close(fd);
    });
    LineReader reader(fds[0], /*owns_fd=*/true);
    EXPECT_EQ(read_all(reader), (Lines{"http://a/1", "http://b/2", "", "last-without-newline"}));
    writer.join();
    EXPECT_EQ(reader.line_number(), 4u);
}

TEST(FetchLineReader, OpenErrorsAndReadErrors) {
    auto missing = LineReader::open("/nonexistent/weft-fetch/urls.txt");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);

    // A directory opens but cannot be read (EISDIR): one error, then the end.
    auto dir = LineReader::open("/tmp");
    ASSERT_TRUE(dir);
    auto first = dir->next();
    ASSERT_TRUE(first);
    ASSERT_FALSE(first->has_value());
    EXPECT_EQ(first->error(), std::errc::is_a_directory);
    EXPECT_FALSE(dir->next());
}

TEST(FetchLineReader, StdinIsDashAndIsNotClosed) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    int saved = dup(STDIN_FILENO);
    ASSERT_GE(saved, 0);
    ASSERT_EQ(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    ASSERT_EQ(write(fds[1], "x\ny\n", 4), 4);
    close(fds[1]);
    {
        auto reader = LineReader::open("-");
        ASSERT_TRUE(reader);
        EXPECT_EQ(read_all(*reader), (Lines{"x", "y"}));
    }
    EXPECT_NE(fcntl(STDIN_FILENO, F_GETFD), -1);  // still open after the reader is gone
    dup2(saved, STDIN_FILENO);
    close(saved);
}

TEST(FetchLineReader, MovedReaderKeepsItsPlace) {
    TempFile file("a\nb\nc\n");
    auto opened = LineReader::open(file.path);
    ASSERT_TRUE(opened);
    LineReader reader = std::move(*opened);
    EXPECT_EQ(**reader.next(), "a");
    LineReader other(-1);
    other = std::move(reader);
    EXPECT_EQ(**other.next(), "b");
    EXPECT_EQ(other.line_number(), 2u);
    EXPECT_EQ(read_all(other), Lines{"c"});
    EXPECT_FALSE(reader.next());  // NOLINT(bugprone-use-after-move): a moved-from reader is at its end
}

TEST(FetchLineReader, ReaderAndParserTogether) {
    TempFile file("# targets\r\nhttp://a/\r\n\r\nb.example 8080 /x\r\nnot a url\r\n");
    auto reader = LineReader::open(file.path);
    ASSERT_TRUE(reader);
    Lines urls;
    std::vector<std::uint64_t> bad_lines;
    while (auto line = reader->next()) {
        ASSERT_TRUE(*line);
        if (auto target = parse_target_line(**line)) {
            if (*target)
                urls.push_back(**target);
            else
                bad_lines.push_back(reader->line_number());
        }
    }
    EXPECT_EQ(urls, (Lines{"http://a/", "http://b.example:8080/x"}));
    EXPECT_EQ(bad_lines, std::vector<std::uint64_t>{5});
}

}  // namespace
