// boot_test.cc: boots the kernel under QEMU once (per test target) and asserts on its structured serial log.
//
// Flags (set by the boot_test macro in BUILD.bazel): --runner=, --esp=, --arch=, --cmdline=,
// --expect_status=N, --expect=handoff|panic, --timeout=SECONDS, and --qemu=ARG (repeatable, passed to QEMU).
#include <sys/wait.h>

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
  std::string runner, esp, arch, cmdline = "debug", expect = "handoff";
  int expect_status = 0;
  int timeout = 240;
  std::vector<std::string> qemu;
};

Config g_config;
std::string g_log;
int g_status = -1;
std::vector<boot_log::Event> g_events;

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
                      " --cmdline=" + ShellQuote(g_config.cmdline);
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

TEST(Boot, ExitsWithTheExpectedStatus) {
  EXPECT_EQ(g_status, g_config.expect_status) << LogTail();
}

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
