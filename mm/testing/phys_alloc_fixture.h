// phys_alloc_fixture.h: the fixture the runtime allocator's white-box tests share (phys_alloc_test.cc,
// phys_alloc_spans_test.cc): one usable region handed over through the harness, helpers that read the free runs
// and stats, and a check that a failing operation leaves state exactly as it was.
#ifndef MM_TESTING_PHYS_ALLOC_FIXTURE_H
#define MM_TESTING_PHYS_ALLOC_FIXTURE_H

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/phys_harness.h"
#include "mm/testing/reference_model.h"

namespace mm_testing_phys_alloc {

using mm_testing::AllocatorFreeRuns;
using mm_testing::PhysHarness;
using mm_testing::RegionSpec;
using mm_testing::ReservationSpec;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

std::vector<mm_range> Runs(std::initializer_list<std::pair<uint64_t, uint64_t>> l) {
  std::vector<mm_range> v;
  for (auto &p : l) v.push_back({p.first, p.second});
  return v;
}

// The reservation holding `frame` as a copy (mm_phys_reservation_at), or nullptr.
std::unique_ptr<mm_reservation> ResAt(const mm_phys_allocator *a, phys_addr_t frame) {
  std::unique_ptr<mm_reservation> r(new mm_reservation{});
  if (!mm_phys_reservation_at(a, frame, r.get())) r.reset();
  return r;
}

::testing::AssertionResult RunsEq(const std::vector<mm_range> &got, const std::vector<mm_range> &want) {
  if (mm_testing::SameRuns(got, want)) return ::testing::AssertionSuccess();
  auto fmt = [](const std::vector<mm_range> &v) {
    std::string s;
    for (auto &r : v)
      s += "[" + mm_testing::ReferenceModel::Hex(r.base) + "," + mm_testing::ReferenceModel::Hex(r.end) + ") ";
    return s;
  };
  return ::testing::AssertionFailure() << "got " << fmt(got) << "\nwant " << fmt(want);
}

class PhysAlloc : public ::testing::Test {
 protected:
  // One usable region [16 MiB, 16 MiB + size) with the carved arrays at its start (two frames).
  void BuildSimple(uint64_t size = 64 * kMiB, std::vector<ReservationSpec> res = {}) {
    ASSERT_EQ(h_.Build({{16 * kMiB, 16 * kMiB + size, MM_REGION_USABLE}}, res, 16 * kMiB), MM_OK);
    ASSERT_EQ(h_.Check(), "");
  }
  mm_phys_allocator *a() { return h_.alloc(); }
  std::vector<mm_range> FreeRuns() { return AllocatorFreeRuns(a()); }
  mm_phys_stats Stats() { return mm_phys_get_stats(a()); }
  mm_status Alloc(uint64_t count, uint64_t align, uint64_t lo, uint64_t hi, phys_addr_t *out) {
    mm_alloc_request req{count, align, lo, hi};
    return mm_phys_alloc(a(), &req, out);
  }
  // The operation must fail with `want` and leave stats and free runs exactly as they were.
  template <typename F>
  void ExpectFailsUnchanged(mm_status want, F op) {
    auto runs = FreeRuns();
    mm_phys_stats st = Stats();
    EXPECT_EQ(op(), want);
    EXPECT_TRUE(RunsEq(FreeRuns(), runs));
    mm_phys_stats st2 = Stats();
    EXPECT_EQ(std::memcmp(&st, &st2, sizeof(st)), 0);
    EXPECT_EQ(h_.Check(), "");
  }
  PhysHarness h_;
  const uint64_t kBase = 16 * kMiB + 2 * kF;  // first free frame after the carved arrays
};

}  // namespace mm_testing_phys_alloc

#endif  // MM_TESTING_PHYS_ALLOC_FIXTURE_H
