// Host tests for the ACPI reader: hand-built tables (checksums computed by the builders) placed at fake physical
// addresses behind an mm_phys_window, modelled on the layout QEMU's virt and q35 firmware produce.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "platform/acpi.h"
}
#include "platform/acpi_test_util.h"

namespace {

using namespace acpi_testing;

// MADT entries (5.2.12).
void Gicc(Table& t, uint32_t uid, uint64_t mpidr, uint32_t flags) {
  t.U8(0xB).U8(82).U16(0).U32(uid).U32(uid).U32(flags).U32(0).U32(23).U64(0).U64(0).U64(0).U64(0).U32(0).U64(
      0x80a0000 + 0x20000ull * uid);
  t.U64(mpidr).U8(0).U8(0).U16(0).U16(0);
}

Table QemuVirtMadt(int cpus) {
  Table t("APIC", 4);
  t.U32(0).U32(0);
  for (int i = 0; i < cpus; i++) Gicc(t, i, i, 1);
  // GICD (type 0xC, 24 bytes), stepped over.
  t.U8(0xC).U8(24).U16(0).U32(0).U64(0x8000000).U32(0).U8(3).Zeros(3);
  return t;
}

// QEMU virt's SPCR: revision 2, PL011 at 0x9000000, 32-bit MMIO accesses, 115200 baud.
Table QemuVirtSpcr(uint8_t interface_type = 3) {
  Table t("SPCR", 2);
  t.U8(interface_type).Zeros(3);
  t.U8(ACPI_GAS_SYSTEM_MEMORY).U8(32).U8(0).U8(3).U64(0x9000000);  // Base Address GAS
  t.U8(0x8).U8(0).U32(33).U8(7).U8(0).U8(1).U8(0).U8(3).U8(0);   // interrupt, baud 115200, parity, ...
  t.U16(0xffff).U16(0xffff).U8(0).U8(0).U8(0).U32(0).U8(0).U32(0);  // PCI fields, through byte 80
  return t;
}

// FADT of ACPI 6.x length 276; ARM_BOOT_ARCH at 129, minor at 131.
Table Fadt(uint8_t major, uint8_t minor, uint16_t arm_boot_arch, size_t length = 276) {
  Table t("FACP", major);
  t.Zeros(length - 36);
  Put(t.b, 129, arm_boot_arch, 2);
  if (length > 131) t.b[131] = minor;  // a shorter table has no Minor Version byte
  return t;
}

constexpr uint64_t kRsdp = 0x40000000;
constexpr uint64_t kXsdt = 0x40001000;

// One machine: RSDP (segment 0) -> XSDT (segment 1) -> tables each at kXsdt + 0x1000 * (i + 1).
struct Machine {
  FakePhys mem;
  acpi_root root{};
  explicit Machine(const std::vector<std::vector<uint8_t>>& tables) {
    std::vector<uint64_t> entries;
    for (size_t i = 0; i < tables.size(); i++) entries.push_back(kXsdt + 0x1000 * (i + 1));
    mem.Place(kRsdp, Rsdp(2, kXsdt));  // segments[0]
    mem.Place(kXsdt, Xsdt(entries));   // segments[1]
    for (size_t i = 0; i < tables.size(); i++) mem.Place(entries[i], tables[i]);
  }
  acpi_status Init() { return acpi_root_init(&root, mem.Window(), kRsdp); }
};

// ---- RSDP / XSDT / lookup ----

TEST(AcpiRoot, QemuShapedTablesAreFoundBySignature) {
  Machine m({Fadt(6, 3, 1).Done(), QemuVirtMadt(2).Done(), QemuVirtSpcr().Done()});
  ASSERT_EQ(m.Init(), ACPI_OK);
  EXPECT_EQ(m.root.rsdp_revision, 2);
  EXPECT_EQ(m.root.entry_count, 3u);
  acpi_table t;
  acpi_status skipped = ACPI_ERR_INVALID_ARGUMENT;
  ASSERT_EQ(acpi_root_find(&m.root, "APIC", 0, &t, &skipped), ACPI_OK);
  EXPECT_EQ(skipped, ACPI_OK);
  EXPECT_EQ(t.phys, kXsdt + 0x2000);
  EXPECT_EQ(std::string(t.signature, 4), "APIC");
  EXPECT_EQ(acpi_root_find(&m.root, "SRAT", 0, &t, nullptr), ACPI_ERR_NOT_FOUND);
  EXPECT_EQ(acpi_root_find(&m.root, "APIC", 1, &t, nullptr), ACPI_ERR_NOT_FOUND);
}

TEST(AcpiRoot, SecondInstanceOfASignatureIsFoundByIndex) {
  Machine m({QemuVirtSpcr(3).Done(), QemuVirtSpcr(0).Done()});
  ASSERT_EQ(m.Init(), ACPI_OK);
  acpi_table t;
  ASSERT_EQ(acpi_root_find(&m.root, "SPCR", 1, &t, nullptr), ACPI_OK);
  EXPECT_EQ(t.bytes[36], 0);
}

TEST(AcpiRoot, BadRsdpChecksumIsRefusedAndRootUntouched) {
  Machine m({});
  m.mem.segments[0].bytes[8] ^= 1;
  m.root.entry_count = 77;
  EXPECT_EQ(m.Init(), ACPI_ERR_BAD_CHECKSUM);
  EXPECT_EQ(m.root.entry_count, 77u);
}

TEST(AcpiRoot, BadExtendedChecksumIsRefused) {
  Machine m({});
  m.mem.segments[0].bytes[32] ^= 1;
  EXPECT_EQ(m.Init(), ACPI_ERR_BAD_CHECKSUM);
}

TEST(AcpiRoot, BadRsdpSignatureIsRefused) {
  Machine m({});
  m.mem.segments[0].bytes[0] = 'X';
  EXPECT_EQ(m.Init(), ACPI_ERR_BAD_SIGNATURE);
}

TEST(AcpiRoot, Revision0RsdpHasNoXsdt) {
  FakePhys mem;
  std::vector<uint8_t> r = Rsdp(0, 0);
  r.resize(20);
  r[8] = 0;
  r[8] = static_cast<uint8_t>(0 - Sum(r, 20));
  mem.Place(kRsdp, r);
  acpi_root root;
  EXPECT_EQ(acpi_root_init(&root, mem.Window(), kRsdp), ACPI_ERR_NO_XSDT);
}

TEST(AcpiRoot, ZeroXsdtAddressIsNoXsdt) {
  FakePhys mem;
  mem.Place(kRsdp, Rsdp(2, 0));
  acpi_root root;
  EXPECT_EQ(acpi_root_init(&root, mem.Window(), kRsdp), ACPI_ERR_NO_XSDT);
}

TEST(AcpiRoot, UnmappedRsdpIsRefused) {
  FakePhys mem;
  acpi_root root;
  EXPECT_EQ(acpi_root_init(&root, mem.Window(), kRsdp), ACPI_ERR_UNMAPPED);
  EXPECT_EQ(acpi_root_init(&root, mem.Window(), ~0ull - 4), ACPI_ERR_UNMAPPED);
}

TEST(AcpiRoot, NullArgumentsAreRefused) {
  FakePhys mem;
  acpi_root root;
  EXPECT_EQ(acpi_root_init(nullptr, mem.Window(), kRsdp), ACPI_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(acpi_root_init(&root, mm_phys_window{nullptr, nullptr}, kRsdp), ACPI_ERR_INVALID_ARGUMENT);
}

TEST(AcpiRoot, XsdtWithPartialEntryIsTruncated) {
  Machine m({QemuVirtSpcr().Done()});
  Table t("XSDT", 1);
  t.U64(kXsdt + 0x1000).U32(0);  // 4 stray bytes
  m.mem.segments[1].bytes = t.Done();
  EXPECT_EQ(m.Init(), ACPI_ERR_TRUNCATED);
}

TEST(AcpiRoot, XsdtLengthBeyondTheMappingIsUnmapped) {
  Machine m({QemuVirtSpcr().Done()});
  auto& x = m.mem.segments[1].bytes;
  Put(x, 4, 36 + 8 * 100, 4);  // claims 100 entries, only one is mapped
  EXPECT_EQ(m.Init(), ACPI_ERR_UNMAPPED);
}

TEST(AcpiRoot, XsdtWithWrongSignatureIsRefused) {
  Machine m({});
  Table t("RSDT", 1);
  m.mem.segments[1].bytes = t.Done();
  EXPECT_EQ(m.Init(), ACPI_ERR_BAD_SIGNATURE);
}

TEST(AcpiRoot, BadTableChecksumIsSkippedWhileOthersAreFound) {
  std::vector<uint8_t> bad = QemuVirtMadt(1).Done();
  bad[40] ^= 0x10;
  Machine m({bad, QemuVirtMadt(2).Done(), QemuVirtSpcr().Done()});
  ASSERT_EQ(m.Init(), ACPI_OK);
  acpi_table t;
  EXPECT_EQ(acpi_root_table(&m.root, 0, &t), ACPI_ERR_BAD_CHECKSUM);
  acpi_status skipped = ACPI_OK;
  ASSERT_EQ(acpi_root_find(&m.root, "APIC", 0, &t, &skipped), ACPI_OK);
  EXPECT_EQ(skipped, ACPI_ERR_BAD_CHECKSUM);
  EXPECT_EQ(t.phys, kXsdt + 0x2000);
  ASSERT_EQ(acpi_root_find(&m.root, "SPCR", 0, &t, nullptr), ACPI_OK);
}

TEST(AcpiRoot, TableLengthBeyondItsMappingIsSkipped) {
  std::vector<uint8_t> spcr = QemuVirtSpcr().Done();
  Put(spcr, 4, 0x10000, 4);
  Machine m({spcr});
  ASSERT_EQ(m.Init(), ACPI_OK);
  acpi_table t;
  EXPECT_EQ(acpi_root_table(&m.root, 0, &t), ACPI_ERR_UNMAPPED);
  acpi_status skipped = ACPI_OK;
  EXPECT_EQ(acpi_root_find(&m.root, "SPCR", 0, &t, &skipped), ACPI_ERR_NOT_FOUND);
  EXPECT_EQ(skipped, ACPI_ERR_UNMAPPED);
}

TEST(AcpiRoot, TableLengthShorterThanTheHeaderIsTruncated) {
  std::vector<uint8_t> spcr = QemuVirtSpcr().Done();
  Put(spcr, 4, 20, 4);
  Machine m({spcr});
  ASSERT_EQ(m.Init(), ACPI_OK);
  acpi_table t;
  EXPECT_EQ(acpi_root_table(&m.root, 0, &t), ACPI_ERR_TRUNCATED);
  EXPECT_EQ(acpi_root_table(&m.root, 1, &t), ACPI_ERR_NOT_FOUND);
}

TEST(AcpiRoot, StatusNamesAreStable) {
  EXPECT_STREQ(acpi_status_name(ACPI_OK), "ok");
  EXPECT_STREQ(acpi_status_name(ACPI_ERR_BAD_CHECKSUM), "bad_checksum");
  EXPECT_STREQ(acpi_status_name(ACPI_ERR_TRUNCATED), "truncated");
  EXPECT_STREQ(acpi_status_name(ACPI_ERR_BAD_ENTRY_LENGTH), "bad_entry_length");
  EXPECT_STREQ(acpi_status_name(static_cast<acpi_status>(999)), "unknown_status");
}

// ---- SPCR ----

acpi_table View(const std::vector<uint8_t>& b) {
  acpi_table t{};
  t.bytes = b.data();
  t.length = static_cast<uint32_t>(b.size());
  memcpy(t.signature, b.data(), 4);
  t.revision = b[8];
  return t;
}

TEST(AcpiSpcr, QemuVirtPl011At0x9000000) {
  auto b = QemuVirtSpcr().Done();
  acpi_table t = View(b);
  acpi_spcr s;
  ASSERT_EQ(acpi_spcr_parse(&t, &s), ACPI_OK);
  EXPECT_EQ(s.kind, ACPI_UART_PL011);
  EXPECT_EQ(s.interface_type, 3);
  EXPECT_EQ(s.base.address_space, ACPI_GAS_SYSTEM_MEMORY);
  EXPECT_EQ(s.base.bit_width, 32);
  EXPECT_EQ(s.base.access_size, 3);
  EXPECT_EQ(s.base.address, 0x9000000u);
  EXPECT_EQ(s.baud, 115200u);
}

TEST(AcpiSpcr, SixteenFiftyVariantsAreKind16550) {
  for (uint8_t type : {0x00, 0x01, 0x12}) {
    auto b = QemuVirtSpcr(type).Done();
    acpi_table t = View(b);
    acpi_spcr s;
    ASSERT_EQ(acpi_spcr_parse(&t, &s), ACPI_OK) << int(type);
    EXPECT_EQ(s.kind, ACPI_UART_16550);
  }
  for (uint8_t type : {0x0D, 0x0E}) {
    auto b = QemuVirtSpcr(type).Done();
    acpi_table t = View(b);
    acpi_spcr s;
    ASSERT_EQ(acpi_spcr_parse(&t, &s), ACPI_OK) << int(type);
    EXPECT_EQ(s.kind, ACPI_UART_PL011);
  }
}

TEST(AcpiSpcr, UnknownInterfaceTypeIsRefusedAndOutputUntouched) {
  auto b = QemuVirtSpcr(0x0F).Done();  // Arm DCC
  acpi_table t = View(b);
  acpi_spcr s{};
  s.baud = 1234;
  EXPECT_EQ(acpi_spcr_parse(&t, &s), ACPI_ERR_UNKNOWN_INTERFACE);
  EXPECT_EQ(s.baud, 1234u);
}

TEST(AcpiSpcr, Revision4PreciseBaudRateWins) {
  Table tb = QemuVirtSpcr();
  tb.b[8] = 4;
  tb.U32(1500000).U16(0).U16(0);
  auto b = tb.Done();
  acpi_table t = View(b);
  acpi_spcr s;
  ASSERT_EQ(acpi_spcr_parse(&t, &s), ACPI_OK);
  EXPECT_EQ(s.baud, 1500000u);
}

TEST(AcpiSpcr, ShortTableIsTruncatedAndWrongSignatureRefused) {
  auto b = QemuVirtSpcr().Done();
  acpi_table t = View(b);
  t.length = 79;
  acpi_spcr s;
  EXPECT_EQ(acpi_spcr_parse(&t, &s), ACPI_ERR_TRUNCATED);
  auto f = Fadt(6, 3, 0).Done();
  acpi_table ft = View(f);
  EXPECT_EQ(acpi_spcr_parse(&ft, &s), ACPI_ERR_BAD_SIGNATURE);
}

// ---- MADT ----

void Collect(void* arg, const acpi_cpu* cpu) { static_cast<std::vector<acpi_cpu>*>(arg)->push_back(*cpu); }

TEST(AcpiMadt, QemuVirtGiccEntriesGiveMpidrAndFlags) {
  Table tb = QemuVirtMadt(0);
  Gicc(tb, 0, 0x0, 1);
  Gicc(tb, 1, 0x100, 0);  // disabled
  Gicc(tb, 2, 0x10000, 8);  // online capable, not enabled
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_cpu> cpus;
  uint32_t count = 0;
  ASSERT_EQ(acpi_madt_cpus(&t, Collect, &cpus, &count), ACPI_OK);
  ASSERT_EQ(count, 3u);
  ASSERT_EQ(cpus.size(), 3u);
  EXPECT_EQ(cpus[0].kind, ACPI_CPU_GICC);
  EXPECT_TRUE(cpus[0].enabled);
  EXPECT_FALSE(cpus[0].online_capable);
  EXPECT_EQ(cpus[1].hw_id, 0x100u);
  EXPECT_EQ(cpus[1].uid, 1u);
  EXPECT_FALSE(cpus[1].enabled);
  EXPECT_EQ(cpus[2].hw_id, 0x10000u);
  EXPECT_FALSE(cpus[2].enabled);
  EXPECT_TRUE(cpus[2].online_capable);
}

TEST(AcpiMadt, LocalApicAndX2apicEntries) {
  Table tb("APIC", 5);
  tb.U32(0xfee00000).U32(1);
  tb.U8(0).U8(8).U8(0).U8(0).U32(1);    // LAPIC uid 0 id 0 enabled
  tb.U8(0).U8(8).U8(1).U8(2).U32(2);    // LAPIC uid 1 id 2 online capable
  tb.U8(1).U8(12).U8(0).U8(0).U32(0xfec00000).U32(0);  // IOAPIC, stepped over
  tb.U8(9).U8(16).U16(0).U32(0x300).U32(1).U32(7);     // x2APIC id 0x300 uid 7
  auto b = tb.Done();
  acpi_table t = View(b);
  acpi_cpu cpus[3];
  uint32_t count = 0;
  ASSERT_EQ(acpi_madt_cpus_into(&t, cpus, 3, &count), ACPI_OK);
  ASSERT_EQ(count, 3u);
  EXPECT_EQ(cpus[0].kind, ACPI_CPU_LOCAL_APIC);
  EXPECT_TRUE(cpus[0].enabled);
  EXPECT_EQ(cpus[1].hw_id, 2u);
  EXPECT_FALSE(cpus[1].enabled);
  EXPECT_TRUE(cpus[1].online_capable);
  EXPECT_EQ(cpus[2].kind, ACPI_CPU_LOCAL_X2APIC);
  EXPECT_EQ(cpus[2].hw_id, 0x300u);
  EXPECT_EQ(cpus[2].uid, 7u);
}

TEST(AcpiMadt, ArrayTooSmallReportsCountAndLeavesArrayUntouched) {
  auto b = QemuVirtMadt(4).Done();
  acpi_table t = View(b);
  acpi_cpu cpus[2] = {};
  cpus[0].uid = 99;
  uint32_t count = 0;
  EXPECT_EQ(acpi_madt_cpus_into(&t, cpus, 2, &count), ACPI_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(count, 4u);
  EXPECT_EQ(cpus[0].uid, 99u);
}

TEST(AcpiMadt, EntryLengthZeroIsRefusedBeforeAnyCallback) {
  Table tb = QemuVirtMadt(1);
  tb.U8(0x20).U8(0);
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_cpu> cpus;
  EXPECT_EQ(acpi_madt_cpus(&t, Collect, &cpus, nullptr), ACPI_ERR_BAD_ENTRY_LENGTH);
  EXPECT_TRUE(cpus.empty());
}

TEST(AcpiMadt, EntryRunningPastTheTableIsRefused) {
  Table tb = QemuVirtMadt(1);
  tb.U8(0xB).U8(82).Zeros(10);  // a GICC cut short by the table's end
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_cpu> cpus;
  EXPECT_EQ(acpi_madt_cpus(&t, Collect, &cpus, nullptr), ACPI_ERR_BAD_ENTRY_LENGTH);
  EXPECT_TRUE(cpus.empty());
}

TEST(AcpiMadt, GiccShorterThanItsMpidrIsRefused) {
  Table tb = QemuVirtMadt(0);
  tb.U8(0xB).U8(40).Zeros(38);
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_cpu> cpus;
  EXPECT_EQ(acpi_madt_cpus(&t, Collect, &cpus, nullptr), ACPI_ERR_BAD_ENTRY_LENGTH);
}

TEST(AcpiMadt, OneStrayByteAtTheEndIsRefused) {
  Table tb = QemuVirtMadt(1);
  tb.U8(0);
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_cpu> cpus;
  EXPECT_EQ(acpi_madt_cpus(&t, Collect, &cpus, nullptr), ACPI_ERR_BAD_ENTRY_LENGTH);
}

TEST(AcpiMadt, ShortHeaderIsTruncatedAndOtherSignatureRefused) {
  auto b = QemuVirtMadt(0).Done();
  acpi_table t = View(b);
  t.length = 43;
  uint32_t count;
  acpi_cpu cpu;
  EXPECT_EQ(acpi_madt_cpus_into(&t, &cpu, 1, &count), ACPI_ERR_TRUNCATED);
  auto s = QemuVirtSpcr().Done();
  acpi_table st = View(s);
  EXPECT_EQ(acpi_madt_cpus_into(&st, &cpu, 1, &count), ACPI_ERR_BAD_SIGNATURE);
}

// ---- SRAT ----

void CollectSrat(void* arg, const acpi_srat_entry* e) {
  static_cast<std::vector<acpi_srat_entry>*>(arg)->push_back(*e);
}

Table Srat() {
  Table t("SRAT", 3);
  t.U32(1).U64(0);
  return t;
}

void SratMemory(Table& t, uint32_t domain, uint64_t base, uint64_t length, uint32_t flags) {
  t.U8(1).U8(40).U32(domain).U16(0).U64(base).U64(length).U32(0).U32(flags).U64(0);
}

TEST(AcpiSrat, TwoNodeMemoryAndCpuAffinities) {
  Table tb = Srat();
  tb.U8(0).U8(16).U8(1).U8(4).U32(1).U8(0).U8(2).U8(0).U8(0).U32(0);  // APIC 4 in domain 0x201
  SratMemory(tb, 0, 0x40000000, 0x40000000, 1);
  SratMemory(tb, 1, 0x80000000, 0x40000000, 3);  // enabled, hot pluggable
  tb.U8(2).U8(24).U16(0).U32(1).U32(0x300).U32(1).U32(0).U32(0);
  tb.U8(3).U8(18).U32(1).U32(5).U32(1).U32(0);
  tb.U8(5).U8(32).Zeros(30);  // Generic Initiator, stepped over
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_srat_entry> e;
  ASSERT_EQ(acpi_srat_walk(&t, CollectSrat, &e), ACPI_OK);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].kind, ACPI_SRAT_CPU_APIC);
  EXPECT_EQ(e[0].domain, 0x201u);
  EXPECT_EQ(e[0].cpu_id, 4u);
  EXPECT_EQ(e[1].kind, ACPI_SRAT_MEMORY);
  EXPECT_EQ(e[1].base, 0x40000000u);
  EXPECT_TRUE(e[1].enabled);
  EXPECT_FALSE(e[1].hot_pluggable);
  EXPECT_EQ(e[2].domain, 1u);
  EXPECT_TRUE(e[2].hot_pluggable);
  EXPECT_EQ(e[3].kind, ACPI_SRAT_CPU_X2APIC);
  EXPECT_EQ(e[3].cpu_id, 0x300u);
  EXPECT_EQ(e[4].kind, ACPI_SRAT_CPU_GICC);
  EXPECT_EQ(e[4].cpu_id, 5u);
  EXPECT_EQ(e[4].domain, 1u);
}

TEST(AcpiSrat, MemoryRangeThatWrapsIsRefusedBeforeAnyCallback) {
  Table tb = Srat();
  SratMemory(tb, 0, 0x40000000, 0x40000000, 1);
  SratMemory(tb, 1, ~0ull - 0xfff, 0x2000, 1);
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_srat_entry> e;
  EXPECT_EQ(acpi_srat_walk(&t, CollectSrat, &e), ACPI_ERR_RANGE_OVERFLOW);
  EXPECT_TRUE(e.empty());
}

TEST(AcpiSrat, ShortMemoryEntryIsRefused) {
  Table tb = Srat();
  tb.U8(1).U8(24).Zeros(22);
  auto b = tb.Done();
  acpi_table t = View(b);
  std::vector<acpi_srat_entry> e;
  EXPECT_EQ(acpi_srat_walk(&t, CollectSrat, &e), ACPI_ERR_BAD_ENTRY_LENGTH);
}

TEST(AcpiSrat, ShortHeaderIsTruncated) {
  auto b = Srat().Done();
  acpi_table t = View(b);
  t.length = 47;
  std::vector<acpi_srat_entry> e;
  EXPECT_EQ(acpi_srat_walk(&t, CollectSrat, &e), ACPI_ERR_TRUNCATED);
}

// ---- FADT ----

TEST(AcpiFadt, PsciCompliantWithHvcConduit) {
  auto b = Fadt(6, 3, 3).Done();
  acpi_table t = View(b);
  acpi_arm_boot a;
  ASSERT_EQ(acpi_fadt_arm_boot(&t, &a), ACPI_OK);
  EXPECT_TRUE(a.psci_compliant);
  EXPECT_TRUE(a.psci_use_hvc);
}

TEST(AcpiFadt, PsciWithSmcConduit) {
  auto b = Fadt(5, 1, 1).Done();
  acpi_table t = View(b);
  acpi_arm_boot a;
  ASSERT_EQ(acpi_fadt_arm_boot(&t, &a), ACPI_OK);
  EXPECT_TRUE(a.psci_compliant);
  EXPECT_FALSE(a.psci_use_hvc);
}

TEST(AcpiFadt, RevisionBefore5_1HasNoArmBootArch) {
  for (auto [major, minor] : {std::pair<int, int>{5, 0}, {4, 9}, {1, 0}}) {
    auto b = Fadt(major, minor, 1).Done();
    acpi_table t = View(b);
    acpi_arm_boot a{};
    EXPECT_EQ(acpi_fadt_arm_boot(&t, &a), ACPI_ERR_BAD_REVISION) << major << "." << minor;
    EXPECT_FALSE(a.psci_compliant);
  }
}

TEST(AcpiFadt, TableEndingBeforeTheMinorVersionIsTruncated) {
  auto b = Fadt(6, 0, 1, 131).Done();
  acpi_table t = View(b);
  acpi_arm_boot a;
  EXPECT_EQ(acpi_fadt_arm_boot(&t, &a), ACPI_ERR_TRUNCATED);
}

}  // namespace
