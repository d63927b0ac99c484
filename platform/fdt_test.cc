// Tests for the devicetree reader (platform/fdt.h): DTBs compiled from platform/testdata/*.dts by dtc at build
// time, read as runfiles, and malformed blobs made by corrupting a valid one in memory.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "platform/fdt.h"
}
#include "platform/test_files.h"

namespace {

using platform_testing::ReadDtb;

uint32_t Get32(const std::vector<uint8_t> &b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

void Put32(std::vector<uint8_t> &b, size_t at, uint32_t v) {
  b[at] = v >> 24;
  b[at + 1] = v >> 16;
  b[at + 2] = v >> 8;
  b[at + 3] = v;
}

// Header field offsets (DT 5.2).
constexpr size_t kTotalSize = 4, kOffStruct = 8, kOffStrings = 12, kOffRsvmap = 16, kVersion = 20, kLastComp = 24,
                 kSizeStrings = 32, kSizeStruct = 36;

class FdtVirtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = ReadDtb("virt");
    ASSERT_EQ(fdt_open(&blob_, bytes_.data(), bytes_.size()), FDT_OK);
  }
  fdt_node Find(const char *path) {
    fdt_node n{};
    EXPECT_EQ(fdt_find_path(&blob_, path, &n), FDT_OK) << path;
    return n;
  }
  std::vector<uint8_t> bytes_;
  fdt_blob blob_{};
};

TEST_F(FdtVirtTest, OpenReadsTheHeaderFacts) {
  EXPECT_EQ(blob_.total_size, bytes_.size());
  EXPECT_EQ(blob_.struct_off, Get32(bytes_, kOffStruct));
  EXPECT_EQ(blob_.strings_off, Get32(bytes_, kOffStrings));
  EXPECT_EQ(blob_.rsvmap_count, 1u);
  EXPECT_STREQ(fdt_node_name(&blob_, fdt_root(&blob_)), "");
}

TEST_F(FdtVirtTest, FindPathMatchesUnitAddressesAsInSpec221) {
  EXPECT_STREQ(fdt_node_name(&blob_, Find("/cpus/cpu@1")), "cpu@1");
  EXPECT_STREQ(fdt_node_name(&blob_, Find("/cpus/cpu@100")), "cpu@100");
  // Without a unit address the first node with that node-name matches.
  EXPECT_STREQ(fdt_node_name(&blob_, Find("/memory")), "memory@40000000");
  EXPECT_STREQ(fdt_node_name(&blob_, Find("/memory@100000000")), "memory@100000000");
  EXPECT_STREQ(fdt_node_name(&blob_, Find("/psci")), "psci");
  EXPECT_STREQ(fdt_node_name(&blob_, Find("/cpus/cpu-map/cluster0/core0")), "core0");
  EXPECT_EQ(Find("/").offset, fdt_root(&blob_).offset);
  EXPECT_EQ(Find("/chosen/").offset, Find("/chosen").offset);

  fdt_node n{7};
  EXPECT_EQ(fdt_find_path(&blob_, "/cpus/cpu@3", &n), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_find_path(&blob_, "/cpus/cpu@", &n), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_find_path(&blob_, "/cpu", &n), FDT_ERR_NOT_FOUND);  // "cpus" is not "cpu"
  EXPECT_EQ(fdt_find_path(&blob_, "cpus", &n), FDT_ERR_BAD_ARGUMENT);
  EXPECT_EQ(n.offset, 7u);  // untouched on failure
  EXPECT_EQ(fdt_find_path_n(&blob_, "/cpus/cpu@1:xyz", 11, &n), FDT_OK);
  EXPECT_STREQ(fdt_node_name(&blob_, n), "cpu@1");
}

TEST_F(FdtVirtTest, ChildrenIterateInBlobOrderAndParentsWalkBack) {
  std::vector<std::string> names;
  fdt_node cpus = Find("/cpus"), c;
  fdt_status st;
  for (st = fdt_first_child(&blob_, cpus, &c); st == FDT_OK; st = fdt_next_sibling(&blob_, c, &c)) {
    names.push_back(fdt_node_name(&blob_, c));
    fdt_node p;
    ASSERT_EQ(fdt_parent(&blob_, c, &p), FDT_OK);
    EXPECT_EQ(p.offset, cpus.offset);
  }
  EXPECT_EQ(st, FDT_ERR_NOT_FOUND);
  EXPECT_EQ(names, (std::vector<std::string>{"cpu-map", "cpu@0", "cpu@1", "cpu@2", "cpu@100"}));

  fdt_node p;
  EXPECT_EQ(fdt_parent(&blob_, fdt_root(&blob_), &p), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_first_child(&blob_, Find("/chosen"), &c), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_next_sibling(&blob_, fdt_root(&blob_), &c), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_first_child(&blob_, fdt_node{1}, &c), FDT_ERR_BAD_ARGUMENT);
  EXPECT_EQ(fdt_first_child(&blob_, fdt_node{0xfffffff0u}, &c), FDT_ERR_BAD_ARGUMENT);
}

TEST_F(FdtVirtTest, PropertiesReadAsStringsCellsAndStringLists) {
  fdt_node psci = Find("/psci");
  const char *s = nullptr;
  ASSERT_EQ(fdt_get_string(&blob_, psci, "method", &s), FDT_OK);
  EXPECT_STREQ(s, "hvc");
  EXPECT_TRUE(fdt_prop_has_string(&blob_, psci, "compatible", "arm,psci-0.2"));
  EXPECT_TRUE(fdt_prop_has_string(&blob_, psci, "compatible", "arm,psci"));
  EXPECT_FALSE(fdt_prop_has_string(&blob_, psci, "compatible", "arm,psc"));
  EXPECT_FALSE(fdt_prop_has_string(&blob_, psci, "nothing", "arm,psci"));

  uint32_t v = 0;
  ASSERT_EQ(fdt_get_u32(&blob_, Find("/cpus"), "#address-cells", &v), FDT_OK);
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(fdt_get_u32(&blob_, psci, "compatible", &v), FDT_ERR_BAD_VALUE);  // not one cell long
  fdt_prop p{};
  ASSERT_EQ(fdt_get_prop(&blob_, Find("/reserved-memory/secmon"), "no-map", &p), FDT_OK);
  EXPECT_EQ(p.len, 0u);
  // A root property is not found through a child, and a child's property not through the root.
  EXPECT_EQ(fdt_get_prop(&blob_, psci, "#size-cells", &p), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_get_prop(&blob_, fdt_root(&blob_), "method", &p), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(fdt_get_string(&blob_, Find("/cpus"), "#address-cells", &s), FDT_ERR_BAD_VALUE);
}

TEST_F(FdtVirtTest, ChildCellsDefaultToTwoAndOne) {
  uint32_t ac = 0, sc = 0;
  ASSERT_EQ(fdt_child_cells(&blob_, Find("/psci"), &ac, &sc), FDT_OK);
  EXPECT_EQ(ac, 2u);
  EXPECT_EQ(sc, 1u);
  ASSERT_EQ(fdt_child_cells(&blob_, Find("/cpus"), &ac, &sc), FDT_OK);
  EXPECT_EQ(ac, 1u);
  EXPECT_EQ(sc, 0u);
}

TEST_F(FdtVirtTest, RegDecodesWithTheParentsCells) {
  fdt_range r[2] = {};
  size_t n = 0;
  ASSERT_EQ(fdt_get_reg(&blob_, Find("/intc"), r, 2, &n), FDT_OK);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(r[0].base, 0x8000000u);
  EXPECT_EQ(r[0].size, 0x10000u);
  EXPECT_EQ(r[1].base, 0x8010000u);
  n = 9;
  EXPECT_EQ(fdt_get_reg(&blob_, Find("/intc"), r, 1, &n), FDT_ERR_NO_SPACE);
  EXPECT_EQ(n, 9u);
  EXPECT_EQ(fdt_get_reg(&blob_, Find("/psci"), r, 2, &n), FDT_ERR_NOT_FOUND);
  ASSERT_EQ(fdt_get_reg(&blob_, Find("/cpus/cpu@100"), r, 2, &n), FDT_OK);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(r[0].base, 0x100u);
  EXPECT_EQ(r[0].size, 0u);
}

TEST_F(FdtVirtTest, MemreserveListsTheReservationBlock) {
  fdt_range r[2] = {};
  size_t n = 0;
  ASSERT_EQ(fdt_memreserve(&blob_, r, 2, &n), FDT_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(r[0].base, 0x48000000u);
  EXPECT_EQ(r[0].size, 0x10000u);
  EXPECT_EQ(fdt_memreserve(&blob_, r, 0, &n), FDT_ERR_NO_SPACE);
}

TEST_F(FdtVirtTest, StdoutPathThroughAnAliasIsThePl011) {
  fdt_console c{};
  ASSERT_EQ(fdt_stdout_console(&blob_, &c), FDT_OK);
  EXPECT_EQ(c.kind, FDT_CONSOLE_PL011);
  EXPECT_EQ(c.base, 0x9000000u);
  EXPECT_EQ(c.reg_shift, 0u);
  EXPECT_EQ(c.io_width, 4u);
}

TEST_F(FdtVirtTest, ReservedMemoryChildrenWithRegAreLabelledByNodeName) {
  fdt_reserved r[4] = {};
  size_t n = 0;
  ASSERT_EQ(fdt_reserved_memory(&blob_, r, 4, &n), FDT_OK);
  ASSERT_EQ(n, 2u);  // linux,cma has only a size (dynamic placement): skipped
  EXPECT_STREQ(r[0].name, "secmon@5e000000");
  EXPECT_EQ(r[0].range.base, 0x5e000000u);
  EXPECT_EQ(r[0].range.size, 0x200000u);
  EXPECT_TRUE(r[0].no_map);
  EXPECT_STREQ(r[1].name, "ramoops@5f000000");
  EXPECT_EQ(r[1].range.base, 0x5f000000u);
  EXPECT_EQ(r[1].range.size, 0x100000u);
  EXPECT_FALSE(r[1].no_map);

  fdt_reserved one[1] = {};
  n = 9;
  EXPECT_EQ(fdt_reserved_memory(&blob_, one, 1, &n), FDT_ERR_NO_SPACE);
  EXPECT_EQ(n, 9u);
  EXPECT_EQ(one[0].name, nullptr);  // nothing written
}

TEST_F(FdtVirtTest, PsciMethodIsHvc) {
  fdt_psci_method m{};
  ASSERT_EQ(fdt_psci(&blob_, &m), FDT_OK);
  EXPECT_EQ(m, FDT_PSCI_HVC);
}

TEST_F(FdtVirtTest, CpusGiveMpidrAndStatus) {
  fdt_cpu c[8] = {};
  size_t n = 0;
  ASSERT_EQ(fdt_cpus(&blob_, c, 8, &n), FDT_OK);
  ASSERT_EQ(n, 4u);  // cpu-map is not a cpu
  EXPECT_EQ(c[0].mpidr, 0u);
  EXPECT_TRUE(c[0].enabled);
  EXPECT_EQ(c[1].mpidr, 1u);
  EXPECT_TRUE(c[1].enabled);
  EXPECT_EQ(c[2].mpidr, 2u);
  EXPECT_FALSE(c[2].enabled);
  EXPECT_EQ(c[3].mpidr, 0x100u);
  EXPECT_TRUE(c[3].enabled);
  EXPECT_EQ(fdt_cpus(&blob_, c, 3, &n), FDT_ERR_NO_SPACE);
}

TEST_F(FdtVirtTest, MemoryNodesGiveTheirRanges) {
  fdt_range r[4] = {};
  size_t n = 0;
  ASSERT_EQ(fdt_memory(&blob_, r, 4, &n), FDT_OK);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(r[0].base, 0x40000000u);
  EXPECT_EQ(r[0].size, 0x20000000u);
  EXPECT_EQ(r[1].base, 0x100000000u);
  EXPECT_EQ(r[1].size, 0x40000000u);
  EXPECT_EQ(fdt_memory(&blob_, r, 1, &n), FDT_ERR_NO_SPACE);
}

class FdtNs16550Test : public FdtVirtTest {
 protected:
  void SetUp() override {
    bytes_ = ReadDtb("ns16550");
    ASSERT_EQ(fdt_open(&blob_, bytes_.data(), bytes_.size()), FDT_OK);
  }
};

TEST_F(FdtNs16550Test, StdoutPathWithOptionsIsA16550WithShiftAndWidth) {
  fdt_console c{};
  ASSERT_EQ(fdt_stdout_console(&blob_, &c), FDT_OK);
  EXPECT_EQ(c.kind, FDT_CONSOLE_NS16550);
  EXPECT_EQ(c.base, 0x10000000u);
  EXPECT_EQ(c.reg_shift, 2u);
  EXPECT_EQ(c.io_width, 4u);
}

TEST_F(FdtNs16550Test, AbsentTablesGiveNoneOrNotFound) {
  fdt_reserved r[1];
  fdt_range m[2];
  size_t n = 9;
  ASSERT_EQ(fdt_reserved_memory(&blob_, r, 1, &n), FDT_OK);
  EXPECT_EQ(n, 0u);
  ASSERT_EQ(fdt_memreserve(&blob_, m, 2, &n), FDT_OK);
  EXPECT_EQ(n, 0u);
  fdt_psci_method p{};
  EXPECT_EQ(fdt_psci(&blob_, &p), FDT_ERR_NOT_FOUND);
}

TEST_F(FdtNs16550Test, OneCellRootAndTwoCellCpus) {
  fdt_range m[2] = {};
  size_t n = 0;
  ASSERT_EQ(fdt_memory(&blob_, m, 2, &n), FDT_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(m[0].base, 0x80000000u);
  EXPECT_EQ(m[0].size, 0x10000000u);
  fdt_cpu c[2] = {};
  ASSERT_EQ(fdt_cpus(&blob_, c, 2, &n), FDT_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(c[0].mpidr, 0u);
  EXPECT_TRUE(c[0].enabled);
}

// --- Malformed blobs: each error value fires, and a failed open leaves the output untouched. ---

class FdtCorruptTest : public ::testing::Test {
 protected:
  void SetUp() override { good_ = ReadDtb("virt"); }
  fdt_status Open(const std::vector<uint8_t> &b) {
    fdt_blob out;
    std::memset(&out, 0xa5, sizeof out);
    fdt_blob before = out;
    fdt_status st = fdt_open(&out, b.data(), b.size());
    if (st != FDT_OK) EXPECT_EQ(std::memcmp(&out, &before, sizeof out), 0) << fdt_status_name(st);
    return st;
  }
  std::vector<uint8_t> good_;
};

TEST_F(FdtCorruptTest, TheValidBlobOpens) { EXPECT_EQ(Open(good_), FDT_OK); }

TEST_F(FdtCorruptTest, WrongMagicIsBadMagic) {
  auto b = good_;
  b[0] ^= 1;
  EXPECT_EQ(Open(b), FDT_ERR_BAD_MAGIC);
}

TEST_F(FdtCorruptTest, ShortBuffersAreTruncated) {
  auto b = good_;
  b.resize(3);
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
  b = good_;
  b.resize(good_.size() - 1);  // totalsize says more than there is
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
  b = good_;
  Put32(b, kTotalSize, 39);
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
}

TEST_F(FdtCorruptTest, EveryTruncationFailsCleanly) {
  // A blob cut anywhere, with totalsize saying so, opens only if nothing it needs was cut (never here: the
  // strings block is last). Exact-size heap copies let a sanitizer see any read past the end.
  for (size_t len = 0; len < good_.size(); len++) {
    std::vector<uint8_t> b(good_.begin(), good_.begin() + len);
    if (len >= 8) Put32(b, kTotalSize, len);
    EXPECT_NE(Open(b), FDT_OK) << len;
  }
}

TEST_F(FdtCorruptTest, UnknownVersionsAreBadVersion) {
  auto b = good_;
  Put32(b, kVersion, 15);
  EXPECT_EQ(Open(b), FDT_ERR_BAD_VERSION);
  b = good_;
  Put32(b, kLastComp, 18);
  EXPECT_EQ(Open(b), FDT_ERR_BAD_VERSION);
}

TEST_F(FdtCorruptTest, MisalignedOrOverlappingBlocksAreBadLayout) {
  auto b = good_;
  Put32(b, kOffRsvmap, Get32(good_, kOffRsvmap) + 4);
  EXPECT_EQ(Open(b), FDT_ERR_BAD_LAYOUT);
  b = good_;
  Put32(b, kOffStruct, Get32(good_, kOffStruct) + 2);
  EXPECT_EQ(Open(b), FDT_ERR_BAD_LAYOUT);
  b = good_;
  Put32(b, kOffStrings, 8);
  EXPECT_EQ(Open(b), FDT_ERR_BAD_LAYOUT);
}

TEST_F(FdtCorruptTest, BlocksPastTotalsizeAreTruncated) {
  auto b = good_;
  Put32(b, kSizeStruct, good_.size());
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
  b = good_;
  Put32(b, kSizeStrings, Get32(good_, kSizeStrings) + 1);
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
  b = good_;
  Put32(b, kOffStruct, (good_.size() + 4) & ~3u);
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
}

TEST_F(FdtCorruptTest, UnterminatedReservationListIsTruncated) {
  auto b = good_;
  Put32(b, kOffRsvmap, (good_.size() - 8) & ~7u);
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
}

// The structure block of the valid blob, as dtc writes it: the root's BEGIN_NODE and empty name, then its
// first property ("compatible"), ... , the root's END_NODE, FDT_END.
class FdtCorruptStructTest : public FdtCorruptTest {
 protected:
  size_t S(size_t rel) { return Get32(good_, kOffStruct) + rel; }
  size_t End() { return S(Get32(good_, kSizeStruct) - 4); }
};

TEST_F(FdtCorruptStructTest, UnknownTokenIsBadToken) {
  ASSERT_EQ(Get32(good_, End()), 9u);
  auto b = good_;
  Put32(b, End(), 5);
  EXPECT_EQ(Open(b), FDT_ERR_BAD_TOKEN);
}

TEST_F(FdtCorruptStructTest, PropertyOutsideTheRootIsBadToken) {
  ASSERT_EQ(Get32(good_, S(0)), 1u);  // root BEGIN_NODE
  auto b = good_;
  Put32(b, S(0), 4);  // root BEGIN_NODE -> NOP: its name word becomes a token
  EXPECT_NE(Open(b), FDT_OK);
  b = good_;
  Put32(b, S(0), 3);  // a PROP where the root must begin
  EXPECT_EQ(Open(b), FDT_ERR_BAD_TOKEN);
}

TEST_F(FdtCorruptStructTest, UnbalancedNodesAreBadNesting) {
  ASSERT_EQ(Get32(good_, End() - 4), 2u);  // root END_NODE
  auto b = good_;
  Put32(b, End() - 4, 4);  // root left open at FDT_END
  EXPECT_EQ(Open(b), FDT_ERR_BAD_NESTING);
  b = good_;
  Put32(b, End(), 2);  // END_NODE after the root closed; then the block ends
  EXPECT_EQ(Open(b), FDT_ERR_BAD_NESTING);
}

TEST_F(FdtCorruptStructTest, EndMissingIsTruncated) {
  auto b = good_;
  Put32(b, End(), 4);  // NOP instead of FDT_END: the walk runs off the block
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
}

TEST_F(FdtCorruptStructTest, PropertyRunningPastTheBlockIsTruncated) {
  ASSERT_EQ(Get32(good_, S(8)), 3u);  // the root's first PROP (the root's name "" is one padded word)
  auto b = good_;
  Put32(b, S(12), 0xffffff00u);
  EXPECT_EQ(Open(b), FDT_ERR_TRUNCATED);
}

TEST_F(FdtCorruptStructTest, NamesOutsideTheStringsBlockAreBadString) {
  auto b = good_;
  Put32(b, S(16), Get32(good_, kSizeStrings));  // nameoff at the strings block's end
  EXPECT_EQ(Open(b), FDT_ERR_BAD_STRING);
  b = good_;
  Put32(b, kSizeStrings, 1);  // "compatible" no longer terminated inside the block
  EXPECT_EQ(Open(b), FDT_ERR_BAD_STRING);
}

// --- Hand-built blobs, for shapes dtc never writes ---

// Builds a version-17 blob token by token: header, an empty reservation block, the structure block, strings.
class BlobBuilder {
 public:
  BlobBuilder &Begin(const std::string &name) {
    Word(1);
    Bytes(name.c_str(), name.size() + 1);
    return *this;
  }
  BlobBuilder &End() { return Word(2); }
  BlobBuilder &Prop(const std::string &name, const std::string &value_with_nuls) {
    Word(3);
    Word(value_with_nuls.size());
    Word(String(name));
    Bytes(value_with_nuls.data(), value_with_nuls.size());
    return *this;
  }
  BlobBuilder &Str(const std::string &name, const std::string &value) { return Prop(name, value + '\0'); }
  BlobBuilder &Word(uint32_t v) {
    uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    structure_.insert(structure_.end(), b, b + 4);
    return *this;
  }
  BlobBuilder &Bytes(const void *p, size_t n) {
    auto *c = static_cast<const uint8_t *>(p);
    structure_.insert(structure_.end(), c, c + n);
    while (structure_.size() % 4 != 0) structure_.push_back(0);
    return *this;
  }
  std::vector<uint8_t> Blob() {
    std::vector<uint8_t> b(40 + 16, 0);
    b.insert(b.end(), structure_.begin(), structure_.end());
    b.insert(b.end(), strings_.begin(), strings_.end());
    Put32(b, 0, FDT_MAGIC);
    Put32(b, kTotalSize, b.size());
    Put32(b, kOffStruct, 56);
    Put32(b, kOffStrings, 56 + structure_.size());
    Put32(b, kOffRsvmap, 40);
    Put32(b, kVersion, 17);
    Put32(b, kLastComp, 16);
    Put32(b, kSizeStrings, strings_.size());
    Put32(b, kSizeStruct, structure_.size());
    return b;
  }

 private:
  uint32_t String(const std::string &name) {
    uint32_t off = strings_.size();
    strings_.insert(strings_.end(), name.begin(), name.end());
    strings_.push_back(0);
    return off;
  }
  std::vector<uint8_t> structure_, strings_;
};

TEST_F(FdtCorruptTest, HandBuiltMinimalTreeOpens) {
  EXPECT_EQ(Open(BlobBuilder().Begin("").End().Word(9).Blob()), FDT_OK);
}

TEST_F(FdtCorruptTest, NestingDeeperThanTheLimitIsBadNesting) {
  BlobBuilder ok, deep;
  for (int i = 0; i < FDT_MAX_DEPTH; i++) ok.Begin(i == 0 ? "" : "n");
  for (int i = 0; i < FDT_MAX_DEPTH; i++) ok.End();
  EXPECT_EQ(Open(ok.Word(9).Blob()), FDT_OK);
  for (int i = 0; i <= FDT_MAX_DEPTH; i++) deep.Begin(i == 0 ? "" : "n");
  for (int i = 0; i <= FDT_MAX_DEPTH; i++) deep.End();
  EXPECT_EQ(Open(deep.Word(9).Blob()), FDT_ERR_BAD_NESTING);
}

TEST_F(FdtCorruptTest, SecondRootOrNoRootIsBadToken) {
  EXPECT_EQ(Open(BlobBuilder().Begin("").End().Begin("").End().Word(9).Blob()), FDT_ERR_BAD_TOKEN);
  EXPECT_EQ(Open(BlobBuilder().Word(4).Word(9).Blob()), FDT_ERR_BAD_TOKEN);
}

TEST_F(FdtCorruptTest, NodeNameRunningOffTheBlockIsBadString) {
  auto b = BlobBuilder().Begin("").Word(1).Word(0x41414141).Blob();  // "AAAA" and then the block ends
  EXPECT_EQ(Open(b), FDT_ERR_BAD_STRING);
}

TEST_F(FdtCorruptTest, Version16WithoutStructSizeOpens) {
  auto b = BlobBuilder().Begin("").End().Word(9).Blob();
  Put32(b, kVersion, 16);
  Put32(b, kSizeStruct, 0xdeadbeef);  // not a v16 field: ignored
  EXPECT_EQ(Open(b), FDT_OK);
}

TEST(FdtConsumerErrorsTest, UnknownConsoleAndPsciMethodAreUnsupported) {
  auto bytes = BlobBuilder()
                   .Begin("")
                   .Begin("chosen")
                   .Str("stdout-path", "/uart@1000")
                   .End()
                   .Begin("psci")
                   .Str("method", "svc")
                   .End()
                   .Begin("uart@1000")
                   .Str("compatible", "acme,uart")
                   .End()
                   .End()
                   .Word(9)
                   .Blob();
  fdt_blob b;
  ASSERT_EQ(fdt_open(&b, bytes.data(), bytes.size()), FDT_OK);
  fdt_console c{};
  EXPECT_EQ(fdt_stdout_console(&b, &c), FDT_ERR_UNSUPPORTED);
  EXPECT_EQ(c.base, 0u);
  fdt_psci_method m{};
  EXPECT_EQ(fdt_psci(&b, &m), FDT_ERR_UNSUPPORTED);
  fdt_cpu cpu[1];
  size_t n = 9;
  EXPECT_EQ(fdt_cpus(&b, cpu, 1, &n), FDT_ERR_NOT_FOUND);
  EXPECT_EQ(n, 9u);
}

TEST(FdtConsumerErrorsTest, StdoutAliasWithoutAliasesIsNotFound) {
  auto bytes = BlobBuilder().Begin("").Begin("chosen").Str("stdout-path", "serial0").End().End().Word(9).Blob();
  fdt_blob b;
  ASSERT_EQ(fdt_open(&b, bytes.data(), bytes.size()), FDT_OK);
  fdt_console c{};
  EXPECT_EQ(fdt_stdout_console(&b, &c), FDT_ERR_NOT_FOUND);
}

TEST(FdtConsumerErrorsTest, RegNotAWholeNumberOfEntriesIsBadValue) {
  auto bytes = BlobBuilder()
                   .Begin("")
                   .Begin("memory@0")
                   .Str("device_type", "memory")
                   .Prop("reg", std::string(12, '\1'))  // root cells 2 + 1: 12 bytes is one entry
                   .End()
                   .Begin("memory@1")
                   .Str("device_type", "memory")
                   .Prop("reg", std::string(10, '\1'))
                   .End()
                   .End()
                   .Word(9)
                   .Blob();
  fdt_blob b;
  ASSERT_EQ(fdt_open(&b, bytes.data(), bytes.size()), FDT_OK);
  fdt_range r[4];
  size_t n = 9;
  EXPECT_EQ(fdt_memory(&b, r, 4, &n), FDT_ERR_BAD_VALUE);
  EXPECT_EQ(n, 9u);
  fdt_node m0;
  ASSERT_EQ(fdt_find_path(&b, "/memory@0", &m0), FDT_OK);
  ASSERT_EQ(fdt_get_reg(&b, m0, r, 4, &n), FDT_OK);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(r[0].base, 0x0101010101010101u);
  EXPECT_EQ(r[0].size, 0x01010101u);
}

TEST(FdtStatusTest, EveryStatusHasAName) {
  EXPECT_STREQ(fdt_status_name(FDT_OK), "ok");
  EXPECT_STREQ(fdt_status_name(FDT_ERR_BAD_MAGIC), "bad_magic");
  EXPECT_STREQ(fdt_status_name(FDT_ERR_BAD_NESTING), "bad_nesting");
  EXPECT_STREQ(fdt_status_name(FDT_ERR_BAD_ARGUMENT), "bad_argument");
}

}  // namespace

namespace {
void CountMemoryRange(void *arg, const fdt_memory_range *) { ++*static_cast<int *>(arg); }
}  // namespace

TEST(FdtConsumerErrorsTest, NumaNodeIdNotOneCellIsBadValueBeforeAnyCallback) {
  auto bytes = BlobBuilder()
                   .Begin("")
                   .Begin("memory@0")
                   .Str("device_type", "memory")
                   .Prop("reg", std::string(12, '\1'))
                   .Prop("numa-node-id", std::string(4, '\0'))
                   .End()
                   .Begin("memory@1")
                   .Str("device_type", "memory")
                   .Prop("reg", std::string(12, '\2'))
                   .Prop("numa-node-id", std::string(8, '\0'))  // two cells: not a u32
                   .End()
                   .End()
                   .Word(9)
                   .Blob();
  fdt_blob b;
  ASSERT_EQ(fdt_open(&b, bytes.data(), bytes.size()), FDT_OK);
  int calls = 0;
  EXPECT_EQ(fdt_memory_numa(&b, CountMemoryRange, &calls), FDT_ERR_BAD_VALUE);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(fdt_memory_numa(&b, nullptr, nullptr), FDT_ERR_BAD_ARGUMENT);
}
