// Tests for handoff.c's stage names: every stage has its function's name, anything else is "unknown".
#include "gtest/gtest.h"

extern "C" {
#include "mm/handoff.h"
}

namespace {

TEST(HandoffStageName, EveryStageIsNamedAfterItsFunction) {
  EXPECT_STREQ(mm_handoff_stage_name(MM_HANDOFF_DONE), "done");
  EXPECT_STREQ(mm_handoff_stage_name(MM_HANDOFF_PLAN), "runtime_storage_plan");
  EXPECT_STREQ(mm_handoff_stage_name(MM_HANDOFF_CARVE), "carve_option_storage");
  EXPECT_STREQ(mm_handoff_stage_name(MM_HANDOFF_INITIALIZE), "initialize_runtime_allocator");
}

TEST(HandoffStageName, OutOfRangeStageIsUnknown) {
  EXPECT_STREQ(mm_handoff_stage_name(static_cast<mm_handoff_stage>(MM_HANDOFF_INITIALIZE + 1)), "unknown");
  EXPECT_STREQ(mm_handoff_stage_name(static_cast<mm_handoff_stage>(-1)), "unknown");
}

}  // namespace
