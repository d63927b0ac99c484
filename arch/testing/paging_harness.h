// paging_harness.h: what the two host tests of arch_paging_build (arch/x86_64/paging_test.cc,
// arch/aarch64/paging_test.cc) share: a simulated physical memory that hands out page-table frames, the leaf
// map a walker fills, the identity-map coverage check, and the checks for inputs every builder must reject.
//
// The walkers themselves, and every entry format they decode, stay in each test, written again from the
// architecture's manual so that they are independent of paging.c. Header only: the helpers call
// arch_paging_build, which the test links from its own architecture.
#ifndef ARCH_TESTING_PAGING_HARNESS_H
#define ARCH_TESTING_PAGING_HARNESS_H

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

extern "C" {
#include "arch/arch.h"
#include "tools/hostlib/sim_physmem.h"
}

namespace arch_testing {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t k4K = 4 * kKiB;
constexpr uint64_t k2M = 2 * kMiB;

// Where a SimMemory puts its frames and what they hold before the builder zeroes them.
struct SimLayout {
  phys_addr_t base;            // first frame; far from every mapped range so that a confusion between a
                               // table's address and a mapped address shows up
  uint64_t garbage;            // every word starts as this: the builder must zero what it takes
  uint64_t misaligned_offset;  // added to each frame address after HandOutMisaligned()
};

// Physical memory that holds only the page-table frames: `frames` frames at layout.base, handed out in order
// through source() and mapped through window(). The memory is the project's one simulated physical memory
// (//tools/hostlib:sim_physmem) with exactly those frames declared as RAM, so a map() outside them is refused
// the way an unbacked address is; this class adds the frame source and the word-sized garbage fill.
class SimMemory {
 public:
  SimMemory(uint64_t frames, const SimLayout &layout) : layout_(layout), frames_(frames) {
    sim_physmem_init(&sim_, frames * MM_FRAME_SIZE);
    sim_physmem_add_ram(&sim_, layout.base, layout.base + frames * MM_FRAME_SIZE);
    if (frames > 0) {
      auto *words = static_cast<uint64_t *>(sim_physmem_map(&sim_, layout.base, frames * MM_FRAME_SIZE));
      for (uint64_t i = 0; words != nullptr && i < frames * (MM_FRAME_SIZE / 8); i++) words[i] = layout.garbage;
    }
  }
  ~SimMemory() { sim_physmem_destroy(&sim_); }
  SimMemory(const SimMemory &) = delete;
  SimMemory &operator=(const SimMemory &) = delete;

  mm_phys_window window() { return sim_physmem_window(&sim_); }
  arch_frame_source source() { return arch_frame_source{&SimMemory::Alloc, this}; }

  // Frames handed out so far.
  uint64_t allocated() const { return next_; }
  // The nth allocation (0-based) and every later one fail with `status`.
  void FailAt(uint64_t nth, mm_status status) {
    fail_at_ = nth;
    fail_status_ = status;
  }
  void HandOutMisaligned() { misaligned_ = true; }

  // The table at `phys`, or nullptr (with a test failure) if no table frame was ever handed out there.
  const uint64_t *Table(phys_addr_t phys) const {
    if ((phys & MM_FRAME_MASK) != 0 || phys < layout_.base || phys >= layout_.base + next_ * MM_FRAME_SIZE) {
      ADD_FAILURE() << "walk reached 0x" << std::hex << phys << ", which is not a table frame";
      return nullptr;
    }
    return reinterpret_cast<const uint64_t *>(sim_physmem_peek(&sim_, phys, MM_FRAME_SIZE));
  }

 private:
  static mm_status Alloc(void *ctx, phys_addr_t *out) {
    auto *self = static_cast<SimMemory *>(ctx);
    if (self->next_ == self->fail_at_) return self->fail_status_;
    if (self->next_ == self->frames_) return MM_ERR_NO_MEMORY;
    *out = self->layout_.base + self->next_ * MM_FRAME_SIZE + (self->misaligned_ ? self->layout_.misaligned_offset : 0);
    self->next_++;
    return MM_OK;
  }

  SimLayout layout_;
  sim_physmem sim_;
  uint64_t frames_;
  uint64_t next_ = 0;
  uint64_t fail_at_ = UINT64_MAX;
  mm_status fail_status_ = MM_OK;
  bool misaligned_ = false;
};

// One page or block found by walking the tables: `entry` is the raw leaf entry, `pa` the output address the
// walker decoded from it.
struct Leaf {
  uint64_t va;
  uint64_t size;
  uint64_t entry;
  phys_addr_t pa;
};

// What a walker found: the tables it visited and the leaves it collected. Each test's Walker derives from it
// and fills it from its own decoding of the entries.
class Mappings {
 public:
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

 protected:
  // Records a visit of `table`; a table reached twice is a test failure.
  void AddTable(phys_addr_t table) {
    EXPECT_TRUE(tables_.insert(table).second) << "table 0x" << std::hex << table << " reached twice";
  }
  void AddLeaf(const Leaf &leaf) { leaves_[leaf.va] = leaf; }

 private:
  std::set<phys_addr_t> tables_;
  std::map<uint64_t, Leaf> leaves_;
};

// Size of the page or block that maps `va`, 0 if nothing does.
inline uint64_t SizeAt(const Mappings &m, uint64_t va) {
  const Leaf *leaf = m.Find(va);
  return leaf == nullptr ? 0 : leaf->size;
}

inline arch_map_range Range(uint64_t base, uint64_t end, arch_mem_type type = ARCH_MEM_NORMAL, bool exec = true) {
  return arch_map_range{base, end, type, exec, false};
}

// `r` with read_only set (arch_map_range.read_only: no writes through its leaves).
inline arch_map_range ReadOnly(arch_map_range r) {
  r.read_only = true;
  return r;
}

// The result of one arch_paging_build call; info starts as 0x1111/0x2222/0x3333 so an untouched `out` shows.
struct Built {
  mm_status status;
  arch_paging_info info;
};

inline Built Build(SimMemory &mem, const std::vector<arch_map_range> &ranges, const arch_paging_features &f) {
  mm_phys_window window = mem.window();
  arch_frame_source source = mem.source();
  Built b{};
  b.info = arch_paging_info{0x1111, 0x2222, 0x3333, 0x44};
  b.status = arch_paging_build(ranges.data(), ranges.size(), &f, &source, &window, &b.info);
  return b;
}

// The architecture's checks on one leaf inside range `r` (attributes, permissions).
using LeafCheck = std::function<void(const Leaf &leaf, const arch_map_range &r)>;

// The full check of a successful build `b` walked into `m`: counters, identity, every byte of every range
// mapped by leaves that stay inside it (each passed to `check_leaf`), nothing mapped outside the ranges.
inline void ExpectIdentityMapOf(const SimMemory &mem, const Mappings &m, const Built &b,
                                const std::vector<arch_map_range> &ranges, const LeafCheck &check_leaf) {
  EXPECT_EQ(m.tables(), b.info.tables);
  EXPECT_EQ(mem.allocated(), b.info.tables);

  uint64_t expected_bytes = 0;
  for (const auto &r : ranges) {
    expected_bytes += r.end - r.base;
    for (uint64_t va = r.base; va < r.end;) {
      const Leaf *leaf = m.Find(va);
      ASSERT_NE(leaf, nullptr) << "0x" << std::hex << va << " not mapped";
      EXPECT_EQ(leaf->pa, leaf->va) << "not identity at 0x" << std::hex << va;
      EXPECT_GE(leaf->va, r.base);
      EXPECT_LE(leaf->va + leaf->size, r.end) << "page or block spills out of its range at 0x" << std::hex << va;
      check_leaf(*leaf, r);
      va = leaf->va + leaf->size;
    }
  }
  uint64_t leaf_bytes = 0;
  for (const auto &kv : m.leaves()) {
    leaf_bytes += kv.second.size;
    bool inside = false;
    for (const auto &r : ranges) inside |= kv.first >= r.base && kv.first + kv.second.size <= r.end;
    EXPECT_TRUE(inside) << "mapped outside every range: 0x" << std::hex << kv.first;
  }
  EXPECT_EQ(leaf_bytes, expected_bytes);
  EXPECT_EQ(b.info.mapped_bytes, expected_bytes);
}

// A rejected input consumes no frame and leaves `out` alone.
inline void ExpectRejected(const SimLayout &layout, const std::vector<arch_map_range> &ranges,
                           const arch_paging_features &f) {
  SimMemory mem(8, layout);
  Built b = Build(mem, ranges, f);
  EXPECT_EQ(b.status, MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mem.allocated(), 0u);
  EXPECT_EQ(b.info.root, 0x1111u);
  EXPECT_EQ(b.info.mapped_bytes, 0x2222u);
  EXPECT_EQ(b.info.tables, 0x3333u);
  EXPECT_EQ(b.info.levels, 0x44u);
}

// Each NULL pointer or callback is rejected with MM_ERR_INVALID_ARGUMENT before any frame is taken.
inline void ExpectNullArgumentsRejected(const SimLayout &layout, const arch_paging_features &features) {
  SimMemory mem(8, layout);
  mm_phys_window window = mem.window();
  arch_frame_source source = mem.source();
  arch_paging_features f = features;
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

// Mapping the one page `page` takes `tables` frames; failing each of those allocations in turn returns the
// source's error as is and leaves `out` alone.
inline void ExpectFrameSourceErrorReturnedAsIs(const SimLayout &layout, const arch_map_range &page, uint64_t tables,
                                               const arch_paging_features &f) {
  for (uint64_t nth = 0; nth < tables; nth++) {
    SimMemory mem(8, layout);
    mem.FailAt(nth, MM_ERR_RESERVED);
    Built b = Build(mem, {page}, f);
    EXPECT_EQ(b.status, MM_ERR_RESERVED) << "failing allocation " << nth;
    EXPECT_EQ(b.info.root, 0x1111u);
  }
}

// A window that maps nothing makes the build fail with MM_ERR_NO_MEMORY.
inline void ExpectRefusingWindowGivesNoMemory(const SimLayout &layout, const arch_paging_features &features) {
  SimMemory mem(8, layout);
  arch_frame_source source = mem.source();
  mm_phys_window refusing{[](void *, phys_addr_t, uint64_t) -> void * { return nullptr; }, nullptr};
  arch_paging_features f = features;
  arch_paging_info info{};
  arch_map_range r = Range(0, k4K);
  EXPECT_EQ(arch_paging_build(&r, 1, &f, &source, &refusing, &info), MM_ERR_NO_MEMORY);
}

// A frame source that hands out a frame that is not 4 KiB aligned makes the build fail with MM_ERR_MISALIGNED.
inline void ExpectMisalignedFrameReported(const SimLayout &layout, const arch_paging_features &f) {
  SimMemory mem(8, layout);
  mem.HandOutMisaligned();
  Built b = Build(mem, {Range(0, k4K)}, f);
  EXPECT_EQ(b.status, MM_ERR_MISALIGNED);
}

}  // namespace arch_testing

#endif  // ARCH_TESTING_PAGING_HARNESS_H
