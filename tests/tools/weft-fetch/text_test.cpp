#include "text.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace {

namespace text = weft_fetch::text;

TEST(FetchText, Fixed) {
    EXPECT_EQ(text::fixed(3.14159, 2), "3.14");
    EXPECT_EQ(text::fixed(2.5, 0), "2");  // round-half-even, as printf
    EXPECT_EQ(text::fixed(1234.5, 1), "1234.5");
    EXPECT_EQ(text::fixed(-0.0001, 2), "0.00");
    EXPECT_EQ(text::fixed(-1.5, 1), "-1.5");
    EXPECT_EQ(text::fixed(1e300, 1).size(), 303u);
    EXPECT_EQ(text::fixed(std::numeric_limits<double>::quiet_NaN(), 2), "-");
    EXPECT_EQ(text::fixed(std::numeric_limits<double>::infinity(), 2), "-");
}

TEST(FetchText, Padding) {
    EXPECT_EQ(text::pad_left("7", 3), "  7");
    EXPECT_EQ(text::pad_left("1234", 3), "1234");
    EXPECT_EQ(text::pad_right("ab", 4), "ab  ");
    EXPECT_EQ(text::pad_right("abcde", 4), "abcde");
}

TEST(FetchText, Bytes) {
    EXPECT_EQ(text::bytes(0), "0 B");
    EXPECT_EQ(text::bytes(1023), "1023 B");
    EXPECT_EQ(text::bytes(1024), "1.00 KiB");
    EXPECT_EQ(text::bytes(1536), "1.50 KiB");
    EXPECT_EQ(text::bytes(10.0 * 1024 * 1024), "10.00 MiB");
    EXPECT_EQ(text::bytes(3.0 * 1024 * 1024 * 1024), "3.00 GiB");
    EXPECT_EQ(text::bytes(-1), "-");
}

TEST(FetchText, Eta) {
    EXPECT_EQ(text::eta(0), "0s");
    EXPECT_EQ(text::eta(0.2), "1s");  // rounded up: never "0s" while work remains
    EXPECT_EQ(text::eta(59), "59s");
    EXPECT_EQ(text::eta(59.5), "1m00s");
    EXPECT_EQ(text::eta(65), "1m05s");
    EXPECT_EQ(text::eta(3599), "59m59s");
    EXPECT_EQ(text::eta(3600), "1h00m");
    EXPECT_EQ(text::eta(3600 * 5 + 60 * 7 + 30), "5h07m");
    EXPECT_EQ(text::eta(100.0 * 3600), ">99h");
    EXPECT_EQ(text::eta(std::numeric_limits<double>::infinity()), ">99h");
    EXPECT_EQ(text::eta(-1), "-");
    EXPECT_EQ(text::eta(std::numeric_limits<double>::quiet_NaN()), "-");
}

TEST(FetchText, Grouped) {
    EXPECT_EQ(text::grouped(0), "0");
    EXPECT_EQ(text::grouped(999), "999");
    EXPECT_EQ(text::grouped(1000), "1,000");
    EXPECT_EQ(text::grouped(1234567), "1,234,567");
    EXPECT_EQ(text::grouped(18446744073709551615u), "18,446,744,073,709,551,615");
}

}  // namespace
