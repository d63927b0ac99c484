// boot_test.cc: boots the kernel under QEMU once (per test target) and asserts on its structured serial log.
//
// Flags (set by the boot_test macro in BUILD.bazel): --runner=, --esp=, --arch=, --cmdline=,
// --expect_status=N, --expect=handoff|panic, --timeout=SECONDS, --exit=device|firmware (the runner's option),
// --expect_el=N (AArch64: the exception level boot.start must report; 0: none, as on x86),
// --expect_levels=N (paging.installed levels=N, x86: 4 or 5; 0: not checked), --ram_above_4g=0|1 (the machine
// has RAM above 4 GiB that must be managed and mapped) and --qemu=ARG (repeatable, passed to QEMU).
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/boot/boot_log.h"

namespace {

struct Config {
  std::string runner, esp, arch, cmdline = "debug", expect = "handoff", exit = "device";
  int expect_status = 0;
  int expect_el = 0;
  int expect_levels = 0;
  bool ram_above_4g = false;
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

// Issue 9 item 5: without an exit device the kernel ends the run itself (AArch64 PSCI SYSTEM_OFF: QEMU exits by
// itself; x86: a halt, after which the runner ends QEMU) and the runner takes the status from the log.
TEST(Boot, WithoutAnExitDeviceTheRunnerTakesTheStatusFromTheLog) {
  if (g_config.exit != "firmware") GTEST_SKIP() << "only for --exit=firmware boots";
  EXPECT_NE(g_runner_stderr.find("from the serial log"), std::string::npos) << g_runner_stderr;
  if (g_config.arch == "aarch64") {
    EXPECT_NE(g_runner_stderr.find("QEMU exited by itself with 0"), std::string::npos)
        << "PSCI SYSTEM_OFF should have ended QEMU: " << g_runner_stderr;
  }
}

// ---- The memory bring-up (issue: hand-off, identity paging, self-test, reclaim) ----------------------------

struct Range {
  uint64_t base, end;
  std::string what;
};

bool ExpectHandoff() { return g_config.expect == "handoff"; }

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
  std::vector<Range> reservations, allocations;
  // Reservations as they stood while the self-test ran: those logged before its mm.selftest line. Its frames
  // are all free again after it, so bookkeeping that reclaim grows later may legitimately reuse them (seen on
  // the NUMA boots, whose firmware maps split memory at the node boundary into more free runs).
  for (const auto& r : g_events) {
    if (r.name == "mm.selftest") break;
    if (r.name == "mm.reserve") reservations.push_back({r.num("phys"), r.num("end"), r.str("label")});
    if (r.name == "mm.phys_reserve") reservations.push_back({r.num("base"), r.num("end"), r.str("label")});
  }
  for (const auto& a : All(g_events, "mm.selftest_alloc"))
    allocations.push_back({a.num("phys"), a.num("end"), "selftest"});
  ASSERT_FALSE(reservations.empty());
  ASSERT_FALSE(allocations.empty());
  for (const auto& a : allocations) {
    EXPECT_LT(a.base, a.end);
    for (const auto& r : reservations) {
      EXPECT_FALSE(a.base < r.end && r.base < a.end)
          << "allocation [" << std::hex << a.base << "," << a.end << ") overlaps reservation " << r.what << " ["
          << r.base << "," << r.end << ")";
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
    else if (a.rfind("--ram_above_4g=", 0) == 0) g_config.ram_above_4g = val("--ram_above_4g=") == "1";
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
