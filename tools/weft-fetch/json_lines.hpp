#pragma once

// weft-fetch's `-o FILE` output: one JSON object per request, one per line (JSON Lines), so the
// file can be streamed into `jq`, a database or a spreadsheet while the run is still going.

#include <string>
#include <string_view>

#include "record.hpp"

namespace weft_fetch {

/// `rec` as one JSON object followed by '\n', with the fields in a fixed order:
///
///     {"url":"http://h/","status":200,"bytes":512,"ms":1.250,"error":null,"message":null,"attempts":1}
///
/// - `status` is null when there was no response (0); `ms` has three decimals (null if not finite).
/// - `error` is the kind's name (`weft::http::to_string`) or null on success; `message` is the
///   error message or null when empty.
/// - Strings are always valid JSON: quotes, backslashes and control characters are escaped, and
///   bytes that are not valid UTF-8 become U+FFFD, so a hostile URL cannot break the line.
std::string to_json_line(const RequestRecord& rec);

/// Appends `s` to `out` as a JSON string literal (quotes included), with the escaping described
/// at `to_json_line`.
///
///     std::string out;
///     weft_fetch::append_json_string(out, "a\"b\n");   // out == R"("a\"b\n")"
void append_json_string(std::string& out, std::string_view s);

}  // namespace weft_fetch
