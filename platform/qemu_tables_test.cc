// Host tests of the ACPI and devicetree readers on QEMU 7.2's own tables, captured from real boots
// (platform/testdata/qemu/README.md says how): q35 and virt with -smp 4 and two NUMA nodes, and the virt DTBs
// (`dumpdtb`, plain -smp 2 and the same -numa machine). Then broken copies of them: each fault a clear status,
// never a read outside the bytes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "platform/discover.h"
}
#include "platform/acpi_test_util.h"
#include "platform/test_files.h"

namespace {

using platform_testing::ReadQemuFile;

using namespace acpi_testing;

constexpr uint64_t kRsdp = 0x7f000000, kXsdt = 0x7f001000, kTables = 0x7f010000;

// The dumped tables (not the XSDT: its addresses were the guest's) behind a fresh RSDP and XSDT, in dump order.
struct Dump {
  FakePhys mem;
  acpi_root root{};
  std::map<std::string, std::vector<uint8_t>> tables;

  Dump(const std::string &dir, const std::vector<std::string> &sigs,
       const std::map<std::string, std::vector<uint8_t>> &replace = {}) {
    std::vector<uint64_t> entries;
    for (size_t i = 0; i < sigs.size(); i++) {
      auto it = replace.find(sigs[i]);
      std::vector<uint8_t> t = it != replace.end() ? it->second : ReadQemuFile(dir + "/" + sigs[i] + ".dat");
      tables[sigs[i]] = t;
      uint64_t at = kTables + 0x1000 * i;
      mem.Place(at, t);
      entries.push_back(at);
    }
    mem.Place(kRsdp, Rsdp(2, kXsdt));
    mem.Place(kXsdt, Xsdt(entries));
    EXPECT_EQ(acpi_root_init(&root, mem.Window(), kRsdp), ACPI_OK);
  }

  acpi_status Find(const char *sig, acpi_table *t) { return acpi_root_find(&root, sig, 0, t, nullptr); }
};

const std::vector<std::string> kQ35 = {"FACP", "APIC", "HPET", "SRAT", "MCFG", "WAET", "BGRT"};
const std::vector<std::string> kVirt = {"FACP", "APIC", "PPTT", "GTDT", "MCFG", "SPCR", "DBG2", "SRAT", "IORT"};
const char *const kQ35Dir = "x86_64_q35_numa", *const kVirtDir = "aarch64_virt_numa";

TEST(QemuAcpiDump, DumpedXsdtsPassTheirOwnChecks) {
  for (const char *dir : {kQ35Dir, kVirtDir}) {
    FakePhys mem;
    mem.Place(0x1000, ReadQemuFile(std::string(dir) + "/XSDT.dat"));
    acpi_table t;
    ASSERT_EQ(acpi_table_load(mem.Window(), 0x1000, &t), ACPI_OK) << dir;
    EXPECT_EQ(std::string(t.signature, 4), "XSDT");
  }
}

TEST(QemuAcpiDump, EveryDumpedTableIsFound) {
  Dump q35(kQ35Dir, kQ35), virt(kVirtDir, kVirt);
  for (const auto &s : kQ35) {
    acpi_table t;
    EXPECT_EQ(q35.Find(s.c_str(), &t), ACPI_OK) << s;
  }
  for (const auto &s : kVirt) {
    acpi_table t;
    EXPECT_EQ(virt.Find(s.c_str(), &t), ACPI_OK) << s;
  }
}

TEST(QemuAcpiDump, Q35HasNoSpcrAndItsFadtPredatesArmBootFlags) {
  Dump d(kQ35Dir, kQ35);
  acpi_table t;
  EXPECT_EQ(d.Find("SPCR", &t), ACPI_ERR_NOT_FOUND);
  ASSERT_EQ(d.Find("FACP", &t), ACPI_OK);
  acpi_arm_boot arm;
  EXPECT_EQ(acpi_fadt_arm_boot(&t, &arm), ACPI_ERR_BAD_REVISION) << "q35's FADT is revision 3";
}

TEST(QemuAcpiDump, VirtSpcrIsThePl011) {
  Dump d(kVirtDir, kVirt);
  acpi_table t;
  ASSERT_EQ(d.Find("SPCR", &t), ACPI_OK);
  acpi_spcr spcr;
  ASSERT_EQ(acpi_spcr_parse(&t, &spcr), ACPI_OK);
  EXPECT_EQ(spcr.kind, ACPI_UART_PL011);
  EXPECT_EQ(spcr.interface_type, 3u);
  EXPECT_EQ(spcr.base.address_space, ACPI_GAS_SYSTEM_MEMORY);
  EXPECT_EQ(spcr.base.address, 0x9000000u);
}

TEST(QemuAcpiDump, VirtFadtNamesPsciOverHvc) {
  Dump d(kVirtDir, kVirt);
  acpi_table t;
  ASSERT_EQ(d.Find("FACP", &t), ACPI_OK);
  acpi_arm_boot arm;
  ASSERT_EQ(acpi_fadt_arm_boot(&t, &arm), ACPI_OK);
  EXPECT_TRUE(arm.psci_compliant);
  EXPECT_TRUE(arm.psci_use_hvc);
}

TEST(QemuAcpiDump, MadtListsTheFourCpusOfSmp4) {
  for (auto [dir, sigs, kind] :
       {std::make_tuple(kQ35Dir, kQ35, ACPI_CPU_LOCAL_APIC), std::make_tuple(kVirtDir, kVirt, ACPI_CPU_GICC)}) {
    Dump d(dir, sigs);
    acpi_table t;
    ASSERT_EQ(d.Find("APIC", &t), ACPI_OK);
    acpi_cpu cpus[8];
    uint32_t count = 0;
    ASSERT_EQ(acpi_madt_cpus_into(&t, cpus, 8, &count), ACPI_OK) << dir;
    ASSERT_EQ(count, 4u) << dir;
    for (uint32_t i = 0; i < count; i++) {
      EXPECT_EQ(cpus[i].kind, kind);
      EXPECT_TRUE(cpus[i].enabled);
      EXPECT_EQ(cpus[i].hw_id, i) << "APIC IDs / MPIDR Aff0 0..3";
    }
  }
}

struct SratSeen {
  std::vector<acpi_srat_entry> memory;
  std::set<uint32_t> cpu_domains;
  uint32_t cpus = 0;
};

void CollectSrat(void *arg, const acpi_srat_entry *e) {
  auto *s = static_cast<SratSeen *>(arg);
  if (e->kind == ACPI_SRAT_MEMORY) {
    if (e->enabled) s->memory.push_back(*e);
  } else {
    s->cpus++;
    s->cpu_domains.insert(e->domain);
  }
}

TEST(QemuAcpiDump, SratHasTwoNodesOf256MibEach) {
  // q35: node 0 [0, 640 KiB) and [1 MiB, 256 MiB), node 1 [256 MiB, 512 MiB) (plus a disabled hotplug entry);
  // virt: node 0 at 0x40000000, node 1 at 0x50000000.
  std::map<std::string, std::vector<std::pair<uint32_t, uint64_t>>> want = {
      {kQ35Dir, {{0, 0x0}, {0, 0x100000}, {1, 0x10000000}}},
      {kVirtDir, {{0, 0x40000000}, {1, 0x50000000}}},
  };
  for (auto [dir, sigs] : {std::make_pair(kQ35Dir, kQ35), std::make_pair(kVirtDir, kVirt)}) {
    Dump d(dir, sigs);
    acpi_table t;
    ASSERT_EQ(d.Find("SRAT", &t), ACPI_OK);
    SratSeen seen;
    ASSERT_EQ(acpi_srat_walk(&t, CollectSrat, &seen), ACPI_OK) << dir;
    std::vector<std::pair<uint32_t, uint64_t>> got;
    uint64_t per_node[2] = {0, 0};
    for (const auto &m : seen.memory) {
      got.push_back({m.domain, m.base});
      ASSERT_LT(m.domain, 2u);
      per_node[m.domain] += m.length;
    }
    EXPECT_EQ(got, want[dir]) << dir;
    EXPECT_EQ(per_node[1], 256u << 20) << dir;
    EXPECT_EQ(seen.cpus, 4u) << dir;
    EXPECT_EQ(seen.cpu_domains, (std::set<uint32_t>{0, 1})) << dir;
  }
}

TEST(QemuAcpiDump, PsciConduitFromTheRealFadts) {
  // Through platform_discover, as the kernel does: virt's FADT names HVC, q35's predates ARM_BOOT_ARCH.
  for (auto [dir, want] :
       {std::make_pair(kVirtDir, PLATFORM_PSCI_HVC), std::make_pair(kQ35Dir, PLATFORM_PSCI_UNKNOWN)}) {
    FakePhys mem;
    mem.Place(kRsdp, Rsdp(2, kXsdt));
    mem.Place(kXsdt, Xsdt({kTables}));
    mem.Place(kTables, ReadQemuFile(std::string(dir) + "/FACP.dat"));
    platform_tables tables{kRsdp, 0, 0, 0};
    platform_info info;
    platform_discover(&info, &tables, mem.Window());
    platform_psci psci = platform_find_psci(&info);
    EXPECT_EQ(psci.conduit, want) << dir;
    EXPECT_EQ(psci.source, want == PLATFORM_PSCI_HVC ? PLATFORM_PSCI_SOURCE_FADT : PLATFORM_PSCI_SOURCE_NONE) << dir;
  }
}

// ---- Broken copies of the real tables ----

TEST(QemuAcpiBroken, ABadChecksumSkipsTheTableAndNothingElse) {
  auto madt = ReadQemuFile(std::string(kVirtDir) + "/APIC.dat");
  madt[50] ^= 0x40;
  Dump d(kVirtDir, kVirt, {{"APIC", madt}});
  acpi_table t;
  acpi_status skipped = ACPI_OK;
  EXPECT_EQ(acpi_root_find(&d.root, "APIC", 0, &t, &skipped), ACPI_ERR_NOT_FOUND);
  EXPECT_EQ(skipped, ACPI_ERR_BAD_CHECKSUM);
  EXPECT_EQ(acpi_root_table(&d.root, 1, &t), ACPI_ERR_BAD_CHECKSUM);
  EXPECT_EQ(d.Find("SPCR", &t), ACPI_OK) << "the other tables stay usable";
}

TEST(QemuAcpiBroken, ALengthPastTheTableIsUnmapped) {
  auto spcr = ReadQemuFile(std::string(kVirtDir) + "/SPCR.dat");
  Put(spcr, 4, spcr.size() + 0x100, 4);
  Dump d(kVirtDir, kVirt, {{"SPCR", spcr}});
  acpi_table t;
  EXPECT_EQ(acpi_root_table(&d.root, 5, &t), ACPI_ERR_UNMAPPED);
  EXPECT_EQ(d.Find("SPCR", &t), ACPI_ERR_NOT_FOUND);
}

// Re-signs a table after an edit: byte 9 makes the Length bytes sum to 0.
std::vector<uint8_t> Resum(std::vector<uint8_t> t) {
  t[9] = 0;
  t[9] = static_cast<uint8_t>(0 - Sum(t, t.size()));
  return t;
}

TEST(QemuAcpiBroken, AnOlderFadtRevisionHasNoArmBootFlags) {
  auto fadt = ReadQemuFile(std::string(kVirtDir) + "/FACP.dat");
  fadt[8] = 4;  // FADT major 4: ARM_BOOT_ARCH came with 5.1
  Dump d(kVirtDir, kVirt, {{"FACP", Resum(fadt)}});
  acpi_table t;
  ASSERT_EQ(d.Find("FACP", &t), ACPI_OK);
  acpi_arm_boot arm{true, true};
  EXPECT_EQ(acpi_fadt_arm_boot(&t, &arm), ACPI_ERR_BAD_REVISION);
}

TEST(QemuAcpiBroken, TruncatedTablesAreRefused) {
  // A MADT cut inside its last GICC entry (Length and checksum fixed up, so only the entry is short).
  auto madt = ReadQemuFile(std::string(kVirtDir) + "/APIC.dat");
  madt.resize(madt.size() - 20);
  Put(madt, 4, madt.size(), 4);
  // An SPCR shorter than revision 2's 80 bytes.
  auto spcr = ReadQemuFile(std::string(kVirtDir) + "/SPCR.dat");
  spcr.resize(60);
  Put(spcr, 4, spcr.size(), 4);
  Dump d(kVirtDir, kVirt, {{"APIC", Resum(madt)}, {"SPCR", Resum(spcr)}});
  acpi_table t;
  ASSERT_EQ(d.Find("APIC", &t), ACPI_OK);
  uint32_t count = 0;
  int calls = 0;
  auto count_call = [](void *arg, const acpi_cpu *) { ++*static_cast<int *>(arg); };
  EXPECT_EQ(acpi_madt_cpus(&t, count_call, &calls, &count), ACPI_ERR_BAD_ENTRY_LENGTH);
  EXPECT_EQ(calls, 0) << "nothing is reported from a table whose entries do not all check";
  ASSERT_EQ(d.Find("SPCR", &t), ACPI_OK);
  acpi_spcr out;
  EXPECT_EQ(acpi_spcr_parse(&t, &out), ACPI_ERR_TRUNCATED);
}

// ---- The devicetrees ----

struct Blob {
  std::vector<uint8_t> bytes;
  fdt_blob dt{};
  fdt_status status;
  explicit Blob(std::vector<uint8_t> b) : bytes(std::move(b)), status(fdt_open(&dt, bytes.data(), bytes.size())) {}
};

TEST(QemuDtbDump, VirtConsolePsciCpusAndMemory) {
  Blob b(ReadQemuFile("aarch64_virt.dtb"));
  ASSERT_EQ(b.status, FDT_OK);
  fdt_console con;
  ASSERT_EQ(fdt_stdout_console(&b.dt, &con), FDT_OK);
  EXPECT_EQ(con.kind, FDT_CONSOLE_PL011);
  EXPECT_EQ(con.base, 0x9000000u);
  fdt_psci_method psci;
  ASSERT_EQ(fdt_psci(&b.dt, &psci), FDT_OK);
  EXPECT_EQ(psci, FDT_PSCI_HVC);
  fdt_cpu cpus[8];
  size_t n = 0;
  ASSERT_EQ(fdt_cpus(&b.dt, cpus, 8, &n), FDT_OK);
  EXPECT_EQ(n, 2u) << "-smp 2";
  fdt_range mem[4];
  ASSERT_EQ(fdt_memory(&b.dt, mem, 4, &n), FDT_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(mem[0].base, 0x40000000u);
  EXPECT_EQ(mem[0].size, 256u << 20);
  fdt_reserved res[4];
  ASSERT_EQ(fdt_reserved_memory(&b.dt, res, 4, &n), FDT_OK);
  EXPECT_EQ(n, 0u) << "QEMU's virt reserves nothing";
}

TEST(QemuDtbDump, NumaVirtHasTwoMemoryNodesAndFourCpus) {
  Blob b(ReadQemuFile("aarch64_virt_numa.dtb"));
  ASSERT_EQ(b.status, FDT_OK);
  fdt_range mem[4];
  size_t n = 0;
  ASSERT_EQ(fdt_memory(&b.dt, mem, 4, &n), FDT_OK);
  ASSERT_EQ(n, 2u);
  std::set<uint64_t> bases = {mem[0].base, mem[1].base};
  EXPECT_EQ(bases, (std::set<uint64_t>{0x40000000, 0x50000000}));
  fdt_cpu cpus[8];
  ASSERT_EQ(fdt_cpus(&b.dt, cpus, 8, &n), FDT_OK);
  EXPECT_EQ(n, 4u);
}

TEST(QemuDtbBroken, BadMagicTruncationAndOversizedTotalsize) {
  auto good = ReadQemuFile("aarch64_virt.dtb");
  auto magic = good;
  magic[0] ^= 0xff;
  EXPECT_EQ(Blob(magic).status, FDT_ERR_BAD_MAGIC);
  auto cut = good;
  cut.resize(good.size() / 2);
  EXPECT_EQ(Blob(cut).status, FDT_ERR_TRUNCATED) << "totalsize says more than there is";
  auto big = good;
  big[4] = 0x7f;  // totalsize far past the buffer
  EXPECT_EQ(Blob(big).status, FDT_ERR_TRUNCATED);
}

TEST(QemuDtbBroken, APropertyLongerThanItsBlockIsRefused) {
  auto dtb = ReadQemuFile("aarch64_virt.dtb");
  Blob ok(dtb);
  ASSERT_EQ(ok.status, FDT_OK);
  // The first FDT_PROP token (0x00000003) in the structure block: give its value a length past the block.
  uint32_t off = ok.dt.struct_off;
  size_t at = 0;
  for (size_t i = off; i + 8 <= off + ok.dt.struct_size; i += 4) {
    if (dtb[i] == 0 && dtb[i + 1] == 0 && dtb[i + 2] == 0 && dtb[i + 3] == 3) {
      at = i;
      break;
    }
  }
  ASSERT_NE(at, 0u);
  dtb[at + 4] = 0x00;
  dtb[at + 5] = 0x10;  // len = 0x0010xxxx bytes
  EXPECT_EQ(Blob(dtb).status, FDT_ERR_TRUNCATED);
}

}  // namespace
