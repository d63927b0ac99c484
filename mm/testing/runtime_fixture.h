// runtime_fixture.h: the fixture the global runtime cell's tests share (mm/runtime_test.cc,
// runtime_cache_test.cc, runtime_mt_test.cc, boot/smp_stress_test.cc): the bring-up pipeline up to the hand-off on
// simulated memory -- firmware map -> reservations (the kernel image) -> plan -> carve -- and the hand-off to the
// global cell (initialize_runtime_allocator). Each suite passes its own map and kernel image size.
#ifndef MM_TESTING_RUNTIME_FIXTURE_H
#define MM_TESTING_RUNTIME_FIXTURE_H

#include <cstdint>
#include <functional>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/carve.h"
#include "mm/runtime.h"
}

namespace mm_testing {

class RuntimeFixture : public ::testing::Test {
 protected:
  // Forgets the global cell, then normalizes `descs`, reserves [kernel_base, kernel_base + kernel_frames frames)
  // as the kernel image, plans and carves the runtime storage. A failing step fails the test fatally: call it as
  // ASSERT_NO_FATAL_FAILURE(BuildPipeline(...)) from SetUp.
  void BuildPipeline(const std::vector<mm_efi_descriptor>& descs, phys_addr_t kernel_base, uint64_t kernel_frames) {
    mm_runtime_reset_for_tests();
    map_ = Normalize(descs);
    ASSERT_EQ(map_.status, MM_OK);
    mm_reservation_set_init(&set_, storage_, 32);
    ASSERT_EQ(mm_reservation_add(&set_, kernel_base, kernel_frames * MM_FRAME_SIZE, MM_RES_KERNEL_IMAGE, "kernel"),
              MM_OK);
    mm_early_init(&early_, &map_.map, &set_);
    plan_ = runtime_storage_plan(&map_.map, set_.count);
    ASSERT_EQ(carve_option_storage(&early_, &plan_, phys_.window(), &carved_), MM_OK);
  }

  // The hand-off of what BuildPipeline made to the global cell (initialize_runtime_allocator's result).
  mm_status Initialize() { return initialize_runtime_allocator(&map_.map, &set_, &carved_, phys_.window()); }

  // Forgets the global cell, its owner and its relax function (mm_runtime_reset_for_tests).
  void TearDown() override { mm_runtime_reset_for_tests(); }

  SimPhys phys_;
  NormalizedMap map_;
  mm_reservation storage_[32];
  mm_reservation_set set_;
  mm_early_allocator early_;
  mm_storage_plan plan_;
  mm_carved_storage carved_;
};

// Runs `body` under with_runtime_allocator and returns its result (or the cell's refusal).
using RuntimeBody = std::function<mm_status(mm_phys_allocator*)>;
inline mm_status CallRuntimeBody(mm_phys_allocator* alloc, void* ctx) {
  return (*static_cast<RuntimeBody*>(ctx))(alloc);
}
inline mm_status WithRuntime(RuntimeBody body) { return with_runtime_allocator(&CallRuntimeBody, &body); }

}  // namespace mm_testing

#endif  // MM_TESTING_RUNTIME_FIXTURE_H
