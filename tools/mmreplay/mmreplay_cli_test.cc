// mmreplay_cli_test.cc: the mmreplay binary end to end, the way a kernel developer runs it.
//
// Byte totals are recomputed here from the fixture text with regular expressions and a type table of this
// test's own, independent of tools/hostlib/memmap_text.c, and compared with the tool's JSON.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

const char kTool[] = "tools/mmreplay/mmreplay";  // in the runfiles tree (the test's working directory)
const char kMemmaps[] = "testdata/memmaps/";  // the one copy of the maps (//testdata:memmaps)
const char kTestdata[] = "tools/mmreplay/testdata/";

struct ToolRun {
  int status = -1;
  std::string out, err;
};

std::string ReadFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string &name) {
  const char *tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/" + name;
}

ToolRun RunTool(const std::string &args, const std::string &stdin_text = "") {
  ToolRun r;
  std::string err_path = TempPath("stderr.txt");
  std::string cmd = std::string(kTool) + " " + args + " 2>" + err_path;
  if (!stdin_text.empty()) {
    std::string in_path = TempPath("stdin.txt");
    std::ofstream(in_path, std::ios::binary) << stdin_text;
    cmd += " <" + in_path;
  }
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int rc = pclose(p);
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.err = ReadFile(err_path);
  return r;
}

// "key": N inside the object that follows "section": { ... } (or at top level when section is empty).
uint64_t JsonNumber(const std::string &json, const std::string &section, const std::string &key) {
  size_t from = 0;
  if (!section.empty()) {
    from = json.find("\"" + section + "\": {");
    if (from == std::string::npos) ADD_FAILURE() << "no section " << section << " in " << json;
    if (from == std::string::npos) return ~0ull;
  }
  std::smatch m;
  std::string tail = json.substr(from);
  if (!std::regex_search(tail, m, std::regex("\"" + key + "\": ([0-9]+)"))) {
    ADD_FAILURE() << "no key " << key << " in " << section;
    return ~0ull;
  }
  return std::stoull(m[1].str());
}

std::string JsonString(const std::string &json, const std::string &key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\": \"([^\"]*)\""))) return "<missing>";
  return m[1].str();
}

// ---- independent byte totals ----

// Class of a type as Linux printed it (names and numbers), per the issue's JSON keys.
std::string ClassOfEfiNumber(unsigned long t) {
  static const char *const names[] = {"reserved",
                                      "loader",
                                      "loader",
                                      "boot_services",
                                      "boot_services",
                                      "runtime_services",
                                      "runtime_services",
                                      "conventional",
                                      "unusable",
                                      "acpi_reclaim",
                                      "acpi_nvs",
                                      "mmio",
                                      "mmio",
                                      "other",
                                      "persistent",
                                      "other"};
  return t < 16 ? names[t] : "other";
}

std::string ClassOfEfiName(std::string name) {
  while (!name.empty() && name.back() == ' ') name.pop_back();
  static const std::map<std::string, unsigned long> table = {
      {"Reserved", 0},         {"Loader Code", 1},     {"Loader Data", 2},         {"Boot Code", 3},
      {"Boot Data", 4},        {"Runtime Code", 5},    {"Runtime Data", 6},        {"Conventional Memory", 7},
      {"Conventional", 7},     {"Unusable Memory", 8}, {"ACPI Reclaim Memory", 9}, {"ACPI Reclaim", 9},
      {"ACPI Memory NVS", 10}, {"ACPI Mem NVS", 10},   {"Memory Mapped I/O", 11},  {"MMIO", 11},
      {"MMIO Port Space", 12}, {"MMIO Port", 12},      {"PAL Code", 13},           {"Persistent Memory", 14},
      {"Persistent", 14}};
  auto it = table.find(name);
  EXPECT_NE(it, table.end()) << "test table lacks EFI type name '" << name << "'";
  return it == table.end() ? "?" : ClassOfEfiNumber(it->second);
}

std::string ClassOfE820(const std::string &t) {
  if (t == "usable") return "conventional";
  if (t == "reserved") return "reserved";
  if (t == "ACPI data") return "acpi_reclaim";
  if (t == "ACPI NVS") return "acpi_nvs";
  if (t == "unusable") return "unusable";
  if (t.rfind("persistent", 0) == 0) return "persistent";
  return "other";
}

struct Totals {
  std::map<std::string, uint64_t> bytes;
  uint64_t descriptors = 0;
};

void Add(Totals *t, const std::string &cls, uint64_t base, uint64_t end) {
  t->descriptors++;
  if (cls == "conventional") {
    base = (base + 4095) / 4096 * 4096;
    end = end / 4096 * 4096;
    if (end <= base) return;
  }
  t->bytes[cls] += end - base;
}

Totals IndependentTotals(const std::string &text) {
  Totals t;
  const std::regex e820_new(R"(BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (.+?)\s*$)");
  const std::regex e820_old(R"(BIOS-e820: ([0-9a-f]+) - ([0-9a-f]+) \((.+)\)\s*$)");
  const std::regex efi_num(
      R"([Ee][Ff][Ii]: mem\d+: type=(\d+), attr=0x[0-9a-f]+, range=\[0x([0-9a-f]+)-0x([0-9a-f]+)\))");
  const std::regex efi_named(R"([Ee][Ff][Ii]: mem\d+: \[([^|]+)\|.*range=\[0x([0-9a-f]+)-0x([0-9a-f]+)([)\]]))");
  const std::regex efi_arm64(R"(efi:\s+0x([0-9a-f]+)-0x([0-9a-f]+) \[([^|]+)\|)");
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, e820_new)) {
      Add(&t, ClassOfE820(m[3].str()), std::stoull(m[1].str(), nullptr, 16), std::stoull(m[2].str(), nullptr, 16) + 1);
    } else if (std::regex_search(line, m, e820_old)) {
      Add(&t, ClassOfE820(m[3].str()), std::stoull(m[1].str(), nullptr, 16), std::stoull(m[2].str(), nullptr, 16));
    } else if (std::regex_search(line, m, efi_num)) {
      Add(&t, ClassOfEfiNumber(std::stoul(m[1].str())), std::stoull(m[2].str(), nullptr, 16),
          std::stoull(m[3].str(), nullptr, 16));
    } else if (std::regex_search(line, m, efi_named)) {
      uint64_t end = std::stoull(m[3].str(), nullptr, 16) + (m[4].str() == "]" ? 1 : 0);
      Add(&t, ClassOfEfiName(m[1].str()), std::stoull(m[2].str(), nullptr, 16), end);
    } else if (std::regex_search(line, m, efi_arm64)) {
      Add(&t, ClassOfEfiName(m[3].str()), std::stoull(m[1].str(), nullptr, 16),
          std::stoull(m[2].str(), nullptr, 16) + 1);
    }
  }
  return t;
}

const char *const kFixtures[] = {
    "e820-amd-volcano-genoa.txt",   "e820-dell-poweredge-2850.txt", "efi-arm64-snapdragon-x-elite-laptop.txt",
    "efi-asus-zenbook-ux391fa.txt", "efi-dell-poweredge-r740.txt",
};

class Fixture : public ::testing::TestWithParam<const char *> {};

TEST_P(Fixture, ReplaysCleanlyWithIndependentlyComputedByteTotals) {
  std::string path = std::string(kMemmaps) + GetParam();
  ToolRun r = RunTool("--json " + path);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(JsonString(r.out, "invariants"), "ok") << r.out;
  EXPECT_EQ(JsonString(r.out, "selftest"), "ok") << r.out;
  Totals want = IndependentTotals(ReadFile(path));
  ASSERT_GT(want.descriptors, 0u);
  EXPECT_EQ(JsonNumber(r.out, "", "descriptors"), want.descriptors);
  for (const char *cls : {"conventional", "boot_services", "loader", "runtime_services", "acpi_reclaim", "acpi_nvs",
                          "mmio", "reserved", "persistent", "unusable", "other"}) {
    EXPECT_EQ(JsonNumber(r.out, "bytes", cls), want.bytes[cls]) << cls;
  }
  // The keys the issue promises.
  for (const char *key : {"unsorted", "overlaps", "trimmed", "unknown_types", "zero_length"})
    JsonNumber(r.out, "repairs", key);
  for (const char *key : {"free_slots", "reserved_slots"}) EXPECT_GT(JsonNumber(r.out, "plan", key), 0u);
  EXPECT_GT(JsonNumber(r.out, "allocator", "free_frames"), 0u);
  EXPECT_GT(JsonNumber(r.out, "allocator", "bookkeeping_bytes"), 0u);
  JsonNumber(r.out, "allocator", "reserved_frames");
  JsonNumber(r.out, "allocator", "free_runs");
  EXPECT_EQ(JsonString(r.out, "format"), std::string(GetParam()).rfind("e820", 0) == 0 ? "e820" : "linux-efi");
}

INSTANTIATE_TEST_SUITE_P(Memmaps, Fixture, ::testing::ValuesIn(kFixtures));

TEST(Mmreplay, ReadsStandardInputForDash) {
  std::string text = ReadFile(std::string(kMemmaps) + "e820-dell-poweredge-2850.txt");
  ToolRun r = RunTool("--json -", text);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(JsonString(r.out, "source"), "stdin");
  EXPECT_EQ(JsonNumber(r.out, "", "descriptors"), 16u);
}

TEST(Mmreplay, OneJsonObjectPerInput) {
  ToolRun r = RunTool(std::string("--json ") + kMemmaps + "e820-dell-poweredge-2850.txt " + kMemmaps +
                      "efi-dell-poweredge-r740.txt");
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  int objects = 0;
  while (std::getline(in, line)) objects += !line.empty() && line.front() == '{' && line.back() == '}';
  EXPECT_EQ(objects, 2);
}

TEST(Mmreplay, OldE820UnalignedEndsAreRepairsNotErrors) {
  ToolRun r = RunTool(std::string("--json ") + kMemmaps + "e820-dell-poweredge-2850.txt");
  ASSERT_EQ(r.status, 0) << r.err;
  // ACPI data ends and reserved starts at 0xdffcfc00, and [0xfed00000, 0xfed00400) is a partial frame.
  EXPECT_EQ(JsonNumber(r.out, "repairs", "rounded_out"), 3u);
  EXPECT_EQ(JsonNumber(r.out, "repairs", "overlaps"), 1u);  // the shared frame at 0xdffcf000
}

TEST(Mmreplay, ForcedFormatIgnoresOtherLines) {
  ToolRun r = RunTool(std::string("--format=e820 --json ") + kMemmaps + "efi-dell-poweredge-r740.txt");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no e820 memory map lines"), std::string::npos) << r.err;
}

// EFI attributes (issue 9 item 8): specific-purpose RAM is soft reserved, RAM without write-back is reserved;
// neither is handed out, and the text, JSON and SVG say so.
TEST(Mmreplay, SpecificPurposeAndNonWriteBackRamAreReportedAndNeverAllocated) {
  const std::string map = std::string(kTestdata) + "synthetic/efi-specific-purpose-and-uncached.txt";
  ToolRun text = RunTool(map);
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("Attributes: soft_reserved 1 (EFI_MEMORY_SP, 1 GiB never allocated), not_write_back 1 "
                          "(RAM without EFI_MEMORY_WB, reserved)"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("0x0000000100000000-0x0000000140000000  soft_reserved"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0x0000000140000000-0x0000000141000000  reserved"), std::string::npos) << text.out;

  std::string svg_path = TempPath("attrs.svg");
  ToolRun json = RunTool("--json --svg=" + svg_path + " " + map);
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_EQ(JsonNumber(json.out, "attributes", "soft_reserved"), 1u);
  EXPECT_EQ(JsonNumber(json.out, "attributes", "not_write_back"), 1u);
  EXPECT_EQ(JsonNumber(json.out, "region_bytes", "soft_reserved"), 1ull << 30);
  EXPECT_EQ(JsonString(json.out, "invariants"), "ok");
  EXPECT_EQ(JsonString(json.out, "selftest"), "ok");
  // Managed frames: the usable RAM only, nothing of [4 GiB, 4 GiB + 1 GiB + 16 MiB); reclaimable: the 8 MiB of
  // boot services data (the boot services page at 0 is the null page's).
  const uint64_t usable = (0xa0000 - 0x1000) + (0x40000000 - 0x100000) + (0x180000000 - 0x141000000);
  const uint64_t reclaimable = 0x800000;
  EXPECT_EQ(JsonNumber(json.out, "allocator", "managed_frames") * 4096, usable) << json.out;
  EXPECT_EQ(JsonNumber(json.out, "allocator", "reclaimable_frames") * 4096, reclaimable) << json.out;
  std::string svg = ReadFile(svg_path);
  EXPECT_NE(svg.find("soft reserved (EFI_MEMORY_SP)"), std::string::npos) << "legend names the type";
  EXPECT_NE(svg.find("data-type=\"soft_reserved\""), std::string::npos);
}

// ---- goldens: one map per format ----

struct Golden {
  const char *input;
  const char *golden;
};

class GoldenReport : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenReport, TextReportMatches) {
  ToolRun r = RunTool(GetParam().input);
  ASSERT_EQ(r.status, 0) << r.err;
  std::string want = ReadFile(std::string(kTestdata) + "golden/" + GetParam().golden);
  ASSERT_FALSE(want.empty()) << "missing golden; regenerate with tools/mmreplay/update_goldens.sh";
  EXPECT_EQ(r.out, want) << "regenerate with tools/mmreplay/update_goldens.sh if the change is intended";
}

INSTANTIATE_TEST_SUITE_P(
    Formats, GoldenReport,
    ::testing::Values(Golden{"testdata/memmaps/efi-asus-zenbook-ux391fa.txt", "efi-asus-zenbook-ux391fa.report"},
                      Golden{"testdata/memmaps/efi-arm64-snapdragon-x-elite-laptop.txt",
                             "efi-arm64-snapdragon-x-elite-laptop.report"},
                      Golden{"testdata/memmaps/efi-dell-poweredge-r740.txt", "efi-dell-poweredge-r740.report"},
                      Golden{"testdata/memmaps/e820-dell-poweredge-2850.txt", "e820-dell-poweredge-2850.report"},
                      Golden{"testdata/memmaps/e820-amd-volcano-genoa.txt", "e820-amd-volcano-genoa.report"},
                      Golden{"tools/mmreplay/testdata/kernel_boot_x86_64.log", "kernel_boot_x86_64.report"},
                      Golden{"tools/mmreplay/testdata/numa/linux-two-nodes-dmesg.txt", "linux-two-nodes-dmesg.report"},
                      Golden{"tools/mmreplay/testdata/numa/kernel_numa_boot_x86_64.log",
                             "kernel_numa_boot_x86_64.report"}),
    [](const ::testing::TestParamInfo<Golden> &info) {
      std::string n = info.param.golden;
      for (char &c : n) c = isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

// ---- malformed input: exit 2, the line number, and no partial answer ----

struct Malformed {
  const char *file;
  int line;  // 0: an error about the whole input
  const char *needle;
};

class MalformedInput : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedInput, ExitsTwoNamingTheLine) {
  std::string path = std::string(kTestdata) + "malformed/" + GetParam().file;
  for (const char *mode : {"", "--json "}) {
    ToolRun r = RunTool(mode + path);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.out, "") << "no partial answer";
    std::string where = GetParam().line ? path + ":" + std::to_string(GetParam().line) + ":" : path + ":";
    EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(GetParam().needle), std::string::npos) << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedInput,
    ::testing::Values(Malformed{"truncated-efi.txt", 4, "line ends"}, Malformed{"truncated-e820.txt", 3, "line ends"},
                      Malformed{"reversed-range.txt", 2, "reversed range"},
                      Malformed{"overflow-2to64.txt", 3, "overflows 2^64"},
                      Malformed{"overflow-digits.txt", 2, "64 bits"},
                      Malformed{"kernel-desc-overflow.log", 3, "overflows 2^64"},
                      Malformed{"garbage-in-map-line.txt", 2, "unknown e820 type"},
                      Malformed{"no-map-at-all.txt", 0, "no kernel, linux-efi or e820 memory map lines"},
                      Malformed{"no-usable-memory.txt", 0, "no usable"},
                      Malformed{"numa-srat-reversed.txt", 3, "malformed NUMA line: reversed range"}),
    [](const ::testing::TestParamInfo<Malformed> &info) {
      std::string n = info.param.file;
      for (char &c : n) c = isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

// Issue 10 item 7: Linux's SRAT lines become nodes in the text and JSON; nodes that overlap are reported and
// dropped (the kernel would run as one node), never a failure of the replay.
TEST(Numa, LinuxSratLinesAreNodesInTextAndJson) {
  std::string in = std::string(kTestdata) + "numa/linux-two-nodes-dmesg.txt";
  ToolRun t = RunTool(in);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("NUMA nodes (linux-srat"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("node 1   pxm 1   0x0000000100000000-0x0000000180000000"), std::string::npos) << t.out;
  ToolRun j = RunTool("--json " + in);
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_NE(j.out.find("\"numa\": {\"source\": \"linux-srat\", \"nodes\": 2"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("{\"node\": 1, \"pxm\": 1, \"base\": \"0x100000000\", \"end\": \"0x180000000\""),
            std::string::npos)
      << j.out;
}

TEST(Numa, OverlappingNodesAreReportedAndDropped) {
  ToolRun t = RunTool(std::string(kTestdata) + "numa/linux-overlapping-nodes-dmesg.txt");
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("overlap: dropped, one node"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("NUMA nodes ("), std::string::npos) << t.out;
}

TEST(Numa, MapsWithoutNumaLinesReportNoNodes) {
  ToolRun j = RunTool("--json " + std::string(kMemmaps) + "e820-dell-poweredge-2850.txt");
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(j.out.find("\"numa\""), std::string::npos) << j.out;
}

TEST(Mmreplay, OneBadInputMeansNoReportForAny) {
  ToolRun r = RunTool(std::string(kMemmaps) + "e820-dell-poweredge-2850.txt " + kTestdata +
                      "malformed/truncated-efi.txt");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
}

// ---- this kernel's boot log replays to the numbers the kernel printed ----

TEST(KernelLog, ReplayReproducesTheLoggedPlanAndStats) {
  std::string path = std::string(kTestdata) + "kernel_boot_x86_64.log";
  std::string log = ReadFile(path);
  std::smatch plan, stats;
  ASSERT_TRUE(std::regex_search(
      log, plan,
      std::regex(R"(mm\.plan free_slots=(\d+) reserved_slots=(\d+) conventional_regions=(\d+) reservations=(\d+))")));
  ASSERT_TRUE(std::regex_search(log, stats,
                                std::regex(R"(mm\.stats free_frames=(\d+) reserved_frames=(\d+) free_runs=(\d+))")));
  ToolRun r = RunTool("--json " + path);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(JsonString(r.out, "format"), "kernel");
  EXPECT_EQ(JsonNumber(r.out, "plan", "free_slots"), std::stoull(plan[1]));
  EXPECT_EQ(JsonNumber(r.out, "plan", "reserved_slots"), std::stoull(plan[2]));
  EXPECT_EQ(JsonNumber(r.out, "plan", "conventional_regions"), std::stoull(plan[3]));
  EXPECT_EQ(JsonNumber(r.out, "plan", "reservations"), std::stoull(plan[4]));
  EXPECT_EQ(JsonNumber(r.out, "allocator", "free_frames"), std::stoull(stats[1]));
  EXPECT_EQ(JsonNumber(r.out, "allocator", "reserved_frames"), std::stoull(stats[2]));
  EXPECT_EQ(JsonNumber(r.out, "allocator", "free_runs"), std::stoull(stats[3]));
  EXPECT_NE(r.out.find("\"plan\": \"match\", \"stats\": \"match\""), std::string::npos) << r.out;
  // The kernel reclaims boot-services and loader memory later; the replay's self-test reclaims the same frames.
  std::smatch reclaim;
  if (std::regex_search(log, reclaim, std::regex(R"(mm\.reclaim frames=(\d+))"))) {
    EXPECT_EQ(JsonNumber(r.out, "allocator", "reclaimable_frames"), std::stoull(reclaim[1]));
  }
}

}  // namespace
