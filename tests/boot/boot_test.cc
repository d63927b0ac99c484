// boot_test.cc: boots the kernel under QEMU once (per test target) and asserts on its structured serial log.
//
// Flags (set by the boot_test macro in BUILD.bazel): --runner=, --esp=, --arch=, --cmdline=,
// --expect_status=N, --expect=handoff|panic, --timeout=SECONDS, --exit=device|firmware (the runner's option),
// --expect_el=N (AArch64: the exception level boot.start must report; 0: none, as on x86),
// --expect_levels=N (paging.installed levels=N, x86: 4 or 5; 0: not checked), --expect_cpus=N (smp.online
// cpus=N expected=N; 0: not checked), --ram_above_4g=0|1 (the machine has RAM above 4 GiB that must be managed
// and mapped), --screenshot=0|1 (the runner saves the final screen, read by the Console tests) and --qemu=ARG
// (repeatable, passed to QEMU).
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/boot/boot_log.h"
#include "tests/boot/screen.h"

extern "C" {
#include "boot/fbcon_font.h"
}

namespace {

struct Config {
  std::string runner, esp, arch, cmdline = "debug", expect = "handoff", exit = "device";
  int expect_status = 0;
  int expect_el = 0;
  int expect_levels = 0;
  int expect_cpus = 0;  // 0: the CPU count is not asserted
  bool ram_above_4g = false;
  bool screenshot = false;
  // NUMA boots (issue 10 item 7): the source mm.numa must name and each node's size in MiB, in node order.
  std::string numa_source;
  std::vector<uint64_t> numa_mib;
  int timeout = 240;
  std::vector<std::string> qemu;
};

Config g_config;
std::string g_log;
int g_status = -1;
std::vector<boot_log::Event> g_events;
std::string g_runner_stderr;
std::string g_screenshot_path;  // where the runner saved the final screen (--screenshot=1)

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Boots once for the whole binary: the tests below are different assertions on the same run.
class BootEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string log_path = std::string(tmp ? tmp : "/tmp") + "/serial.log";
    std::string cmd = ShellQuote(g_config.runner) + " --arch=" + g_config.arch + " --esp=" + ShellQuote(g_config.esp) +
                      " --timeout=" + std::to_string(g_config.timeout) + " --log=" + ShellQuote(log_path) +
                      " --cmdline=" + ShellQuote(g_config.cmdline) + " --exit=" + ShellQuote(g_config.exit);
    if (g_config.screenshot) {
      // A test output when Bazel keeps them (bazel-testlogs/.../test.outputs/screen.ppm), so a failure can be seen.
      const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
      g_screenshot_path = std::string(out ? out : (tmp ? tmp : "/tmp")) + "/screen.ppm";
      cmd += " --screenshot=" + ShellQuote(g_screenshot_path);
    }
    for (const auto& q : g_config.qemu) cmd += " " + ShellQuote(q);
    cmd += " >/dev/null 2>" + ShellQuote(log_path + ".stderr");
    std::fprintf(stderr, "boot_test: %s\n", cmd.c_str());
    int rc = std::system(cmd.c_str());
    g_status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    std::ifstream in(log_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    g_log = ss.str();
    g_events = boot_log::Parse(g_log);
    // Keep the serial log as a test output for whoever reads a failure.
    if (const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::ofstream(std::string(out) + "/serial.log", std::ios::binary) << g_log;
    }
    std::ifstream err(log_path + ".stderr");
    std::stringstream es;
    es << err.rdbuf();
    g_runner_stderr = es.str();
    std::fprintf(stderr, "boot_test: runner exit status %d; runner stderr:\n%s\n", g_status, es.str().c_str());
  }
};

std::string LogTail() {
  size_t from = g_log.size() > 3000 ? g_log.size() - 3000 : 0;
  return "\n--- serial log (tail) ---\n" + g_log.substr(from);
}

using boot_log::All;
using boot_log::First;
using boot_log::IndexOf;

bool ExpectHandoffBoot() { return g_config.expect == "handoff"; }

TEST(Boot, ExitsWithTheExpectedStatus) { EXPECT_EQ(g_status, g_config.expect_status) << LogTail(); }

TEST(Boot, PrintsTheFirmwareMapWithOneDescLinePerDescriptor) {
  auto fw = First(g_events, "mm.firmware_map");
  ASSERT_TRUE(fw.has_value()) << "no mm.firmware_map line" << LogTail();
  uint64_t n = fw->num("descriptors");
  EXPECT_GT(n, 0u);
  EXPECT_GE(fw->num("descriptor_size"), 40u) << "UEFI descriptors are at least 40 bytes";
  auto descs = All(g_events, "mm.desc");
  ASSERT_EQ(descs.size(), n) << "debug cmdline must print every descriptor" << LogTail();
  for (uint64_t i = 0; i < n; i++) {
    EXPECT_EQ(descs[i].num("idx"), i);
    EXPECT_EQ(descs[i].num("phys") % 4096, 0u) << "line " << descs[i].line;
    for (const char* key : {"type", "pages", "attr"}) EXPECT_TRUE(descs[i].has(key)) << key;
  }
}

TEST(Boot, EndsWithBootDoneOrAPanicLine) {
  if (g_config.expect == "panic") {
    auto panic = First(g_events, "panic");
    ASSERT_TRUE(panic.has_value()) << "expected a panic line" << LogTail();
    EXPECT_TRUE(panic->has("stage") || panic->has("where")) << "a panic names the stage or function";
    EXPECT_FALSE(First(g_events, "boot.done").has_value());
  } else {
    EXPECT_FALSE(First(g_events, "panic").has_value()) << LogTail();
    auto done = First(g_events, "boot.done");
    ASSERT_TRUE(done.has_value()) << LogTail();
    EXPECT_EQ(done->num("status"), 0u);
  }
}

// Issue 10 item 1: the configuration table's platform description is found and opened. QEMU gives ACPI tables
// unless `-machine virt,acpi=off` (AArch64), where EDK2 passes its devicetree instead; the devicetree stays
// reserved for the life of the kernel (it may sit in boot-services memory).
TEST(Boot, FindsThePlatformDescriptionInTheConfigurationTable) {
  auto fw = First(g_events, "platform.firmware");
  ASSERT_TRUE(fw.has_value()) << "no platform.firmware line" << LogTail();
  bool acpi_off = false;
  for (const auto& q : g_config.qemu) acpi_off |= q.find("acpi=off") != std::string::npos;
  if (acpi_off) {
    EXPECT_EQ(fw->str("acpi_status"), "absent") << fw->line;
    EXPECT_EQ(fw->str("dt_status"), "ok") << fw->line;
    bool reserved = false;
    for (const auto& r : All(g_events, "mm.reserve")) {
      reserved |= r.str("label") == "devicetree" && r.num("phys") == fw->num("devicetree");
    }
    EXPECT_TRUE(reserved) << "the devicetree must be reserved" << LogTail();
  } else {
    EXPECT_EQ(fw->str("acpi_status"), "ok") << fw->line;
    EXPECT_FALSE(All(g_events, "acpi.table").empty()) << "debug boots list the XSDT's tables" << LogTail();
  }
}

bool AcpiOff() {
  bool off = false;
  for (const auto& q : g_config.qemu) off |= q.find("acpi=off") != std::string::npos;
  return off;
}

// Issue 10 item 4: the serial console comes from the firmware's description. AArch64 with ACPI (QEMU's SPCR
// names the PL011), AArch64 `virt,acpi=off` (the devicetree's /chosen/stdout-path), x86 q35 (no SPCR: COM1 after
// the scratch-register probe). An MMIO console's page is reserved and mapped as a device, nothing else is.
TEST(Platform, SerialConsoleComesFromTheFirmwareDescription) {
  auto con = First(g_events, "console.serial");
  ASSERT_TRUE(con.has_value()) << "no console.serial line" << LogTail();
  auto fw = First(g_events, "platform.firmware");
  ASSERT_TRUE(fw.has_value()) << LogTail();
  EXPECT_LT(con->line, fw->line) << "the console is chosen (and reported) before the platform line";
  if (g_config.arch == "aarch64") {
    EXPECT_EQ(con->str("source"), AcpiOff() ? "devicetree" : "spcr") << con->line;
    EXPECT_EQ(con->str("kind"), "pl011");
    EXPECT_EQ(con->num("base"), 0x9000000u);
    EXPECT_EQ(con->str("space"), "mmio");
    EXPECT_EQ(con->num("width"), 4u);
    EXPECT_EQ(con->num("last_resort"), 0u);
  } else {
    EXPECT_EQ(con->str("source"), "default") << "q35 has no SPCR";
    EXPECT_EQ(con->num("probed"), 1u) << "COM1 is used only after the scratch-register probe";
    EXPECT_EQ(con->str("kind"), "16550");
    EXPECT_EQ(con->num("base"), 0x3f8u);
    EXPECT_EQ(con->str("space"), "io");
  }
  EXPECT_FALSE(First(g_events, "console.spcr").has_value()) << "QEMU's SPCR is well formed" << LogTail();
  if (!ExpectHandoffBoot()) return;
  std::vector<boot_log::Event> device;
  for (const auto& r : All(g_events, "mm.reserve")) {
    if (r.str("label") == "device_mmio") device.push_back(r);
  }
  if (con->str("space") == "mmio") {
    ASSERT_FALSE(device.empty()) << "the console page must be reserved" << LogTail();
    EXPECT_EQ(device[0].num("phys"), con->num("base") & ~0xfffull);
    EXPECT_EQ(device[0].num("end"), (con->num("base") & ~0xfffull) + 0x1000);
    bool mapped = false;
    for (const auto& r : All(g_events, "paging.range")) {
      mapped |= r.str("type") == "device" && r.num("exec") == 0 && r.num("base") <= con->num("base") &&
                con->num("base") < r.num("end");
    }
    EXPECT_TRUE(mapped) << "the console's registers must be mapped as device memory, never executable" << LogTail();
  } else {
    // A port-I/O console needs no mapping. The only device page x86 maps is the local APIC's register page,
    // which IA32_APIC_BASE describes while the APIC is in xAPIC mode (Intel SDM Vol. 3A 11.4.4; QEMU and OVMF
    // leave it at 0xFEE00000), for starting the other CPUs.
    for (const auto& d : device) {
      EXPECT_EQ(d.num("phys"), 0xfee00000u) << "nothing undescribed is mapped: " << d.line;
      EXPECT_EQ(d.num("end"), 0xfee01000u) << d.line;
    }
  }
}

// Issue 10 item 3: the PSCI conduit from the FADT (ACPI) or /psci (devicetree); at EL2 QEMU names SMC. x86's
// FADT predates ARM_BOOT_ARCH (no conduit).
TEST(Platform, PsciConduitIsTheOneThePlatformNames) {
  auto psci = First(g_events, "platform.psci");
  ASSERT_TRUE(psci.has_value()) << "no platform.psci line" << LogTail();
  if (g_config.arch == "aarch64") {
    EXPECT_EQ(psci->str("source"), AcpiOff() ? "devicetree" : "fadt") << psci->line;
    EXPECT_EQ(psci->str("conduit"), g_config.expect_el == 2 ? "smc" : "hvc") << psci->line;
  } else {
    EXPECT_EQ(psci->str("conduit"), "unknown") << psci->line;
  }
}

// Issue 10 item 3: with a devicetree, /memory is cross-checked against the EFI map (which wins); QEMU's agree.
TEST(Platform, DevicetreeMemoryAgreesWithTheEfiMap) {
  if (!AcpiOff()) GTEST_SKIP() << "only the devicetree boots have /memory";
  if (!ExpectHandoffBoot()) GTEST_SKIP() << "this boot is expected to panic";
  std::optional<boot_log::Event> summary;
  for (const auto& e : All(g_events, "dt.memory")) {
    if (e.has("ranges")) summary = e;
  }
  ASSERT_TRUE(summary.has_value()) << "no dt.memory summary" << LogTail();
  EXPECT_GE(summary->num("ranges"), 1u);
  EXPECT_EQ(summary->num("agree"), 1u) << LogTail();
}

// `acpi.dump` (tools/acpi_dump.py's input): the hex lines put back together give every valid table the XSDT
// lists, each the Length it claims and with bytes that sum to 0 (ACPI 6.5 5.2.6).
TEST(Platform, AcpiDumpReassemblesIntoTablesWithValidChecksums) {
  if (g_config.cmdline.find("acpi.dump") == std::string::npos) GTEST_SKIP() << "only boots with acpi.dump";
  std::map<uint64_t, std::vector<uint8_t>> tables;
  for (const auto& e : All(g_events, "acpi.dump")) {
    auto& t = tables[e.num("phys")];
    t.resize(e.num("length"));
    std::string hex = e.str("hex");
    uint64_t off = e.num("offset");
    ASSERT_LE(off + hex.size() / 2, t.size()) << e.line;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) t[off + i / 2] = std::stoi(hex.substr(i, 2), nullptr, 16);
  }
  size_t listed = 0;
  for (const auto& e : All(g_events, "acpi.table")) listed += e.str("status") == "ok";
  EXPECT_EQ(tables.size(), listed + 1) << "the XSDT and every table listed ok" << LogTail();
  for (const auto& [phys, t] : tables) {
    uint8_t sum = 0;
    for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
    EXPECT_EQ(sum, 0) << "table at " << phys;
    ASSERT_GE(t.size(), 8u);
    EXPECT_EQ(t[4] | t[5] << 8 | t[6] << 16 | static_cast<uint32_t>(t[7]) << 24, t.size());
  }
}

TEST(Boot, ExitBootServicesSucceedsAndRetriesWithAFreshMapWhenTheKeyIsStale) {
  auto start = First(g_events, "boot.start");
  ASSERT_TRUE(start.has_value()) << LogTail();
  bool stale = g_config.cmdline.find("efi.stale_map_key") != std::string::npos;
  // A stale key makes the firmware refuse once (UEFI 2.10 section 7.4); the loader fetches the map again.
  if (stale) {
    EXPECT_EQ(start->num("exit_attempts"), 2u);
  } else {
    EXPECT_EQ(start->num("exit_attempts"), 1u) << "QEMU's firmware does not change the map between the calls";
  }
}

// Issue 9 item 3: after arch_trap_init the CPU's exception tables are the kernel's, inside its image (the
// firmware's GDT and IDT live in memory the kernel does not own). x86: GDTR and IDTR; AArch64: VBAR_ELx.
TEST(Boot, ExceptionTablesLieInsideTheKernelImage) {
  auto start = First(g_events, "boot.start");
  auto trap = First(g_events, "boot.trap");
  ASSERT_TRUE(start.has_value()) << LogTail();
  ASSERT_TRUE(trap.has_value()) << "no boot.trap line (the boot tests run with `debug`)" << LogTail();
  uint64_t base = start->num("image_base"), end = base + start->num("image_bytes");
  EXPECT_GE(trap->num("vectors"), base) << LogTail();
  EXPECT_LT(trap->num("vectors"), end) << LogTail();
  if (g_config.arch == "x86_64") {
    EXPECT_GE(trap->num("gdt"), base) << "GDTR still points at the firmware's GDT" << LogTail();
    EXPECT_LT(trap->num("gdt"), end) << "GDTR still points at the firmware's GDT" << LogTail();
  }
}

// The exception level the firmware handed over at (AArch64): an EL2 test that ran at EL1 must fail.
TEST(Boot, ReportsTheExceptionLevelItRanAt) {
  auto start = First(g_events, "boot.start");
  ASSERT_TRUE(start.has_value()) << LogTail();
  if (g_config.expect_el == 0) {
    EXPECT_FALSE(start->has("el")) << "x86 has no exception levels to report";
  } else {
    EXPECT_EQ(start->num("el"), static_cast<uint64_t>(g_config.expect_el)) << LogTail();
  }
}

// Issue 9 item 5: without an exit device the kernel ends the run itself and the runner takes the status from the
// log. Issue 10 item 6: a boot that got through the bring-up powers off through EFI ResetSystem(EfiResetShutdown)
// on both architectures (its line comes right after boot.done, and QEMU exits by itself with 0); a boot that
// panicked before runtime services were checked falls back to AArch64 PSCI SYSTEM_OFF or the x86 halt, after
// which the runner ends QEMU.
TEST(Boot, WithoutAnExitDeviceTheRunnerTakesTheStatusFromTheLog) {
  if (g_config.exit != "firmware") GTEST_SKIP() << "only for --exit=firmware boots";
  EXPECT_NE(g_runner_stderr.find("from the serial log"), std::string::npos) << g_runner_stderr;
  if (g_config.arch == "aarch64" || g_config.expect == "handoff") {
    EXPECT_NE(g_runner_stderr.find("QEMU exited by itself with 0"), std::string::npos)
        << "ResetSystem (or on AArch64 PSCI SYSTEM_OFF) should have ended QEMU: " << g_runner_stderr;
  }
  if (g_config.expect != "handoff") return;
  int done = IndexOf(g_events, "boot.done");
  ASSERT_GE(done, 0) << LogTail();
  int reset = IndexOf(g_events, "efi.runtime", done);
  ASSERT_GE(reset, 0) << "no efi.runtime line after boot.done: ResetSystem was not called" << LogTail();
  EXPECT_EQ(g_events[reset].str("reset"), "shutdown") << LogTail();
  EXPECT_EQ(g_events[reset].num("status"), 0u) << LogTail();
  EXPECT_EQ(reset, static_cast<int>(g_events.size()) - 1)
      << "the power-off must be the kernel's last line" << LogTail();
}

// ---- The memory bring-up (issue: hand-off, identity paging, self-test, reclaim) ----------------------------

struct Range {
  uint64_t base, end;
  std::string what;
};

bool ExpectHandoff() { return g_config.expect == "handoff"; }
bool ApAbsent() { return g_config.cmdline.find("selftest.ap_absent") != std::string::npos; }

TEST(Handoff, StagesAppearInTheDesignNotesOrder) {
  if (!ExpectHandoff()) GTEST_SKIP() << "this boot is expected to panic";
  const std::vector<std::string> order = {
      "mm.firmware_map",  "mm.plan",     "mm.carve",   "mm.carve", boot_log::kHandoffLine, "mm.reserve", "mm.stats",
      "paging.installed", "mm.selftest", "mm.reclaim", "mm.stats", "mm.summary",           "boot.done"};
  int at = 0;
  for (const auto& name : order) {
    int found = IndexOf(g_events, name, at);
    ASSERT_GE(found, 0) << "missing '" << name << "' after event #" << at << LogTail();
    at = found + 1;
  }
  auto carves = All(g_events, "mm.carve");
  ASSERT_EQ(carves.size(), 2u);
  EXPECT_EQ(carves[0].str("kind"), "free_runs");
  EXPECT_EQ(carves[1].str("kind"), "reserved");
}

TEST(Handoff, PlanAndCarveAreSizedAndRecordedAsBookkeeping) {
  if (!ExpectHandoff()) GTEST_SKIP();
  auto plan = First(g_events, "mm.plan");
  ASSERT_TRUE(plan.has_value());
  EXPECT_GT(plan->num("conventional_regions"), 0u);
  EXPECT_GE(plan->num("free_slots"), plan->num("conventional_regions") + plan->num("reservations"));
  EXPECT_GE(plan->num("reserved_slots"), plan->num("reservations"));
  std::vector<Range> bookkeeping;
  for (const auto& r : All(g_events, "mm.reserve")) {
    if (r.str("kind") == "bookkeeping") bookkeeping.push_back({r.num("phys"), r.num("end"), r.str("label")});
  }
  for (const auto& c : All(g_events, "mm.carve")) {
    uint64_t phys = c.num("phys"), bytes = c.num("bytes");
    EXPECT_EQ(phys % 4096, 0u);
    EXPECT_GT(bytes, 0u);
    bool recorded = false;
    for (const auto& b : bookkeeping) recorded |= b.base <= phys && phys + bytes <= b.end;
    EXPECT_TRUE(recorded) << "carved span " << c.str("kind") << " is not a bookkeeping reservation";
  }
}

TEST(Handoff, PagingIsInstalledForThisArchitecture) {
  if (!ExpectHandoff()) GTEST_SKIP();
  auto p = First(g_events, "paging.installed");
  ASSERT_TRUE(p.has_value()) << LogTail();
  EXPECT_EQ(p->str("arch"), g_config.arch);
  EXPECT_EQ(p->num("root") % 4096, 0u);
  EXPECT_GT(p->num("tables"), 1u);
  EXPECT_GT(p->num("mapped_bytes"), 0u);
}

// x86: the kernel's tables match the paging mode it was handed (4-level, or 5-level with CR4.LA57); a mismatch
// never gets this far (the CR3 load faults), so the boot also must not stop early.
TEST(Handoff, PagingLevelsMatchTheModeTheCpuWasHandedIn) {
  if (!ExpectHandoff() || g_config.expect_levels == 0) GTEST_SKIP() << "levels not asserted for this boot";
  auto p = First(g_events, "paging.installed");
  ASSERT_TRUE(p.has_value()) << LogTail();
  ASSERT_TRUE(p->has("levels")) << LogTail();
  EXPECT_EQ(p->num("levels"), static_cast<uint64_t>(g_config.expect_levels)) << LogTail();
  if (g_config.cmdline.find("selftest.paging_levels") != std::string::npos) {
    auto raised = First(g_events, "selftest.paging_levels");
    ASSERT_TRUE(raised.has_value()) << "the test hook did not switch to 5-level paging" << LogTail();
    EXPECT_EQ(raised->str("result"), "raised");
  }
}

// RAM past the PCI hole: the allocator holds free memory above 4 GiB (mm.summary highest_free_end=) and the
// kernel's own tables map that memory as normal RAM (the debug paging.range lines).
TEST(Handoff, RamAboveFourGibIsManagedAndMapped) {
  if (!ExpectHandoff() || !g_config.ram_above_4g) GTEST_SKIP() << "only for boots with RAM above 4 GiB";
  const uint64_t k4G = 0x100000000ull;
  auto summary = First(g_events, "mm.summary");
  ASSERT_TRUE(summary.has_value()) << LogTail();
  ASSERT_TRUE(summary->has("highest_free_end")) << LogTail();
  uint64_t top = summary->num("highest_free_end");
  EXPECT_GT(top, k4G) << "no free memory above 4 GiB: RAM past the PCI hole is not managed";
  auto ranges = All(g_events, "paging.range");
  ASSERT_FALSE(ranges.empty()) << "the debug cmdline must print every mapped range" << LogTail();
  EXPECT_EQ(ranges.size(), First(g_events, "paging.installed")->num("ranges"));
  bool mapped = false;
  for (const auto& r : ranges) {
    mapped |= r.str("type") == "normal" && r.num("base") <= top - 4096 && top <= r.num("end");
  }
  EXPECT_TRUE(mapped) << "the highest free frame (below 0x" << std::hex << top << ") is not in a normal paging.range"
                      << LogTail();
}

TEST(Handoff, SelfTestPassesAndEveryStageReportsCycles) {
  if (!ExpectHandoff()) GTEST_SKIP();
  auto st = First(g_events, "mm.selftest");
  ASSERT_TRUE(st.has_value()) << LogTail();
  EXPECT_EQ(st->str("result"), "ok");
  EXPECT_GT(st->num("allocations"), 0u);
  EXPECT_EQ(All(g_events, "mm.selftest_alloc").size(), st->num("allocations"));
  for (const char* stage :
       {"mm.map_copied", "mm.handoff", "paging.installed", "mm.selftest", "mm.reclaim", "boot.done"}) {
    auto e = First(g_events, stage);
    ASSERT_TRUE(e.has_value()) << stage;
    EXPECT_TRUE(e->has("cycles")) << stage << " has no cycles=";
  }
}

TEST(Handoff, EveryAllocationIsDisjointFromEveryReservation) {
  if (!ExpectHandoff()) GTEST_SKIP();
  // Each reservation with the log line it came into being on: the hand-off's set (the mm.reserve lines printed
  // before the self-test; the later dump repeats them plus tables grown since), late reservations
  // (mm.phys_reserve) and the allocator's grown tables (mm.phys_grow). A self-test allocation must avoid every
  // reservation that existed when it was made; one made later may reuse a frame the self-test had already given
  // back (a table that grows while the self-test frees, as on x86 -smp 4, whose firmware map is more fragmented).
  struct Dated {
    Range range;
    int line;
  };
  std::vector<Dated> reservations;
  std::vector<Dated> allocations;
  for (const auto& a : All(g_events, "mm.selftest_alloc"))
    allocations.push_back({{a.num("phys"), a.num("end"), "selftest"}, a.line});
  ASSERT_FALSE(allocations.empty());
  for (const auto& r : All(g_events, "mm.reserve")) {
    if (r.line < allocations.front().line)
      reservations.push_back({{r.num("phys"), r.num("end"), r.str("label")}, r.line});
  }
  for (const auto& r : All(g_events, "mm.phys_reserve"))
    reservations.push_back({{r.num("base"), r.num("end"), r.str("label")}, r.line});
  for (const auto& r : All(g_events, "mm.phys_grow"))
    reservations.push_back({{r.num("phys"), r.num("phys") + r.num("bytes"), "grown " + r.str("table")}, r.line});
  ASSERT_FALSE(reservations.empty());
  for (const auto& a : allocations) {
    EXPECT_LT(a.range.base, a.range.end);
    for (const auto& r : reservations) {
      if (r.line > a.line) continue;
      EXPECT_FALSE(a.range.base < r.range.end && r.range.base < a.range.end)
          << "allocation [" << std::hex << a.range.base << "," << a.range.end << ") overlaps reservation "
          << r.range.what << " [" << r.range.base << "," << r.range.end << ")";
    }
  }
}

TEST(Handoff, ReclaimReturnsBootServicesMemory) {
  if (!ExpectHandoff()) GTEST_SKIP();
  auto rc = First(g_events, "mm.reclaim");
  ASSERT_TRUE(rc.has_value());
  EXPECT_GT(rc->num("frames"), 0u) << "UEFI always leaves boot-services memory behind";
  auto stats = All(g_events, "mm.stats");
  ASSERT_EQ(stats.size(), 2u);
  auto paging = First(g_events, "paging.installed");
  ASSERT_TRUE(paging.has_value());
  // Between the two mm.stats lines only paging (tables leave the free set for good), the self-test (frees all
  // it took) and reclaim ran; the allocator may also have taken frames from itself for bookkeeping, which the
  // bookkeeping_bytes delta bounds.
  uint64_t expected = stats[0].num("free_frames") + rc->num("frames") - paging->num("tables");
  uint64_t growth = stats[1].num("bookkeeping_bytes") - stats[0].num("bookkeeping_bytes");
  EXPECT_LE(stats[1].num("free_frames"), expected);
  EXPECT_GE(stats[1].num("free_frames") + (growth + 4095) / 4096, expected)
      << "free frames after reclaim = before + reclaimed - page-table frames - bookkeeping growth";
}

// ---- EFI runtime services after the hand-off (issue 10 item 6) ---------------------------------------------

// GetTime runs after paging and reclaim, in physical mode through the kernel's identity map, and returns a date.
TEST(Runtime, GetTimeSucceedsAfterPagingAndReclaim) {
  if (!ExpectHandoff()) GTEST_SKIP();
  int reclaim = IndexOf(g_events, "mm.reclaim");
  ASSERT_GE(reclaim, 0) << LogTail();
  int get_time = -1;
  for (int i = reclaim; i < static_cast<int>(g_events.size()); i++) {
    if (g_events[i].name == "efi.runtime" && g_events[i].has("get_time")) {
      get_time = i;
      break;
    }
  }
  ASSERT_GE(get_time, 0) << "no efi.runtime get_time= line after mm.reclaim" << LogTail();
  const auto& e = g_events[get_time];
  ASSERT_EQ(e.str("get_time"), "ok") << LogTail();
  EXPECT_GE(e.num("year"), 2000u) << "QEMU's RTC follows the host clock";
  EXPECT_GE(e.num("month"), 1u);
  EXPECT_LE(e.num("month"), 12u);
  EXPECT_GE(e.num("day"), 1u);
  EXPECT_LE(e.num("day"), 31u);
  EXPECT_LT(get_time, IndexOf(g_events, "boot.done")) << "GetTime belongs to the boot, before boot.done";
}

bool BadMat() { return g_config.cmdline.find("efi.bad_mat") != std::string::npos; }

// OVMF and AAVMF both install a Memory Attributes table; the kernel copies it and maps the runtime images'
// code sections read-only and executable (paging.range exec=1 ro=1), which nothing else is.
TEST(Runtime, MemoryAttributesTableMapsRuntimeCodeReadOnlyAndExecutable) {
  if (!ExpectHandoff() || BadMat()) GTEST_SKIP();
  auto mat = First(g_events, "efi.mat");
  ASSERT_TRUE(mat.has_value()) << LogTail();
  EXPECT_EQ(mat->str("result"), "ok") << LogTail();
  EXPECT_GT(mat->num("entries"), 0u);
  EXPECT_GE(mat->num("descriptor_size"), 40u);
  auto start = First(g_events, "boot.start");
  ASSERT_TRUE(start.has_value());
  uint64_t image = start->num("image_base"), image_end = image + start->num("image_bytes");
  int rx = 0;
  for (const auto& r : All(g_events, "paging.range")) {
    if (r.num("exec") == 1 && r.num("ro") == 1) {
      rx++;
      EXPECT_TRUE(r.num("end") <= image || image_end <= r.num("base")) << "the image is writable: line " << r.line;
    }
  }
  EXPECT_GT(rx, 0) << "no read-only executable range: the table's code sections were not applied" << LogTail();
  bool reserved = false;
  for (const auto& r : All(g_events, "mm.reserve")) reserved |= r.str("label") == "efi_mat";
  EXPECT_TRUE(reserved) << "the table's copy must be reserved (reclaim would free its LoaderData pages)";
}

// A malformed table (test hook `efi.bad_mat`: an undefined version) is ignored with one warning, runtime code
// is then mapped read-write-execute, nothing read-only and executable exists, and GetTime (checked above) works.
TEST(Runtime, AMalformedMemoryAttributesTableIsIgnoredAndRuntimeCodeIsMappedWithoutIt) {
  if (!BadMat()) GTEST_SKIP() << "only for the efi.bad_mat boot";
  auto mat = First(g_events, "efi.mat");
  ASSERT_TRUE(mat.has_value()) << LogTail();
  EXPECT_EQ(mat->str("result"), "ignored") << LogTail();
  EXPECT_EQ(mat->str("reason"), "bad_version") << LogTail();
  auto start = First(g_events, "boot.start");
  ASSERT_TRUE(start.has_value());
  uint64_t image = start->num("image_base"), image_end = image + start->num("image_bytes");
  int rwx = 0;
  for (const auto& r : All(g_events, "paging.range")) {
    EXPECT_FALSE(r.num("exec") == 1 && r.num("ro") == 1) << "no table, yet a read-only executable range: " << r.line;
    if (r.num("exec") == 1 && (r.num("end") <= image || image_end <= r.num("base"))) rwx++;
  }
  EXPECT_GT(rwx, 0) << "runtime code outside the image must be executable without a table" << LogTail();
}

TEST(Handoff, InvariantBreakStopsTheBoot) {
  if (g_config.cmdline.find("selftest.corrupt_reservation") == std::string::npos) {
    GTEST_SKIP() << "only for the corrupted-reservation boot";
  }
  ASSERT_TRUE(First(g_events, "selftest.corrupt_reservation").has_value()) << "the test hook did not run" << LogTail();
  auto panic = First(g_events, "panic");
  ASSERT_TRUE(panic.has_value()) << LogTail();
  EXPECT_EQ(panic->str("stage"), "selftest");
  // The invariant checker, not some other self-test check, must be what stopped the boot.
  EXPECT_EQ(panic->str("reason"), "invariant_checker") << LogTail();
  EXPECT_TRUE(panic->has("detail"));
  EXPECT_EQ(g_status, 3);
}

// arch_trap_init replaced the firmware's vectors: a read of the unmapped page 0 after paging is on must be
// one `panic stage=exception` line from the kernel's handler and status 3, not a triple fault or a hang.
TEST(Handoff, AFaultAfterPagingEndsInAPanicLineNotAReset) {
  if (g_config.cmdline.find("selftest.fault_null") == std::string::npos) GTEST_SKIP() << "only for the null-read boot";
  ASSERT_TRUE(First(g_events, "paging.installed").has_value()) << LogTail();
  auto panic = First(g_events, "panic");
  ASSERT_TRUE(panic.has_value()) << "no panic line: the fault did not reach the kernel's vectors" << LogTail();
  EXPECT_EQ(panic->str("stage"), "exception") << LogTail();
  EXPECT_EQ(panic->str("arch"), g_config.arch);
  EXPECT_TRUE(panic->has("vector"));
  // At EL2 the fault must have gone through VBAR_EL2 (the panic line reports the level it was taken at).
  if (g_config.expect_el != 0) EXPECT_EQ(panic->num("el"), static_cast<uint64_t>(g_config.expect_el)) << LogTail();
  EXPECT_EQ(g_status, 3);
}

// ---- The framebuffer console (issue 10 item 5) ----------------------------------------------------------------

// A GOP framebuffer exists on x86 (q35's std VGA under OVMF) and on AArch64 only with a display device (ramfb).
bool ExpectFramebuffer() {
  if (g_config.arch == "x86_64" || g_config.screenshot) return true;
  for (const auto& q : g_config.qemu) {
    if (q.find("ramfb") != std::string::npos) return true;
  }
  return false;
}

TEST(Console, FramebufferLineSaysWhetherTheLogIsOnTheScreen) {
  auto fb = First(g_events, "console.framebuffer");
  ASSERT_TRUE(fb.has_value()) << "no console.framebuffer line" << LogTail();
  if (!ExpectFramebuffer()) {
    EXPECT_EQ(fb->str("status"), "none") << fb->line;
    EXPECT_EQ(fb->str("reason"), "no_framebuffer") << "this machine has no display device";
    return;
  }
  ASSERT_TRUE(fb->has("width")) << "a framebuffer was expected: " << LogTail();
  EXPECT_GT(fb->num("width"), 0u);
  EXPECT_GT(fb->num("height"), 0u);
  EXPECT_GE(fb->num("pitch"), fb->num("width"));
  std::string format = fb->str("format");
  EXPECT_TRUE(format == "rgb" || format == "bgr") << format;
  EXPECT_EQ(fb->num("cols"), fb->num("width") / fb->num("font_width"));
  EXPECT_EQ(fb->num("rows"), fb->num("height") / fb->num("font_height"));
  // The framebuffer is reserved (never allocated) from its base.
  bool reserved = false;
  for (const auto& r : All(g_events, "mm.reserve"))
    reserved |= r.str("kind") == "framebuffer" && r.num("phys") == fb->num("base");
  EXPECT_TRUE(reserved) << "no framebuffer reservation at the console's base" << LogTail();
}

// The serial log's lines, without the "\r" of "\r\n", empty ones dropped.
std::vector<std::string> SerialLines() {
  std::vector<std::string> lines;
  std::stringstream in(g_log);
  for (std::string l; std::getline(in, l);) {
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
    if (!l.empty()) lines.push_back(l);
  }
  return lines;
}

// QEMU's screendump of the final screen shows rows of text at the glyph height, and they are the log's last
// lines, character for character (read back with the kernel's own font).
TEST(Console, ScreenshotShowsTheLogsLastLinesAsRowsOfText) {
  if (!g_config.screenshot) GTEST_SKIP() << "only for --screenshot boots";
  EXPECT_NE(g_runner_stderr.find("after the screenshot"), std::string::npos) << g_runner_stderr;
  auto fb = First(g_events, "console.framebuffer");
  ASSERT_TRUE(fb.has_value() && fb->has("width")) << LogTail();
  std::ifstream in(g_screenshot_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto img = screen::ParsePpm(ss.str());
  ASSERT_TRUE(img.has_value()) << "no PPM at " << g_screenshot_path << "; runner: " << g_runner_stderr;
  EXPECT_EQ(img->width, fb->num("width"));
  EXPECT_EQ(img->height, fb->num("height"));
  fbcon_font font{};
  ASSERT_EQ(fbcon_font_parse(fbcon_font_psf, fbcon_font_psf_bytes, &font), FBCON_FONT_OK);
  ASSERT_EQ(font.height, fb->num("font_height"));
  uint32_t cols = static_cast<uint32_t>(fb->num("cols")), rows = static_cast<uint32_t>(fb->num("rows"));

  // The pattern of glyph rows: every text row that holds text has ink in its cell band and a blank first pixel
  // row (row 0 of every printable glyph of this font is blank), the gap that separates it from the row above.
  uint32_t bg = 0x000000;
  auto ink = screen::InkRows(*img, cols * font.width, bg);
  uint32_t inked_rows = 0;
  for (uint32_t r = 0; r < rows; r++) {
    bool any = false;
    for (uint32_t y = r * font.height; y < (r + 1) * font.height; y++) any = any || ink[y];
    if (!any) continue;
    inked_rows++;
    EXPECT_FALSE(ink[r * font.height]) << "text row " << r << " has no gap above it";
  }
  EXPECT_GE(inked_rows, rows / 2) << "a full boot log fills at least half the screen (scrolls jump a quarter)";

  auto text = screen::ReadText(*img, font, cols, rows, bg);
  int last = static_cast<int>(text.size()) - 1;
  while (last >= 0 && text[last].empty()) last--;
  ASSERT_GE(last, 1) << "no text read from the screen";
  auto serial = SerialLines();
  ASSERT_GE(serial.size(), 2u);
  EXPECT_EQ(text[last], serial.back()) << "the last line on the screen is the log's last line";
  if (serial[serial.size() - 2].size() <= cols) {
    EXPECT_EQ(text[last - 1], serial[serial.size() - 2]) << "and the one above it the line before";
  }
}

// Issue 11: the CPU list, one smp.cpu line per listed CPU (numbers 0..N-1, the boot CPU first), smp.online, and
// the concurrent self-test on every online CPU before boot.done. With --expect_cpus (every CPU QEMU gives the
// machine must come up) the online count, the listed count and the -smp count agree.
TEST(Smp, EveryListedCpuComesOnlineAndTheConcurrentSelfTestPasses) {
  if (!ExpectHandoff()) GTEST_SKIP();
  auto online = First(g_events, "smp.online");
  ASSERT_TRUE(online.has_value()) << "no smp.online line" << LogTail();
  auto cpus = All(g_events, "smp.cpu");
  ASSERT_EQ(cpus.size(), online->num("expected")) << "one smp.cpu line per listed CPU" << LogTail();
  uint64_t up = 0;
  for (size_t i = 0; i < cpus.size(); i++) {
    EXPECT_EQ(cpus[i].num("id"), i) << "line " << cpus[i].line;
    EXPECT_TRUE(cpus[i].has("hwid"));
    up += cpus[i].num("online");
    if (cpus[i].num("online") == 0) EXPECT_TRUE(cpus[i].has("reason")) << "line " << cpus[i].line;
  }
  ASSERT_FALSE(cpus.empty());
  EXPECT_EQ(cpus[0].num("online"), 1u) << "the boot CPU is CPU 0";
  EXPECT_EQ(up, online->num("cpus"));
  auto stress = First(g_events, "smp.stress");
  ASSERT_TRUE(stress.has_value()) << "no smp.stress line" << LogTail();
  EXPECT_EQ(stress->str("result"), "ok") << LogTail();
  EXPECT_EQ(stress->num("cpus"), online->num("cpus"));
  EXPECT_GT(stress->num("ops"), 0u);
  EXPECT_TRUE(stress->has("cycles"));
  EXPECT_LT(IndexOf(g_events, "smp.online"), IndexOf(g_events, "smp.stress"));
  EXPECT_LT(IndexOf(g_events, "smp.stress"), IndexOf(g_events, "boot.done"));
  if (g_config.expect_cpus != 0) {
    // `selftest.ap_absent` keeps CPU 1 from coming up on purpose (Smp.ACpuThatDoesNotAnswerIsOneLineNotAHang).
    const uint64_t absent = ApAbsent() ? 1 : 0;
    EXPECT_EQ(online->num("cpus"), static_cast<uint64_t>(g_config.expect_cpus) - absent) << LogTail();
    EXPECT_EQ(online->num("expected"), static_cast<uint64_t>(g_config.expect_cpus)) << LogTail();
  }
}

// Issue 11 item 2: on x86 the secondaries' real-mode start page is a frame below 1 MiB taken from the runtime
// allocator and held as a reservation of its own kind (ap_trampoline) while CPUs start, then given back: one
// `smp.trampoline base= kind=ap_trampoline` line before the first secondary's smp.cpu line, one
// `smp.trampoline released=1 base=` line (same base) after the last one and before smp.online; with `debug`, the
// allocator's own mm.phys_reserve / mm.phys_unreserve lines for the same frame. AArch64 needs no such page.
TEST(Smp, TheApTrampolineIsReservedBelowOneMibWhileCpusStartThenReleased) {
  if (!ExpectHandoff()) GTEST_SKIP();
  auto online = First(g_events, "smp.online");
  ASSERT_TRUE(online.has_value()) << LogTail();
  auto lines = All(g_events, "smp.trampoline");
  if (online->num("expected") < 2) {
    EXPECT_TRUE(lines.empty()) << "one CPU starts no other" << LogTail();
    return;
  }
  if (g_config.arch != "x86_64") {
    ASSERT_EQ(lines.size(), 1u) << LogTail();
    EXPECT_EQ(lines[0].num("none"), 1u) << lines[0].line;
    EXPECT_EQ(lines[0].str("reason"), "not_needed") << "PSCI CPU_ON needs no low page" << lines[0].line;
    return;
  }
  ASSERT_EQ(lines.size(), 2u) << "one reserve and one release line" << LogTail();
  const auto& held = lines[0];
  const auto& released = lines[1];
  ASSERT_TRUE(held.has("base")) << held.line;
  EXPECT_FALSE(held.has("released")) << held.line;
  EXPECT_EQ(held.str("kind"), "ap_trampoline") << held.line;
  const uint64_t base = held.num("base");
  EXPECT_LT(base, 0x100000u) << "a Start-Up IPI names a page below 1 MiB" << held.line;
  EXPECT_NE(base, 0u);
  EXPECT_EQ(base % 4096, 0u);
  EXPECT_EQ(released.num("released"), 1u) << released.line;
  EXPECT_EQ(released.num("base"), base) << released.line;
  auto cpus = All(g_events, "smp.cpu");
  ASSERT_GE(cpus.size(), 2u);
  EXPECT_LT(held.line, cpus[1].line) << "reserved before the first secondary starts";
  EXPECT_GT(released.line, cpus.back().line) << "released after the last start";
  EXPECT_LT(released.line, online->line);
  if (g_config.cmdline.find("debug") != std::string::npos) {
    bool reserved = false, unreserved = false;
    for (const auto& r : All(g_events, "mm.phys_reserve"))
      reserved |= r.num("base") == base && r.str("kind") == "ap_trampoline" && r.line < held.line;
    for (const auto& r : All(g_events, "mm.phys_unreserve"))
      unreserved |= r.num("base") == base && r.str("kind") == "ap_trampoline" && r.num("frames") == 1 &&
                    r.line < released.line;
    EXPECT_TRUE(reserved) << "no mm.phys_reserve kind=ap_trampoline for the page" << LogTail();
    EXPECT_TRUE(unreserved) << "no mm.phys_unreserve kind=ap_trampoline frames=1 for the page" << LogTail();
  }
}

// Issue 11 item 2: a CPU that does not answer in time is one log line, not a hang. `selftest.ap_absent` (test
// builds) starts CPU 1 at a hardware id no CPU has: x86 sends INIT and Start-Up to nobody and the bounded wait
// ends in `timeout`; AArch64's PSCI CPU_ON refuses the MPIDR at once. Exactly one smp.cpu line for CPU 1 with
// online=0 and that reason, smp.online one short of expected, the self-test on the CPUs that are online, the
// trampoline released, and a normal boot.done.
TEST(Smp, ACpuThatDoesNotAnswerIsOneLineNotAHang) {
  if (!ApAbsent()) GTEST_SKIP() << "only for the selftest.ap_absent boot";
  auto hook = First(g_events, "selftest.ap_absent");
  ASSERT_TRUE(hook.has_value()) << "the test-hooks kernel did not act on the word" << LogTail();
  EXPECT_EQ(hook->num("cpu"), 1u);
  EXPECT_EQ(hook->num("hwid"), 0xfeu);
  auto cpus = All(g_events, "smp.cpu");
  int down = 0;
  for (const auto& c : cpus) {
    if (c.num("online") != 0) continue;
    down++;
    EXPECT_EQ(c.num("id"), 1u) << c.line;
    EXPECT_EQ(c.str("reason"), g_config.arch == "x86_64" ? "timeout" : "psci_invalid_parameters") << c.line;
    EXPECT_FALSE(c.has("stack")) << c.line;
  }
  EXPECT_EQ(down, 1) << "exactly one CPU did not come up" << LogTail();
  auto online = First(g_events, "smp.online");
  ASSERT_TRUE(online.has_value()) << LogTail();
  EXPECT_EQ(online->num("cpus") + 1, online->num("expected")) << online->line;
  auto stress = First(g_events, "smp.stress");
  ASSERT_TRUE(stress.has_value()) << LogTail();
  EXPECT_EQ(stress->str("result"), "ok");
  EXPECT_EQ(stress->num("cpus"), online->num("cpus"));
  EXPECT_TRUE(First(g_events, "boot.done").has_value()) << LogTail();
  EXPECT_FALSE(First(g_events, "panic").has_value()) << LogTail();
  EXPECT_EQ(g_status, 0) << LogTail();
}

// Issue 11 item 4: a panic line after ExitBootServices names the CPU it happened on: CPU 1 for the test-hooks
// boot whose second CPU reads page 0 (`selftest.fault_secondary`: its fault goes through its own VBAR), CPU 0 for
// every other panic.
TEST(Smp, APanicLineNamesTheCpu) {
  auto panic = First(g_events, "panic");
  if (!panic.has_value() || (panic->has("stage") && panic->str("stage") == "efi")) {
    GTEST_SKIP() << "no kernel panic in this boot";
  }
  ASSERT_TRUE(panic->has("cpu")) << "line " << panic->line << LogTail();
  bool secondary = g_config.cmdline.find("selftest.fault_secondary") != std::string::npos;
  EXPECT_EQ(panic->num("cpu"), secondary ? 1u : 0u) << LogTail();
  if (secondary) {
    EXPECT_EQ(panic->str("stage"), "exception") << LogTail();
    EXPECT_EQ(All(g_events, "panic").size(), 1u) << "one panic line, from CPU 1 alone" << LogTail();
    auto online = First(g_events, "smp.online");
    ASSERT_TRUE(online.has_value()) << LogTail();
    EXPECT_LT(IndexOf(g_events, "smp.online"), IndexOf(g_events, "panic"));
  }
}

// Issue 10 item 7: a two-node QEMU (-numa node,memdev=...) gives the kernel its nodes through SRAT or the
// devicetree. Node i must span [ram_start + sizes before it, + its size), as QEMU lays the memdevs out one after
// another from the RAM start; every mm.node range lies inside its node's span; and the frame the kernel allocated
// on each node (mm.node_alloc) lies in one of that node's ranges.
TEST(Numa, NodesMatchWhatQemuWasToldAndNodeAllocationsStayInTheirNode) {
  if (!ExpectHandoff() || g_config.numa_mib.empty()) GTEST_SKIP() << "only for NUMA boots";
  auto numa = First(g_events, "mm.numa");
  ASSERT_TRUE(numa.has_value()) << LogTail();
  EXPECT_EQ(numa->num("nodes"), g_config.numa_mib.size()) << LogTail();
  EXPECT_EQ(numa->str("source"), g_config.numa_source) << LogTail();
  auto ranges = All(g_events, "mm.node");
  EXPECT_EQ(ranges.size(), numa->num("ranges"));
  const uint64_t ram_start = g_config.arch == "aarch64" ? 0x40000000ull : 0;  // QEMU virt / q35
  uint64_t start = ram_start;
  for (uint64_t id = 0; id < g_config.numa_mib.size(); id++) {
    const uint64_t end = start + (g_config.numa_mib[id] << 20);
    uint64_t lo = UINT64_MAX, hi = 0;
    std::vector<boot_log::Event> mine;
    for (const auto& r : ranges) {
      if (r.num("id") != id) continue;
      mine.push_back(r);
      lo = std::min(lo, r.num("base"));
      hi = std::max(hi, r.num("end"));
      EXPECT_GE(r.num("base"), start) << "node " << id;
      EXPECT_LE(r.num("end"), end) << "node " << id;
    }
    ASSERT_FALSE(mine.empty()) << "no mm.node line for node " << id << LogTail();
    EXPECT_EQ(lo, start) << "node " << id << " does not start where QEMU put it" << LogTail();
    EXPECT_EQ(hi, end) << "node " << id << " does not end where QEMU put it" << LogTail();
    bool found = false, inside = false;
    for (const auto& a : All(g_events, "mm.node_alloc")) {
      if (a.num("id") != id) continue;
      found = true;
      ASSERT_TRUE(a.has("phys")) << "node " << id << " could not allocate" << LogTail();
      for (const auto& r : mine) inside |= r.num("base") <= a.num("phys") && a.num("phys") + 4096 <= r.num("end");
    }
    EXPECT_TRUE(found) << "no mm.node_alloc for node " << id << LogTail();
    EXPECT_TRUE(inside) << "node " << id << "'s frame lies outside its ranges" << LogTail();
    start = end;
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&](const char* prefix) { return a.substr(std::string(prefix).size()); };
    if (a.rfind("--runner=", 0) == 0) g_config.runner = val("--runner=");
    else if (a.rfind("--esp=", 0) == 0) g_config.esp = val("--esp=");
    else if (a.rfind("--arch=", 0) == 0) g_config.arch = val("--arch=");
    else if (a.rfind("--cmdline=", 0) == 0) g_config.cmdline = val("--cmdline=");
    else if (a.rfind("--expect_status=", 0) == 0) g_config.expect_status = std::atoi(val("--expect_status=").c_str());
    else if (a.rfind("--expect=", 0) == 0) g_config.expect = val("--expect=");
    else if (a.rfind("--timeout=", 0) == 0) g_config.timeout = std::atoi(val("--timeout=").c_str());
    else if (a.rfind("--exit=", 0) == 0) g_config.exit = val("--exit=");
    else if (a.rfind("--expect_el=", 0) == 0) g_config.expect_el = std::atoi(val("--expect_el=").c_str());
    else if (a.rfind("--expect_levels=", 0) == 0) g_config.expect_levels = std::atoi(val("--expect_levels=").c_str());
    else if (a.rfind("--expect_cpus=", 0) == 0) g_config.expect_cpus = std::atoi(val("--expect_cpus=").c_str());
    else if (a.rfind("--ram_above_4g=", 0) == 0) g_config.ram_above_4g = val("--ram_above_4g=") == "1";
    else if (a.rfind("--screenshot=", 0) == 0) g_config.screenshot = val("--screenshot=") == "1";
    else if (a.rfind("--numa_source=", 0) == 0) g_config.numa_source = val("--numa_source=");
    else if (a.rfind("--numa_mib=", 0) == 0)
      g_config.numa_mib.push_back(std::strtoull(val("--numa_mib=").c_str(), nullptr, 10));
    else if (a.rfind("--qemu=", 0) == 0) g_config.qemu.push_back(val("--qemu="));
    else {
      std::fprintf(stderr, "boot_test: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (g_config.runner.empty() || g_config.esp.empty() || g_config.arch.empty()) {
    std::fprintf(stderr, "boot_test: --runner, --esp and --arch are required\n");
    return 2;
  }
  ::testing::AddGlobalTestEnvironment(new BootEnvironment);
  return RUN_ALL_TESTS();
}
