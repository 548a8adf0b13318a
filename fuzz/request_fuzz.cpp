// serialize_request on arbitrary method, target, Host, header fields and body (length-prefixed
// pieces of the input). Whatever it accepts must be exactly one well-formed request head: the
// right number of CRLF-terminated lines, no stray CR or LF, each field line `token: value`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <weft/http/request.hpp>

#include "fuzz_check.hpp"
#include "http/chars.hpp"

namespace {

// Takes a piece whose length is given by the next input byte.
std::string_view take(std::string_view& in) {
    if (in.empty()) return {};
    std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(in.front()), in.size() - 1);
    std::string_view piece = in.substr(1, n);
    in.remove_prefix(1 + n);
    return piece;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    weft::http::RequestView req;
    req.method = take(in);
    req.target = take(in);
    req.host = take(in);
    std::vector<weft::http::Field> fields;
    std::size_t count = in.empty() ? 0 : static_cast<unsigned char>(in.front()) % 9;
    if (!in.empty()) in.remove_prefix(1);
    for (std::size_t i = 0; i < count; ++i) {
        std::string_view name = take(in);
        std::string_view value = take(in);
        fields.push_back({name, value});
    }
    req.headers = fields;
    if (!in.empty() && (in.front() & 1)) {
        in.remove_prefix(1);
        req.body = in;
    }

    std::string out = "prefix";
    auto r = weft::http::serialize_request(req, out);
    if (!r) {
        FUZZ_CHECK(out == "prefix");
        return 0;
    }
    std::string_view wire(out);
    wire.remove_prefix(6);
    auto end = wire.find("\r\n\r\n");
    FUZZ_CHECK(end != std::string_view::npos);
    std::string_view head = wire.substr(0, end + 2);
    std::string_view body = wire.substr(end + 4);
    FUZZ_CHECK(body == req.body.value_or(""));

    std::vector<std::string_view> lines;
    while (!head.empty()) {
        auto crlf = head.find("\r\n");
        FUZZ_CHECK(crlf != std::string_view::npos);
        std::string_view line = head.substr(0, crlf);
        FUZZ_CHECK(line.find_first_of("\r\n") == std::string_view::npos);  // no stray CR or LF
        lines.push_back(line);
        head.remove_prefix(crlf + 2);
    }
    FUZZ_CHECK(lines.size() == 2 + fields.size() + (req.body ? 1 : 0));
    FUZZ_CHECK(lines[0] == std::string(req.method) + " " + std::string(req.target) + " HTTP/1.1");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        auto colon = lines[i].find(':');
        FUZZ_CHECK(colon != std::string_view::npos);
        FUZZ_CHECK(weft::http::detail::is_token(lines[i].substr(0, colon)));
        FUZZ_CHECK(lines[i].substr(colon, 2) == ": ");
    }
    FUZZ_CHECK(lines[1] == "Host: " + std::string(req.host));
    return 0;
}
