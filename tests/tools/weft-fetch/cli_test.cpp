// The weft-fetch binary end to end, as a separate process, against the bundled server running
// in this test process: list mode from a file with JSON lines out, load mode, retries, --save,
// Ctrl-C (exit 130 with a partial summary), usage errors (exit 2) and the demo.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <weft/http/demo_server.hpp>

#include "support/child_process.hpp"

extern char** environ;

#ifdef WEFT_FETCH_BIN

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A temporary directory removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "weft-fetch-test-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

/// A weft-fetch process with stdout and stderr going to files in `dir`.
struct Process {
    pid_t pid = -1;
    fs::path out, err;

    Process(const fs::path& dir, const std::vector<std::string>& args)
        : out(dir / "stdout"), err(dir / "stderr") {
        std::vector<std::string> all{WEFT_FETCH_BIN};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    /// Exit status, or -1 if it did not exit within `limit` (it is then killed).
    int wait(std::chrono::milliseconds limit = 60s) {
        const std::optional<int> status = weft::test::wait_or_kill(pid, limit);
        if (!status) return -1;
        return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    }
    std::string stdout_text() const { return slurp(out); }
    std::string stderr_text() const { return slurp(err); }
};

int run(const fs::path& dir, const std::vector<std::string>& args) { return Process(dir, args).wait(); }

TEST(WeftFetchCli, FetchesAListFromAFileWithOneJsonLinePerRequest) {
    auto server = weft::http::DemoServer::start().value();
    TempDir tmp;
    {
        std::ofstream list(tmp.path / "urls.txt");
        list << "# a comment, then a blank line\n\n"
             << server->url("/hello") << "\n"
             << "127.0.0.1 " << server->port() << " /bytes/100\r\n"  // the seed's form, CRLF
             << "not a url\n"
             << server->url("/missing") << "\n";
    }
    Process p(tmp.path, {"-i", (tmp.path / "urls.txt").string(), "-o", (tmp.path / "out.jsonl").string(),
                         "--progress", "never", "-c", "2"});
    EXPECT_EQ(p.wait(), 1);  // one line is not a URL
    auto records = lines_of(slurp(tmp.path / "out.jsonl"));
    ASSERT_EQ(records.size(), 4u) << slurp(tmp.path / "out.jsonl");
    std::string all = slurp(tmp.path / "out.jsonl");
    EXPECT_NE(all.find("\"status\":200,\"bytes\":14"), std::string::npos) << all;
    EXPECT_NE(all.find("\"status\":200,\"bytes\":100"), std::string::npos) << all;
    EXPECT_NE(all.find("\"status\":404"), std::string::npos) << all;
    EXPECT_NE(all.find("\"error\":\"invalid_request\""), std::string::npos) << all;
    auto summary = p.stdout_text();
    EXPECT_NE(summary.find("404"), std::string::npos) << summary;
    EXPECT_NE(summary.find("invalid_request"), std::string::npos) << summary;
}

TEST(WeftFetchCli, LoadModeSendsExactlyNRequestsOverKeptAliveConnections) {
    auto server = weft::http::DemoServer::start().value();
    TempDir tmp;
    Process p(tmp.path, {"bench", server->url("/hello"), "-n", "500", "-c", "4", "--progress", "never"});
    EXPECT_EQ(p.wait(), 0) << p.stderr_text();
    server->stop();  // joins: the server counts a response after the client may have read it
    EXPECT_EQ(server->requests_served(), 500u);
    EXPECT_LE(server->connections_accepted(), 4u);
    EXPECT_NE(p.stdout_text().find("500"), std::string::npos) << p.stdout_text();
}

TEST(WeftFetchCli, RetriesServerErrorsAndSavesBodies) {
    auto server = weft::http::DemoServer::start().value();
    TempDir tmp;
    fs::path saved = tmp.path / "bodies";
    Process p(tmp.path, {"--retries", "2", "--save", saved.string(), "-o", (tmp.path / "out.jsonl").string(),
                         "--progress", "never", server->url("/status/503"), server->url("/bytes/1000")});
    EXPECT_EQ(p.wait(), 0) << p.stderr_text();  // a 503 is a response, not a failure
    std::string all = slurp(tmp.path / "out.jsonl");
    EXPECT_NE(all.find("\"status\":503"), std::string::npos) << all;
    EXPECT_NE(all.find("\"attempts\":3"), std::string::npos) << all;
    server->stop();                            // every count final, as above
    EXPECT_EQ(server->requests_served(), 4u);  // 3 tries of the 503, 1 of the other
    std::size_t files = 0, thousand = 0;
    for (auto& entry : fs::directory_iterator(saved)) {
        ++files;
        if (fs::file_size(entry.path()) == 1000) ++thousand;
    }
    EXPECT_EQ(files, 2u);
    EXPECT_EQ(thousand, 1u);
}

TEST(WeftFetchCli, CtrlCCancelsInFlightRequestsAndPrintsThePartialSummary) {
    auto server = weft::http::DemoServer::start().value();
    TempDir tmp;
    std::vector<std::string> args{"--progress", "never", "-o", (tmp.path / "out.jsonl").string()};
    for (int i = 0; i < 5; ++i) args.push_back(server->url("/delay/20000"));
    Process p(tmp.path, args);
    // Wait until every request reached the server, then interrupt.
    for (int i = 0; i < 2000 && server->requests_received() < 5; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_EQ(server->requests_received(), 5u);
    auto sent = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(p.pid, SIGINT), 0);
    EXPECT_EQ(p.wait(10s), 130);
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 2s);
    EXPECT_NE(p.stdout_text().find("interrupted"), std::string::npos) << p.stdout_text();
    auto records = lines_of(slurp(tmp.path / "out.jsonl"));
    EXPECT_EQ(records.size(), 5u);
    for (auto& r : records) EXPECT_NE(r.find("\"error\":\"cancelled\""), std::string::npos) << r;
}

TEST(WeftFetchCli, RateLimitsTheRequestsStarted) {
    // 41 requests at 200/s with a burst of 20 ms worth (4 cells): the limiter cannot let them
    // all start before (41 - 4) / 200 s = 185 ms. Only this lower bound is certain.
    auto server = weft::http::DemoServer::start().value();
    TempDir tmp;
    std::vector<std::string> args{"--rate", "200/s", "--progress", "never", "-q"};
    for (int i = 0; i < 41; ++i) args.push_back(server->url("/hello"));
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(run(tmp.path, args), 0);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 185ms);
    EXPECT_EQ(server->requests_received(), 41u);
}

TEST(WeftFetchCli, UsageErrorsExitWith2) {
    TempDir tmp;
    EXPECT_EQ(run(tmp.path, {}), 2);
    EXPECT_EQ(run(tmp.path, {"--rate", "0", "http://127.0.0.1:1/"}), 2);
    EXPECT_EQ(run(tmp.path, {"--rate", "5/fortnight", "http://127.0.0.1:1/"}), 2);
    EXPECT_EQ(run(tmp.path, {"-H", "no colon", "http://127.0.0.1:1/"}), 2);
    EXPECT_EQ(run(tmp.path, {"--no-such-flag"}), 2);
    EXPECT_EQ(run(tmp.path, {"-i", (tmp.path / "does-not-exist").string()}), 2);
    EXPECT_EQ(run(tmp.path, {"--help"}), 0);
}

TEST(WeftFetchCli, DemoRunsAgainstTheBundledServer) {
    TempDir tmp;
    Process p(tmp.path, {"demo", "-n", "1000", "-c", "50", "--progress", "never"});
    EXPECT_EQ(p.wait(), 0) << p.stdout_text() << p.stderr_text();
    auto out = p.stdout_text();
    EXPECT_NE(out.find("connect_refused"), std::string::npos) << out;
    EXPECT_NE(out.find("timeout"), std::string::npos) << out;
    EXPECT_NE(out.find("p99"), std::string::npos) << out;
}

}  // namespace

#endif  // WEFT_FETCH_BIN
