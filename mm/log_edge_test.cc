// Tests for log.c's edge cases: a level above LOG_DEBUG and a key/value of unknown kind.
#include <cstdint>

#include "gtest/gtest.h"
#include "mm/testing/log_capture.h"

extern "C" {
#include "mm/log.h"
}

namespace {

using mm_testing::LogCapture;

TEST(LogLevel, LevelAboveDebugIsClampedToDebug) {
  LogCapture cap(LOG_INFO);
  log_set_level(static_cast<log_level>(LOG_DEBUG + 5));
  EXPECT_EQ(log_get_level(), LOG_DEBUG);
  EXPECT_TRUE(log_enabled(LOG_DEBUG));
  log_line(LOG_DEBUG, "still printed");
  ASSERT_EQ(cap.raw().size(), 1u);
  EXPECT_EQ(cap.raw()[0], "still printed\n");
}

TEST(LogEvent, ValueOfUnknownKindPrintsAQuestionMark) {
  LogCapture cap(LOG_INFO);
  const log_kv kvs[] = {KV_U("a", 1), {"b", static_cast<log_kv_kind>(9), 7, "x"}, KV_S("c", "z")};
  log_event(LOG_INFO, "mm.odd", kvs, 3);
  ASSERT_EQ(cap.raw().size(), 1u);
  EXPECT_EQ(cap.raw()[0], "mm.odd a=1 b=? c=z\n");
}

}  // namespace
