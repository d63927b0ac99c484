// paging_test.cc (x86_64): builds identity tables in a simulated physical memory and checks them with a walker
// written from the Intel SDM (Vol. 3A 4.5, Tables 4-15..4-20), independent of paging.c.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <vector>

extern "C" {
#include "arch/arch.h"
}

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t k4K = 4 * kKiB;
constexpr uint64_t k2M = 2 * kMiB;

// Entry bits, spelled out again from the SDM rather than shared with paging.c.
constexpr uint64_t kP = 1ull << 0;
constexpr uint64_t kRW = 1ull << 1;
constexpr uint64_t kUS = 1ull << 2;
constexpr uint64_t kPWT = 1ull << 3;
constexpr uint64_t kPCD = 1ull << 4;
constexpr uint64_t kPS = 1ull << 7;
constexpr uint64_t kNX = 1ull << 63;
constexpr uint64_t kAddr = 0x000FFFFFFFFFF000ull;

// Physical memory that holds only the page-table frames, at an address far from every mapped range so a
// confusion between a table's address and a mapped address shows up.
class SimMemory {
 public:
  static constexpr phys_addr_t kBase = 0x00F0'0000'0000ull;

  explicit SimMemory(uint64_t frames) : words_(frames * (MM_FRAME_SIZE / 8), 0xDEADBEEFDEADBEEFull), frames_(frames) {}

  mm_phys_window window() { return mm_phys_window{&SimMemory::Map, this}; }
  arch_frame_source source() { return arch_frame_source{&SimMemory::Alloc, this}; }

  uint64_t allocated() const { return next_; }
  void FailAt(uint64_t nth, mm_status status) {
    fail_at_ = nth;
    fail_status_ = status;
  }
  void HandOutMisaligned() { misaligned_ = true; }

  // The table at `phys`, or nullptr (with a test failure) if no table frame was ever handed out there.
  const uint64_t *Table(phys_addr_t phys) const {
    if ((phys & MM_FRAME_MASK) != 0 || phys < kBase || phys >= kBase + next_ * MM_FRAME_SIZE) {
      ADD_FAILURE() << "walk reached 0x" << std::hex << phys << ", which is not a table frame";
      return nullptr;
    }
    return &words_[(phys - kBase) / 8];
  }

 private:
  static void *Map(void *ctx, phys_addr_t phys, uint64_t bytes) {
    auto *self = static_cast<SimMemory *>(ctx);
    uint64_t size = self->frames_ * MM_FRAME_SIZE;
    if (phys < kBase || bytes > size || phys - kBase > size - bytes) return nullptr;
    return &self->words_[(phys - kBase) / 8];
  }
  static mm_status Alloc(void *ctx, phys_addr_t *out) {
    auto *self = static_cast<SimMemory *>(ctx);
    if (self->next_ == self->fail_at_) return self->fail_status_;
    if (self->next_ == self->frames_) return MM_ERR_NO_MEMORY;
    *out = kBase + self->next_ * MM_FRAME_SIZE + (self->misaligned_ ? 8 : 0);
    self->next_++;
    return MM_OK;
  }

  std::vector<uint64_t> words_;  // starts as garbage: the builder must zero what it takes
  uint64_t frames_;
  uint64_t next_ = 0;
  uint64_t fail_at_ = UINT64_MAX;
  mm_status fail_status_ = MM_OK;
  bool misaligned_ = false;
};

// One leaf found by walking the tables.
struct Leaf {
  uint64_t va;
  uint64_t size;
  uint64_t entry;
  phys_addr_t pa() const { return entry & (size == k4K ? kAddr : (kAddr & ~(size - 1))); }
  bool writable() const { return (entry & kRW) != 0; }
  bool nx() const { return (entry & kNX) != 0; }
  // PAT index (SDM Vol. 3A 11.12.3): PAT bit is bit 7 in a PTE, bit 12 in a large page entry.
  unsigned pat_index() const {
    uint64_t pat_bit = size == k4K ? (1ull << 7) : (1ull << 12);
    return ((entry & pat_bit) ? 4u : 0u) | ((entry & kPCD) ? 2u : 0u) | ((entry & kPWT) ? 1u : 0u);
  }
};

// Walks every table from the root: collects leaves and counts tables; checks non-leaf entries on the way.
class Walker {
 public:
  Walker(const SimMemory &mem, phys_addr_t root) : mem_(mem) { Visit(root, 4, 0); }

  const std::map<uint64_t, Leaf> &leaves() const { return leaves_; }
  uint64_t tables() const { return tables_.size(); }

  // The leaf that maps `va`, or nullptr.
  const Leaf *Find(uint64_t va) const {
    auto it = leaves_.upper_bound(va);
    if (it == leaves_.begin()) return nullptr;
    --it;
    return va < it->second.va + it->second.size ? &it->second : nullptr;
  }

  uint64_t CountOfSize(uint64_t size) const {
    uint64_t n = 0;
    for (const auto &kv : leaves_) n += kv.second.size == size;
    return n;
  }

 private:
  void Visit(phys_addr_t table, int level, uint64_t va_base) {
    EXPECT_TRUE(tables_.insert(table).second) << "table 0x" << std::hex << table << " reached twice";
    const uint64_t *entries = mem_.Table(table);
    if (entries == nullptr) return;
    unsigned shift = 12 + 9 * (level - 1);
    for (unsigned i = 0; i < 512; i++) {
      uint64_t e = entries[i];
      if ((e & kP) == 0) {
        EXPECT_EQ(e, 0u) << "non-present entry with bits set (table not zeroed?)";
        continue;
      }
      uint64_t va = va_base | (uint64_t)i << shift;
      EXPECT_EQ(e & kUS, 0u) << "supervisor-only expected";
      bool leaf = level == 1 || (level <= 3 && (e & kPS));
      EXPECT_FALSE(level == 4 && (e & kPS)) << "PS is reserved in a PML4E";
      if (leaf) {
        leaves_[va] = Leaf{va, 1ull << shift, e};
      } else {
        EXPECT_EQ(e & ~kAddr, kP | kRW) << "non-leaf entries should be plain present+writable, no NX";
        Visit(e & kAddr, level - 1, va);
      }
    }
  }

  const SimMemory &mem_;
  std::set<phys_addr_t> tables_;
  std::map<uint64_t, Leaf> leaves_;
};

// Size of the page or block that maps `va`, 0 if nothing does.
uint64_t SizeAt(const Walker &w, uint64_t va) {
  const Leaf *leaf = w.Find(va);
  return leaf == nullptr ? 0 : leaf->size;
}

arch_paging_features Features(bool nx = true, bool huge_1g = true, unsigned bits = 46) {
  arch_paging_features f{};
  f.phys_addr_bits = bits;
  f.nx = nx;
  f.huge_1g = huge_1g;
  f.el2_regime = false;
  return f;
}

arch_map_range Range(uint64_t base, uint64_t end, arch_mem_type type = ARCH_MEM_NORMAL, bool exec = true) {
  return arch_map_range{base, end, type, exec};
}

struct Built {
  mm_status status;
  arch_paging_info info;
};

Built Build(SimMemory &mem, const std::vector<arch_map_range> &ranges, const arch_paging_features &f) {
  mm_phys_window window = mem.window();
  arch_frame_source source = mem.source();
  Built b{};
  b.info = arch_paging_info{0x1111, 0x2222, 0x3333};
  b.status = arch_paging_build(ranges.data(), ranges.size(), &f, &source, &window, &b.info);
  return b;
}

unsigned ExpectedPat(arch_mem_type type) {
  switch (type) {
    case ARCH_MEM_NORMAL: return 0;       // WB
    case ARCH_MEM_DEVICE: return 3;       // UC
    case ARCH_MEM_FRAMEBUFFER: return 2;  // UC- (WC where an MTRR says so)
  }
  return 99;
}

// The full check: identity, attributes, nothing outside the ranges, counters.
void ExpectExactIdentityMap(const SimMemory &mem, const Built &b, const std::vector<arch_map_range> &ranges,
                            const arch_paging_features &f) {
  ASSERT_EQ(b.status, MM_OK);
  Walker w(mem, b.info.root);
  EXPECT_EQ(w.tables(), b.info.tables);
  EXPECT_EQ(mem.allocated(), b.info.tables);

  uint64_t expected_bytes = 0;
  for (const auto &r : ranges) {
    expected_bytes += r.end - r.base;
    for (uint64_t va = r.base; va < r.end;) {
      const Leaf *leaf = w.Find(va);
      ASSERT_NE(leaf, nullptr) << "0x" << std::hex << va << " not mapped";
      EXPECT_EQ(leaf->pa(), leaf->va) << "not identity at 0x" << std::hex << va;
      EXPECT_GE(leaf->va, r.base);
      EXPECT_LE(leaf->va + leaf->size, r.end) << "page spills out of its range at 0x" << std::hex << va;
      EXPECT_TRUE(leaf->writable());
      EXPECT_EQ(leaf->pat_index(), ExpectedPat(r.type)) << "at 0x" << std::hex << va;
      EXPECT_EQ(leaf->nx(), f.nx && !r.executable) << "at 0x" << std::hex << va;
      va = leaf->va + leaf->size;
    }
  }
  uint64_t leaf_bytes = 0;
  for (const auto &kv : w.leaves()) {
    leaf_bytes += kv.second.size;
    bool inside = false;
    for (const auto &r : ranges) inside |= kv.first >= r.base && kv.first + kv.second.size <= r.end;
    EXPECT_TRUE(inside) << "mapped outside every range: 0x" << std::hex << kv.first;
  }
  EXPECT_EQ(leaf_bytes, expected_bytes);
  EXPECT_EQ(b.info.mapped_bytes, expected_bytes);
}

TEST(X86PagingBuild, OneGiBAlignedFourGiBUsesOneGiBPagesAndOnlyTwoTables) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {Range(0, 4 * kGiB)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 2u);  // PML4 + PDPT
  EXPECT_EQ(Walker(mem, b.info.root).CountOfSize(kGiB), 4u);
}

TEST(X86PagingBuild, WithoutHuge1GFourGiBUsesTwoMiBPages) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {Range(0, 4 * kGiB)};
  auto f = Features(true, false);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 6u);  // PML4 + PDPT + 4 PDs
  EXPECT_EQ(Walker(mem, b.info.root).CountOfSize(k2M), 2048u);
}

TEST(X86PagingBuild, EdgesUseFourKiBPagesAndTheMiddleUsesLargerOnes) {
  SimMemory mem(64);
  // 4 KiB below a 2 MiB boundary, through 1 GiB + 2 MiB, then 3 pages more.
  std::vector<arch_map_range> ranges = {Range(kGiB - k4K, 2 * kGiB + k2M + 3 * k4K)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  EXPECT_EQ(SizeAt(w, kGiB - k4K), k4K);
  EXPECT_EQ(SizeAt(w, kGiB), kGiB);
  EXPECT_EQ(SizeAt(w, 2 * kGiB), k2M);
  EXPECT_EQ(SizeAt(w, 2 * kGiB + k2M), k4K);
  EXPECT_EQ(w.CountOfSize(kGiB), 1u);
  EXPECT_EQ(w.CountOfSize(k2M), 1u);
  EXPECT_EQ(w.CountOfSize(k4K), 4u);
}

TEST(X86PagingBuild, UnalignedStartUsesTwoMiBUpToTheFirstGiBBoundary) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {Range(k2M * 3, 3 * kGiB)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  EXPECT_EQ(w.CountOfSize(k2M), 512u - 3u);
  EXPECT_EQ(w.CountOfSize(kGiB), 2u);
  EXPECT_EQ(w.CountOfSize(k4K), 0u);
}

TEST(X86PagingBuild, CacheTypesAndNxFollowEachRange) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {
      Range(0, 0xA0000, ARCH_MEM_NORMAL, false),
      Range(0x100000, 0x200000, ARCH_MEM_NORMAL, true),
      Range(0x200000, 0x8000000, ARCH_MEM_NORMAL, false),
      Range(0x80000000, 0x80400000, ARCH_MEM_FRAMEBUFFER, false),
      Range(0xFEC00000, 0xFEC01000, ARCH_MEM_DEVICE, false),
      Range(0xFEE00000, 0xFEE01000, ARCH_MEM_DEVICE, false),
  };
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

TEST(X86PagingBuild, NoNxBitsWhenTheCpuLacksNx) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {Range(0, 0x400000, ARCH_MEM_NORMAL, false),
                                        Range(0xFEC00000, 0xFEC01000, ARCH_MEM_DEVICE, false)};
  auto f = Features(false, true);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  for (const auto &kv : w.leaves()) EXPECT_FALSE(kv.second.nx());
}

TEST(X86PagingBuild, NeighbouringRangesShareTables) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {Range(0x1000, 0x3000, ARCH_MEM_NORMAL, true),
                                        Range(0x3000, 0x5000, ARCH_MEM_DEVICE, false),
                                        Range(0x9000, 0xA000, ARCH_MEM_FRAMEBUFFER, false)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 4u);  // one path PML4 -> PDPT -> PD -> PT
}

TEST(X86PagingBuild, RangeEndingAtThePhysicalWidthIsAccepted) {
  SimMemory mem(64);
  std::vector<arch_map_range> ranges = {Range((1ull << 39) - k2M - k4K, 1ull << 39)};
  auto f = Features(true, true, 39);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

TEST(X86PagingBuild, EmptyListGivesAnEmptyRoot) {
  SimMemory mem(4);
  auto f = Features();
  Built b = Build(mem, {}, f);
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_EQ(b.info.tables, 1u);
  EXPECT_EQ(b.info.mapped_bytes, 0u);
  EXPECT_TRUE(Walker(mem, b.info.root).leaves().empty());
}

TEST(X86PagingBuild, EmptyRangeMapsNothing) {
  SimMemory mem(8);
  std::vector<arch_map_range> ranges = {Range(0x5000, 0x5000), Range(0x6000, 0x7000)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

// Every rejected input consumes no frame and leaves `out` alone.
void ExpectRejected(const std::vector<arch_map_range> &ranges, const arch_paging_features &f) {
  SimMemory mem(8);
  Built b = Build(mem, ranges, f);
  EXPECT_EQ(b.status, MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mem.allocated(), 0u);
  EXPECT_EQ(b.info.root, 0x1111u);
  EXPECT_EQ(b.info.mapped_bytes, 0x2222u);
  EXPECT_EQ(b.info.tables, 0x3333u);
}

TEST(X86PagingBuild, MisalignedBaseIsRejected) { ExpectRejected({Range(0x1800, 0x3000)}, Features()); }
TEST(X86PagingBuild, MisalignedEndIsRejected) { ExpectRejected({Range(0x1000, 0x3001)}, Features()); }
TEST(X86PagingBuild, BaseAboveEndIsRejected) { ExpectRejected({Range(0x5000, 0x3000)}, Features()); }
TEST(X86PagingBuild, UnsortedRangesAreRejected) {
  ExpectRejected({Range(0x10000, 0x20000), Range(0x1000, 0x2000)}, Features());
}
TEST(X86PagingBuild, OverlappingRangesAreRejected) {
  ExpectRejected({Range(0x1000, 0x3000), Range(0x2000, 0x4000)}, Features());
}
TEST(X86PagingBuild, RangeAbovePhysicalWidthIsRejected) {
  ExpectRejected({Range((1ull << 39) - k4K, (1ull << 39) + k4K)}, Features(true, true, 39));
}
TEST(X86PagingBuild, ImplausiblePhysicalWidthIsRejected) {
  ExpectRejected({Range(0, k4K)}, Features(true, true, 0));
  ExpectRejected({Range(0, k4K)}, Features(true, true, 53));
}
TEST(X86PagingBuild, UnknownMemoryTypeIsRejected) {
  ExpectRejected({Range(0, k4K, static_cast<arch_mem_type>(3))}, Features());
}

TEST(X86PagingBuild, NullArgumentsAreRejected) {
  SimMemory mem(8);
  mm_phys_window window = mem.window();
  arch_frame_source source = mem.source();
  arch_paging_features f = Features();
  arch_paging_info info{};
  arch_map_range r = Range(0, k4K);
  EXPECT_EQ(arch_paging_build(nullptr, 1, &f, &source, &window, &info), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(arch_paging_build(&r, 1, nullptr, &source, &window, &info), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(arch_paging_build(&r, 1, &f, nullptr, &window, &info), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(arch_paging_build(&r, 1, &f, &source, nullptr, &info), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(arch_paging_build(&r, 1, &f, &source, &window, nullptr), MM_ERR_INVALID_ARGUMENT);
  arch_frame_source no_alloc{nullptr, nullptr};
  EXPECT_EQ(arch_paging_build(&r, 1, &f, &no_alloc, &window, &info), MM_ERR_INVALID_ARGUMENT);
  mm_phys_window no_map{nullptr, nullptr};
  EXPECT_EQ(arch_paging_build(&r, 1, &f, &source, &no_map, &info), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mem.allocated(), 0u);
}

TEST(X86PagingBuild, FrameSourceErrorIsReturnedAsIs) {
  // Mapping one 4 KiB page needs 4 tables; fail each of them in turn.
  for (uint64_t nth = 0; nth < 4; nth++) {
    SimMemory mem(8);
    mem.FailAt(nth, MM_ERR_RESERVED);
    Built b = Build(mem, {Range(0x1000, 0x2000)}, Features());
    EXPECT_EQ(b.status, MM_ERR_RESERVED) << "failing allocation " << nth;
    EXPECT_EQ(b.info.root, 0x1111u);
  }
}

TEST(X86PagingBuild, RunningOutOfFramesIsReported) {
  SimMemory mem(3);
  Built b = Build(mem, {Range(0x1000, 0x2000)}, Features());
  EXPECT_EQ(b.status, MM_ERR_NO_MEMORY);
}

TEST(X86PagingBuild, WindowThatCannotMapATableGivesNoMemory) {
  SimMemory mem(8);
  arch_frame_source source = mem.source();
  mm_phys_window refusing{[](void *, phys_addr_t, uint64_t) -> void * { return nullptr; }, nullptr};
  arch_paging_features f = Features();
  arch_paging_info info{};
  arch_map_range r = Range(0, k4K);
  EXPECT_EQ(arch_paging_build(&r, 1, &f, &source, &refusing, &info), MM_ERR_NO_MEMORY);
}

TEST(X86PagingBuild, MisalignedFrameFromTheSourceIsReported) {
  SimMemory mem(8);
  mem.HandOutMisaligned();
  Built b = Build(mem, {Range(0, k4K)}, Features());
  EXPECT_EQ(b.status, MM_ERR_MISALIGNED);
}

}  // namespace
