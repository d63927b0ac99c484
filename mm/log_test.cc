// Tests for log.c: line format, the number formatter, the level filter and truncation.
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "mm/testing/log_capture.h"

extern "C" {
#include "mm/log.h"
}

namespace {

using mm_testing::LogCapture;

TEST(LogEvent, FormatsEventThenKeyValuePairsAndNewline) {
  LogCapture cap(LOG_INFO);
  const log_kv kvs[] = {KV_U("free_slots", 72), KV_X("phys", 0x1000), KV_S("kind", "free_runs")};
  log_event(LOG_INFO, "mm.plan", kvs, 3);
  ASSERT_EQ(cap.raw().size(), 1u);
  EXPECT_EQ(cap.raw()[0], "mm.plan free_slots=72 phys=0x1000 kind=free_runs\n");
}

TEST(LogEvent, EventWithoutPairsIsJustTheName) {
  LogCapture cap(LOG_INFO);
  log_event(LOG_INFO, "mm.ready", nullptr, 0);
  ASSERT_EQ(cap.raw().size(), 1u);
  EXPECT_EQ(cap.raw()[0], "mm.ready\n");
}

TEST(LogEvent, DecimalCoversZeroAndMaximum) {
  LogCapture cap(LOG_INFO);
  const log_kv kvs[] = {KV_U("a", 0), KV_U("b", UINT64_MAX), KV_U("c", 1000000007)};
  log_event(LOG_INFO, "e", kvs, 3);
  EXPECT_EQ(cap.lines().at(0), "e a=0 b=18446744073709551615 c=1000000007");
}

TEST(LogEvent, HexIsLowercaseWithPrefixAndNoPadding) {
  LogCapture cap(LOG_INFO);
  const log_kv kvs[] = {KV_X("a", 0), KV_X("b", 0xDEADBEEFu), KV_X("c", UINT64_MAX), KV_X("d", 0x10)};
  log_event(LOG_INFO, "e", kvs, 4);
  EXPECT_EQ(cap.lines().at(0), "e a=0x0 b=0xdeadbeef c=0xffffffffffffffff d=0x10");
}

TEST(LogEvent, NullStringsPrintAsNullMarker) {
  LogCapture cap(LOG_INFO);
  const log_kv kvs[] = {KV_S("label", nullptr)};
  log_event(LOG_INFO, nullptr, kvs, 1);
  EXPECT_EQ(cap.lines().at(0), "(null) label=(null)");
}

TEST(LogEvent, StringValuesStayOneTokenSoTheLineParses) {
  LogCapture cap(LOG_INFO);
  const log_kv kvs[] = {KV_S("reason", "counts did not\treturn=x"), KV_S("empty", ""), KV_U("n", 1)};
  log_event(LOG_INFO, "panic", kvs, 3);
  EXPECT_EQ(cap.lines().at(0), "panic reason=counts_did_not_return_x empty=- n=1");
}

TEST(LogEvent, DebugStructuredMacroCountsItsPairs) {
  LogCapture cap(LOG_DEBUG);
  debug_structured(LOG_DEBUG, "mm.carve", KV_S("kind", "reserved"), KV_X("phys", 0x200000), KV_U("bytes", 4096));
  EXPECT_EQ(cap.lines().at(0), "mm.carve kind=reserved phys=0x200000 bytes=4096");
}

TEST(LogLevel, DefaultIsInfoAndFiltersDebug) {
  LogCapture cap(LOG_INFO);
  EXPECT_EQ(log_get_level(), LOG_INFO);
  EXPECT_TRUE(log_enabled(LOG_ERROR));
  EXPECT_TRUE(log_enabled(LOG_WARN));
  EXPECT_TRUE(log_enabled(LOG_INFO));
  EXPECT_FALSE(log_enabled(LOG_DEBUG));
  log_line(LOG_DEBUG, "hidden");
  log_line(LOG_WARN, "shown");
  ASSERT_EQ(cap.lines().size(), 1u);
  EXPECT_EQ(cap.lines()[0], "shown");
}

TEST(LogLevel, ErrorLevelShowsOnlyErrors) {
  LogCapture cap(LOG_ERROR);
  log_line(LOG_WARN, "w");
  log_line(LOG_INFO, "i");
  log_line(LOG_ERROR, "e");
  ASSERT_EQ(cap.lines().size(), 1u);
  EXPECT_EQ(cap.lines()[0], "e");
}

TEST(LogLevel, DebugLevelShowsEverything) {
  LogCapture cap(LOG_DEBUG);
  log_line(LOG_DEBUG, "d");
  log_line(LOG_INFO, "i");
  EXPECT_EQ(cap.lines().size(), 2u);
}

TEST(LogSink, NullSinkDiscardsLines) {
  log_set_sink(nullptr, nullptr);
  log_line(LOG_ERROR, "nobody hears this");  // must not crash
  LogCapture cap(LOG_INFO);
  EXPECT_TRUE(cap.lines().empty());
}

TEST(LogLine, PrintsTextVerbatim) {
  LogCapture cap(LOG_INFO);
  log_line(LOG_INFO, "runtime allocator initialized");
  ASSERT_EQ(cap.raw().size(), 1u);
  EXPECT_EQ(cap.raw()[0], "runtime allocator initialized\n");
}

TEST(LogTruncation, LongLineIsCutAtLineMaxAndKeepsNewline) {
  LogCapture cap(LOG_INFO);
  std::string value(1000, 'v');
  const log_kv kvs[] = {KV_S("k", value.c_str()), KV_U("after", 5)};
  log_event(LOG_INFO, "mm.long", kvs, 2);
  ASSERT_EQ(cap.raw().size(), 1u);
  const std::string& raw = cap.raw()[0];
  EXPECT_EQ(raw.size(), static_cast<size_t>(LOG_LINE_MAX));
  EXPECT_EQ(raw.back(), '\n');
  EXPECT_EQ(raw.compare(0, 10, "mm.long k="), 0);
  EXPECT_EQ(raw.find("after"), std::string::npos);
}

TEST(LogTruncation, NumberAtTheBoundaryIsCutNotOverflowed) {
  LogCapture cap(LOG_INFO);
  std::string pad(LOG_LINE_MAX - 8, 'p');
  const log_kv kvs[] = {KV_X("x", UINT64_MAX)};
  log_event(LOG_INFO, pad.c_str(), kvs, 1);
  ASSERT_EQ(cap.raw().size(), 1u);
  EXPECT_EQ(cap.raw()[0].size(), static_cast<size_t>(LOG_LINE_MAX));
  EXPECT_EQ(cap.raw()[0], pad + " x=0xff\n");
}

TEST(LogTruncation, LineOfExactlyMaxMinusOneFitsWhole) {
  LogCapture cap(LOG_INFO);
  std::string text(LOG_LINE_MAX - 1, 't');
  log_line(LOG_INFO, text.c_str());
  EXPECT_EQ(cap.raw().at(0), text + "\n");
}

}  // namespace
