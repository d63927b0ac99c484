// numa_test.cc: the NUMA node table (dense ids, sorting, merging, overlap handling, bad input) and node-aware
// allocation against a real runtime allocator (no frame from another node, exhaustion per node, any node).
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/phys_harness.h"

extern "C" {
#include "mm/numa.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;

struct Table {
  explicit Table(uint32_t cap, mm_numa_source src = MM_NUMA_SOURCE_SRAT) : storage(cap) {
    mm_numa_init(&numa, storage.data(), cap, src);
  }
  std::vector<mm_numa_range> storage;
  mm_numa numa;
};

TEST(NumaTable, DomainsGetDenseIdsInOrderOfFirstAppearanceAndKeepTheirPxm) {
  Table t(3);
  ASSERT_EQ(mm_numa_add(&t.numa, 7, 0x80000000, 0x10000000), MM_OK);
  ASSERT_EQ(mm_numa_add(&t.numa, 3, 0x40000000, 0x40000000), MM_OK);
  ASSERT_EQ(mm_numa_add(&t.numa, 7, 0x100000000, 0x10000000), MM_OK);
  ASSERT_EQ(mm_numa_finish(&t.numa, nullptr), MM_OK);
  ASSERT_EQ(t.numa.count, 3u);
  EXPECT_EQ(mm_numa_nodes(&t.numa), 2u);
  // Sorted by base; ids follow first appearance (pxm 7 first), not the address order.
  EXPECT_EQ(t.numa.ranges[0].base, 0x40000000u);
  EXPECT_EQ(t.numa.ranges[0].node, 1u);
  EXPECT_EQ(t.numa.ranges[0].pxm, 3u);
  EXPECT_EQ(t.numa.ranges[1].base, 0x80000000u);
  EXPECT_EQ(t.numa.ranges[1].end, 0x90000000u);
  EXPECT_EQ(t.numa.ranges[1].node, 0u);
  EXPECT_EQ(t.numa.ranges[1].pxm, 7u);
  EXPECT_EQ(t.numa.ranges[2].node, 0u);
  EXPECT_EQ(mm_numa_node_of(&t.numa, 0x4fffffff), 1u);
  EXPECT_EQ(mm_numa_node_of(&t.numa, 0x100000000), 0u);
  EXPECT_EQ(mm_numa_node_of(&t.numa, 0x90000000), MM_NODE_ANY);
  EXPECT_STREQ(mm_numa_source_name(t.numa.source), "srat");
}

TEST(NumaTable, TouchingAndOverlappingRangesOfOneNodeAreMerged) {
  Table t(3);
  ASSERT_EQ(mm_numa_add(&t.numa, 0, 0x2000, 0x1000), MM_OK);
  ASSERT_EQ(mm_numa_add(&t.numa, 0, 0x1000, 0x1000), MM_OK);
  ASSERT_EQ(mm_numa_add(&t.numa, 0, 0x1800, 0x2000), MM_OK);
  ASSERT_EQ(mm_numa_finish(&t.numa, nullptr), MM_OK);
  ASSERT_EQ(t.numa.count, 1u);
  EXPECT_EQ(t.numa.ranges[0].base, 0x1000u);
  EXPECT_EQ(t.numa.ranges[0].end, 0x3800u);
}

TEST(NumaTable, AdjacentRangesOfTwoNodesStaySeparate) {
  Table t(2);
  ASSERT_EQ(mm_numa_add(&t.numa, 0, 0x0, 0x1000), MM_OK);
  ASSERT_EQ(mm_numa_add(&t.numa, 1, 0x1000, 0x1000), MM_OK);
  ASSERT_EQ(mm_numa_finish(&t.numa, nullptr), MM_OK);
  EXPECT_EQ(t.numa.count, 2u);
  EXPECT_EQ(mm_numa_nodes(&t.numa), 2u);
}

TEST(NumaTable, OverlapBetweenNodesDropsTheTableToOneNodeAndNamesThePair) {
  Table t(2);
  ASSERT_EQ(mm_numa_add(&t.numa, 0, 0x0, 0x2000), MM_OK);
  ASSERT_EQ(mm_numa_add(&t.numa, 1, 0x1000, 0x2000), MM_OK);
  mm_numa_conflict c{};
  EXPECT_EQ(mm_numa_finish(&t.numa, &c), MM_ERR_BAD_MAP);
  EXPECT_EQ(c.a.node, 0u);
  EXPECT_EQ(c.b.node, 1u);
  EXPECT_EQ(c.b.base, 0x1000u);
  EXPECT_EQ(t.numa.count, 0u);
  EXPECT_EQ(t.numa.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(mm_numa_nodes(&t.numa), 1u);
}

TEST(NumaTable, BadRangesAreRefusedAndLeaveTheTableUnchanged) {
  Table t(1);
  EXPECT_EQ(mm_numa_add(&t.numa, 0, 0x1000, 0), MM_OK);  // empty: ignored
  EXPECT_EQ(t.numa.count, 0u);
  EXPECT_EQ(mm_numa_add(&t.numa, 0, UINT64_MAX - 0xfff, 0x2000), MM_ERR_OVERFLOW);
  EXPECT_EQ(mm_numa_add(&t.numa, 0, 0xfffffffffffff000ull, 0x1000), MM_ERR_OVERFLOW);  // end would be 2^64
  EXPECT_EQ(t.numa.count, 0u);
  EXPECT_EQ(t.numa.node_count, 0u);
  ASSERT_EQ(mm_numa_add(&t.numa, 0, 0x1000, 0x1000), MM_OK);
  EXPECT_EQ(mm_numa_add(&t.numa, 1, 0x2000, 0x1000), MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(t.numa.count, 1u);
  EXPECT_EQ(t.numa.node_count, 1u);
  EXPECT_EQ(mm_numa_add(nullptr, 0, 0, 1), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_numa_finish(nullptr, nullptr), MM_ERR_INVALID_ARGUMENT);
}

TEST(NumaTable, AnEmptyTableIsOneNodeFromSourceNone) {
  mm_numa n;
  mm_numa_init(&n, nullptr, 0, MM_NUMA_SOURCE_SRAT);
  EXPECT_EQ(mm_numa_add(&n, 0, 0x1000, 0x1000), MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(mm_numa_finish(&n, nullptr), MM_OK);
  EXPECT_EQ(n.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(mm_numa_nodes(&n), 1u);
  EXPECT_STREQ(mm_numa_source_name(n.source), "none");
}

// Two nodes over one allocator: node 0 = [16 MiB, 20 MiB), node 1 = [20 MiB, 24 MiB). The carved arrays take
// the first two frames of node 0.
class NumaAlloc : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h_.Build({{16 * kMiB, 24 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB), MM_OK);
    mm_numa_init(&numa_, storage_, 2, MM_NUMA_SOURCE_SRAT);
    ASSERT_EQ(mm_numa_add(&numa_, 10, 16 * kMiB, 4 * kMiB), MM_OK);
    ASSERT_EQ(mm_numa_add(&numa_, 11, 20 * kMiB, 4 * kMiB), MM_OK);
    ASSERT_EQ(mm_numa_finish(&numa_, nullptr), MM_OK);
  }
  mm_status Alloc(uint32_t node, uint64_t count, uint64_t lo = 0, uint64_t hi = 0, phys_addr_t *out = nullptr) {
    phys_addr_t p = 0;
    mm_alloc_request req{count, 0, lo, hi};
    mm_status s = mm_phys_alloc_node(h_.alloc(), &numa_, node, &req, &p);
    if (out) *out = p;
    return s;
  }
  mm_testing::PhysHarness h_;
  mm_numa_range storage_[2];
  mm_numa numa_;
};

TEST_F(NumaAlloc, NoFrameComesFromAnotherNode) {
  phys_addr_t p;
  ASSERT_EQ(Alloc(1, 1, 0, 0, &p), MM_OK);
  EXPECT_EQ(p, 20 * kMiB);  // the lowest frame of node 1, although node 0 has lower free frames
  ASSERT_EQ(Alloc(0, 1, 0, 0, &p), MM_OK);
  EXPECT_EQ(p, 16 * kMiB + 2 * kF);
  // A run that would fit only across the node boundary is not handed out from either node.
  EXPECT_EQ(Alloc(0, 2, 20 * kMiB - kF, 0, &p), MM_ERR_NO_MEMORY);
  EXPECT_EQ(Alloc(1, 2, 0, 20 * kMiB + kF, &p), MM_ERR_NO_MEMORY);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(NumaAlloc, EachNodeRunsOutOnItsOwn) {
  phys_addr_t p;
  uint64_t n1 = 0;
  while (Alloc(1, 1, 0, 0, &p) == MM_OK) {
    EXPECT_EQ(mm_numa_node_of(&numa_, p), 1u);
    n1++;
  }
  EXPECT_EQ(n1, 4 * kMiB / kF);
  EXPECT_EQ(Alloc(1, 1), MM_ERR_NO_MEMORY);
  // Node 0 still has all of its frames but the two carved ones.
  ASSERT_EQ(Alloc(0, 4 * kMiB / kF - 2, 0, 0, &p), MM_OK);
  EXPECT_EQ(p, 16 * kMiB + 2 * kF);
  EXPECT_EQ(Alloc(0, 1), MM_ERR_NO_MEMORY);
  EXPECT_EQ(Alloc(MM_NODE_ANY, 1), MM_ERR_NO_MEMORY);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(NumaAlloc, AnyNodeIsPlainAllocation) {
  phys_addr_t p;
  ASSERT_EQ(Alloc(MM_NODE_ANY, 2, 20 * kMiB - kF, 0, &p), MM_OK);
  EXPECT_EQ(p, 20 * kMiB - kF);  // may straddle the nodes
}

TEST_F(NumaAlloc, BadArgumentsFailWithoutAllocating) {
  mm_phys_stats before = mm_phys_get_stats(h_.alloc());
  phys_addr_t p = 0;
  EXPECT_EQ(Alloc(2, 1), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(Alloc(0, 0), MM_ERR_ZERO_COUNT);
  EXPECT_EQ(Alloc(0, 1, 30 * kMiB, 30 * kMiB), MM_ERR_INVALID_ARGUMENT);
  mm_alloc_request odd{1, 3 * kF, 0, 0};
  EXPECT_EQ(mm_phys_alloc_node(h_.alloc(), &numa_, 0, &odd, &p), MM_ERR_INVALID_ARGUMENT);
  mm_alloc_request ok{1, 0, 0, 0};
  EXPECT_EQ(mm_phys_alloc_node(h_.alloc(), nullptr, 0, &ok, &p), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_alloc_node(h_.alloc(), &numa_, 0, nullptr, &p), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_alloc_node(h_.alloc(), &numa_, 0, &ok, nullptr), MM_ERR_INVALID_ARGUMENT);
  // A request outside every range of the node: no memory there.
  EXPECT_EQ(Alloc(0, 1, 20 * kMiB, 0), MM_ERR_NO_MEMORY);
  mm_phys_stats after = mm_phys_get_stats(h_.alloc());
  EXPECT_EQ(before.free_frames, after.free_frames);
  EXPECT_EQ(p, 0u);
}

TEST_F(NumaAlloc, AnEmptyTableHasOnlyNodeZeroHoldingEverything) {
  mm_numa none;
  mm_numa_init(&none, nullptr, 0, MM_NUMA_SOURCE_NONE);
  phys_addr_t p;
  mm_alloc_request req{1, 0, 0, 0};
  EXPECT_EQ(mm_phys_alloc_node(h_.alloc(), &none, 0, &req, &p), MM_OK);
  EXPECT_EQ(p, 16 * kMiB + 2 * kF);
  EXPECT_EQ(mm_phys_alloc_node(h_.alloc(), &none, 1, &req, &p), MM_ERR_INVALID_ARGUMENT);
}

}  // namespace
