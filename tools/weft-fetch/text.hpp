#pragma once

// Small text-formatting helpers shared by the summary and the progress line (GCC 12 has no
// <format>). ASCII only, so that byte counts are column widths.

#include <cstdint>
#include <string>
#include <string_view>

namespace weft_fetch::text {

/// `value` with exactly `decimals` digits after the point: fixed(3.14159, 2) == "3.14".
/// NaN and infinities print as "-".
std::string fixed(double value, int decimals);

/// `s` padded with spaces on the left (right-aligned) to `width`: pad_left("7", 3) == "  7".
std::string pad_left(std::string_view s, std::size_t width);
/// `s` padded with spaces on the right (left-aligned) to `width`: pad_right("ab", 4) == "ab  ".
std::string pad_right(std::string_view s, std::size_t width);

/// A byte count in binary units with two decimals: bytes(1536) == "1.50 KiB", bytes(12) == "12 B".
std::string bytes(double n);

/// A non-negative duration in whole seconds, rounded up, as "4s", "3m05s" or "1h02m".
/// NaN or negative prints as "-"; more than 99 hours prints as ">99h".
std::string eta(double seconds);

/// An integer with thousands separators: grouped(1234567) == "1,234,567".
std::string grouped(std::uint64_t n);

}  // namespace weft_fetch::text
