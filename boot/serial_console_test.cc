// Host tests for the serial console (boot/serial_console.h): which source is chosen, the fall-back on each kind
// of bad SPCR, the default's probe, and what the driver writes to a model UART.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "boot/serial_console.h"
}
#include "platform/acpi_test_util.h"
#include "platform/test_files.h"

namespace {

using platform_testing::ReadDtb;
using platform_testing::ReadQemuFile;

using namespace acpi_testing;

constexpr uint64_t kRsdp = 0x7f000000;
constexpr uint64_t kXsdt = 0x7f001000;
constexpr uint64_t kSpcr = 0x7f002000;
constexpr uint64_t kDtb = 0x48000000;

// An SPCR (revision 2, 80 bytes): interface type, then the Base Address GAS, baud code 7 (115200).
Table Spcr(uint8_t interface_type, uint8_t space, uint8_t bit_width, uint8_t access_size, uint64_t address) {
  Table t("SPCR", 2);
  t.U8(interface_type).Zeros(3);
  t.U8(space).U8(bit_width).U8(0).U8(access_size).U64(address);
  t.U8(0x8).U8(0).U32(33).U8(7).U8(0).U8(1).U8(0).U8(3).U8(0);
  t.U16(0xffff).U16(0xffff).U8(0).U8(0).U8(0).U32(0).U8(0).U32(0);
  return t;
}

// Re-signs a table after an edit: byte 9 makes its bytes sum to 0.
std::vector<uint8_t> Resign(std::vector<uint8_t> t) {
  t[9] = 0;
  t[9] = static_cast<uint8_t>(0 - Sum(t, t.size()));
  return t;
}

// Firmware memory with an optional SPCR (as given, so a test can break it) and an optional devicetree.
struct Firmware {
  FakePhys mem;
  platform_info info{};

  Firmware(const std::vector<uint8_t> *spcr, const std::string &dtb) {
    platform_tables tables{};
    if (spcr) {
      mem.Place(kRsdp, Rsdp(2, kXsdt));
      mem.Place(kXsdt, Xsdt({kSpcr}));
      mem.Place(kSpcr, *spcr);
      tables.acpi_rsdp = kRsdp;
    }
    if (!dtb.empty()) {
      std::vector<uint8_t> blob = ReadDtb(dtb);
      mem.Place(kDtb, blob);
      tables.devicetree = kDtb;
      tables.devicetree_bytes = blob.size();
    }
    platform_discover(&info, &tables, mem.Window());
  }
};

// A bus with at most one UART on it: a 16550 (scratch register, LSR with THRE set) or a PL011 (FR reads 0).
// Every access is recorded; other addresses read as all ones (nothing decodes them).
struct Bus {
  bool has_16550 = false, has_pl011 = false;
  arch_io_space space = ARCH_IO_PORT;
  uint64_t base = 0x3f8;
  unsigned shift = 0;
  uint32_t scr = 0x12;
  uint32_t fr_busy_reads = 0;  // PL011: FR reads that still say TXFF before it clears
  std::vector<std::pair<uint64_t, uint32_t>> writes;  // (offset from base, value)
  std::vector<std::string> sent;
  std::string tx;

  static uint32_t Read(void *ctx, arch_io_space space, phys_addr_t addr, unsigned width) {
    auto *b = static_cast<Bus *>(ctx);
    if (space != b->space || addr < b->base || addr >= b->base + 0x1000) return width == 1 ? 0xff : 0xffffffffu;
    uint64_t off = addr - b->base;
    if (b->has_pl011) {
      if (off == 0x18) return b->fr_busy_reads ? (b->fr_busy_reads--, 0x20u) : 0u;
      return 0;
    }
    if (!b->has_16550) return 0xffffffffu;
    uint64_t reg = off >> b->shift;
    if (reg == 7) return b->scr;
    if (reg == 5) return 0x60;  // THRE | TEMT
    return 0;
  }

  static void Write(void *ctx, arch_io_space space, phys_addr_t addr, unsigned width, uint32_t value) {
    (void)width;
    auto *b = static_cast<Bus *>(ctx);
    if (space != b->space || addr < b->base) return;
    uint64_t off = addr - b->base;
    b->writes.push_back({off, value});
    if (b->has_16550 && (off >> b->shift) == 7) b->scr = value;
    if ((b->has_16550 && off == 0) || (b->has_pl011 && off == 0)) b->tx.push_back(static_cast<char>(value));
  }

  serial_io Io(bool ports = true) { return serial_io{&Bus::Read, &Bus::Write, this, ports}; }
};

const arch_uart kCom1 = {ARCH_UART_16550, ARCH_IO_PORT, 0x3f8, 0, 1};
const arch_uart kVirtPl011 = {ARCH_UART_PL011, ARCH_IO_MMIO, 0x9000000, 0, 4};

serial_console Choose(const platform_info *p, Bus &bus, const arch_uart &fallback, bool probe, bool ports = true) {
  serial_console c;
  memset(&c, 0xa5, sizeof c);
  serial_io io = bus.Io(ports);
  serial_console_choose(&c, p, &io, &fallback, probe);
  return c;
}

TEST(SerialConsoleChoose, SpcrPl011WinsOverTheDevicetree) {
  auto spcr = Spcr(0x03, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0x9000000).Done();
  Firmware fw(&spcr, "ns16550");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_SPCR);
  EXPECT_EQ(c.uart.kind, ARCH_UART_PL011);
  EXPECT_EQ(c.uart.space, ARCH_IO_MMIO);
  EXPECT_EQ(c.uart.base, 0x9000000u);
  EXPECT_EQ(c.uart.width, 4u);
  EXPECT_EQ(c.baud, 115200u);
  EXPECT_EQ(c.spcr_status, ACPI_OK);
  EXPECT_TRUE(bus.writes.empty()) << "choosing touches no device";
}

TEST(SerialConsoleChoose, Spcr16550InIoSpaceIsAPortUart) {
  auto spcr = Spcr(0x00, ACPI_GAS_SYSTEM_IO, 8, 1, 0x2f8).Done();
  Firmware fw(&spcr, "");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kCom1, true);
  EXPECT_EQ(c.source, SERIAL_SOURCE_SPCR);
  EXPECT_EQ(c.uart.kind, ARCH_UART_16550);
  EXPECT_EQ(c.uart.space, ARCH_IO_PORT);
  EXPECT_EQ(c.uart.base, 0x2f8u);
  EXPECT_EQ(c.uart.width, 1u);
  EXPECT_EQ(c.uart.reg_shift, 0u);
  EXPECT_FALSE(c.default_probed);
}

TEST(SerialConsoleChoose, Spcr16550WithDwordAccessHasRegistersFourBytesApart) {
  auto spcr = Spcr(0x12, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0xfe215040).Done();
  Firmware fw(&spcr, "");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_SPCR);
  EXPECT_EQ(c.uart.kind, ARCH_UART_16550);
  EXPECT_EQ(c.uart.width, 4u);
  EXPECT_EQ(c.uart.reg_shift, 2u);
}

TEST(SerialConsoleChoose, QemuVirtsOwnSpcrNamesItsPl011) {
  auto spcr = ReadQemuFile("aarch64_virt_numa/SPCR.dat");
  Firmware fw(&spcr, "");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_SPCR);
  EXPECT_EQ(c.uart.kind, ARCH_UART_PL011);
  EXPECT_EQ(c.uart.base, 0x9000000u);
  EXPECT_EQ(c.uart.width, 4u);
}

TEST(SerialConsoleChoose, QemuVirtsOwnDevicetreeNamesItsPl011) {
  FakePhys mem;
  auto blob = ReadQemuFile("aarch64_virt.dtb");
  mem.Place(kDtb, blob);
  platform_tables tables{0, kDtb, blob.size(), 0};
  platform_info info;
  platform_discover(&info, &tables, mem.Window());
  Bus bus;
  serial_console c = Choose(&info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
  EXPECT_EQ(c.uart.kind, ARCH_UART_PL011);
  EXPECT_EQ(c.uart.base, 0x9000000u);
}

TEST(SerialConsoleChoose, DevicetreeStdoutPathWithoutSpcr) {
  Firmware fw(nullptr, "virt");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
  EXPECT_EQ(c.uart.kind, ARCH_UART_PL011);
  EXPECT_EQ(c.uart.base, 0x9000000u);
  EXPECT_EQ(c.spcr_status, ACPI_ERR_NOT_FOUND);
}

TEST(SerialConsoleChoose, DevicetreeNs16550KeepsItsShiftAndWidth) {
  Firmware fw(nullptr, "ns16550");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
  EXPECT_EQ(c.uart.kind, ARCH_UART_16550);
  EXPECT_EQ(c.uart.space, ARCH_IO_MMIO);
  EXPECT_EQ(c.uart.base, 0x10000000u);
  EXPECT_EQ(c.uart.reg_shift, 2u);
  EXPECT_EQ(c.uart.width, 4u);
}

TEST(SerialConsoleChoose, SpcrWithBadChecksumIsNamedAndTheDevicetreeUsed) {
  auto spcr = Spcr(0x03, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0x9000000).Done();
  spcr[60] ^= 1;
  Firmware fw(&spcr, "virt");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.spcr_status, ACPI_ERR_BAD_CHECKSUM);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
}

TEST(SerialConsoleChoose, SpcrWithLengthPastTheMappingFallsBack) {
  auto spcr = Spcr(0x03, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0x9000000).Done();
  Put(spcr, 4, 0x10000, 4);  // Length runs far past the table's bytes
  Firmware fw(&spcr, "virt");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.spcr_status, ACPI_ERR_UNMAPPED);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
}

TEST(SerialConsoleChoose, SpcrWithUnknownInterfaceFallsBack) {
  auto spcr = Spcr(0x10, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0x9000000).Done();
  Firmware fw(&spcr, "virt");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.spcr_status, ACPI_ERR_UNKNOWN_INTERFACE);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
}

TEST(SerialConsoleChoose, SpcrWithAGasOutsideMemoryAndIoFallsBack) {
  auto spcr = Spcr(0x03, 2 /* PCI configuration space */, 32, 3, 0x9000000).Done();
  Firmware fw(&spcr, "virt");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.spcr_status, ACPI_OK);
  ASSERT_NE(c.spcr_reason, nullptr);
  EXPECT_STREQ(c.spcr_reason, "bad_gas_space");
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEVICETREE);
}

TEST(SerialConsoleChoose, SpcrInIoSpaceOnAMachineWithoutPortsFallsBack) {
  auto spcr = Spcr(0x00, ACPI_GAS_SYSTEM_IO, 8, 1, 0x3f8).Done();
  Firmware fw(&spcr, "");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  ASSERT_NE(c.spcr_reason, nullptr);
  EXPECT_STREQ(c.spcr_reason, "bad_gas_space");
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEFAULT);
}

TEST(SerialConsoleChoose, SpcrWithZeroAddressOrQwordAccessFallsBack) {
  auto zero = Spcr(0x03, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0).Done();
  auto qword = Spcr(0x03, ACPI_GAS_SYSTEM_MEMORY, 64, 4, 0x9000000).Done();
  Firmware a(&zero, ""), b(&qword, "");
  Bus bus;
  serial_console ca = Choose(&a.info, bus, kVirtPl011, false, false);
  serial_console cb = Choose(&b.info, bus, kVirtPl011, false, false);
  ASSERT_NE(ca.spcr_reason, nullptr);
  ASSERT_NE(cb.spcr_reason, nullptr);
  EXPECT_STREQ(ca.spcr_reason, "bad_gas_address");
  EXPECT_STREQ(cb.spcr_reason, "bad_gas_width");
}

TEST(SerialConsoleChoose, DefaultIsTakenOnlyWhenTheScratchProbeFindsAUart) {
  Bus present;
  present.has_16550 = true;
  serial_console c = Choose(nullptr, present, kCom1, true);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEFAULT);
  EXPECT_TRUE(c.default_probed);
  EXPECT_EQ(present.scr, 0x12u) << "the probe restores the scratch register";

  Bus absent;
  serial_console none = Choose(nullptr, absent, kCom1, true);
  EXPECT_EQ(none.source, SERIAL_SOURCE_NONE);
  EXPECT_TRUE(none.default_probed);
}

TEST(SerialConsoleChoose, UnprobedDefaultIsTheLastResort) {
  Bus bus;
  serial_console c = Choose(nullptr, bus, kVirtPl011, false, false);
  EXPECT_EQ(c.source, SERIAL_SOURCE_DEFAULT);
  EXPECT_FALSE(c.default_probed);
  EXPECT_TRUE(bus.writes.empty());
}

TEST(SerialConsoleDriver, PortUartIsProgrammedAndSendsBytesWhenThreIsSet) {
  Bus bus;
  bus.has_16550 = true;
  serial_console c = Choose(nullptr, bus, kCom1, true);
  bus.writes.clear();
  serial_console_init(&c);
  // IER off, DLAB, divisor 1 (115200 from 1.8432 MHz), 8N1, FIFOs, DTR|RTS.
  std::vector<std::pair<uint64_t, uint32_t>> want = {{1, 0}, {3, 0x80}, {0, 1}, {1, 0}, {3, 3}, {2, 7}, {4, 3}};
  EXPECT_EQ(bus.writes, want);
  bus.tx.clear();
  serial_console_write(&c, "ok\n", 3);
  EXPECT_EQ(bus.tx, "ok\n");
}

TEST(SerialConsoleDriver, SpcrPortUartIsProgrammedAtItsBaudOrLeftAsConfigured) {
  auto at_9600 = Spcr(0x00, ACPI_GAS_SYSTEM_IO, 8, 1, 0x3f8).Done();
  at_9600[58] = 3;  // Configured Baud Rate 3: 9600
  auto as_is = Spcr(0x00, ACPI_GAS_SYSTEM_IO, 8, 1, 0x3f8).Done();
  as_is[58] = 0;  // 0: as configured
  for (auto *table : {&at_9600, &as_is}) {
    *table = Resign(*table);
    Firmware fw(table, "");
    Bus bus;
    bus.has_16550 = true;
    serial_console c = Choose(&fw.info, bus, kCom1, true);
    ASSERT_EQ(c.source, SERIAL_SOURCE_SPCR);
    serial_console_init(&c);
    std::vector<std::pair<uint64_t, uint32_t>> want = {{1, 0}};  // IER off only
    if (table == &at_9600) want = {{1, 0}, {3, 0x80}, {0, 12}, {1, 0}, {3, 3}, {2, 7}, {4, 3}};  // divisor 12
    EXPECT_EQ(bus.writes, want);
  }
}

TEST(SerialConsoleDriver, MmioSixteenFiftyKeepsTheFirmwareSettingsAndUsesTheShift) {
  Bus bus;
  bus.has_16550 = true;
  bus.space = ARCH_IO_MMIO;
  bus.base = 0x10000000;
  bus.shift = 2;
  Firmware fw(nullptr, "ns16550");
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  serial_console_init(&c);
  std::vector<std::pair<uint64_t, uint32_t>> want = {{4, 0}};  // IER (register 1 << 2) off, nothing else
  EXPECT_EQ(bus.writes, want);
}

TEST(SerialConsoleDriver, Pl011WaitsWhileTheFifoIsFull) {
  Bus bus;
  bus.has_pl011 = true;
  bus.space = ARCH_IO_MMIO;
  bus.base = 0x9000000;
  bus.fr_busy_reads = 5;
  serial_console c = Choose(nullptr, bus, kVirtPl011, false, false);
  serial_console_init(&c);
  EXPECT_TRUE(bus.writes.empty()) << "the firmware's PL011 settings are kept";
  serial_console_write(&c, "hi", 2);
  EXPECT_EQ(bus.tx, "hi");
  EXPECT_EQ(bus.fr_busy_reads, 0u);
}

TEST(SerialConsoleDriver, NoConsoleWritesNothing) {
  Bus absent;
  serial_console c = Choose(nullptr, absent, kCom1, true);
  absent.writes.clear();
  serial_console_init(&c);
  serial_console_write(&c, "x", 1);
  EXPECT_TRUE(absent.writes.empty());
}

TEST(SerialConsoleMmio, Pl011PageIsOneDeviceRange) {
  Bus bus;
  serial_console c = Choose(nullptr, bus, kVirtPl011, false, false);
  arch_map_range r[2];
  ASSERT_EQ(serial_console_mmio(&c, r, 2), 1u);
  EXPECT_EQ(r[0].base, 0x9000000u);
  EXPECT_EQ(r[0].end, 0x9001000u);
  EXPECT_EQ(r[0].type, ARCH_MEM_DEVICE);
  EXPECT_FALSE(r[0].executable);
}

TEST(SerialConsoleMmio, RegistersCrossingAPageGetBothPages) {
  auto spcr = Spcr(0x12, ACPI_GAS_SYSTEM_MEMORY, 32, 3, 0xfe215ff0).Done();
  Firmware fw(&spcr, "");
  Bus bus;
  serial_console c = Choose(&fw.info, bus, kVirtPl011, false, false);
  arch_map_range r[1];
  ASSERT_EQ(serial_console_mmio(&c, r, 1), 1u);
  EXPECT_EQ(r[0].base, 0xfe215000u);
  EXPECT_EQ(r[0].end, 0xfe217000u);
}

TEST(SerialConsoleMmio, PortUartNeedsNoMapping) {
  Bus bus;
  bus.has_16550 = true;
  serial_console c = Choose(nullptr, bus, kCom1, true);
  arch_map_range r[1];
  EXPECT_EQ(serial_console_mmio(&c, r, 1), 0u);
}

TEST(SerialConsoleNames, AreTheLogWords) {
  EXPECT_STREQ(serial_source_name(SERIAL_SOURCE_SPCR), "spcr");
  EXPECT_STREQ(serial_source_name(SERIAL_SOURCE_DEVICETREE), "devicetree");
  EXPECT_STREQ(serial_source_name(SERIAL_SOURCE_DEFAULT), "default");
  EXPECT_STREQ(serial_source_name(SERIAL_SOURCE_NONE), "none");
  EXPECT_STREQ(serial_kind_name(ARCH_UART_PL011), "pl011");
  EXPECT_STREQ(serial_kind_name(ARCH_UART_16550), "16550");
  EXPECT_STREQ(serial_space_name(ARCH_IO_PORT), "io");
  EXPECT_STREQ(serial_space_name(ARCH_IO_MMIO), "mmio");
}

}  // namespace
