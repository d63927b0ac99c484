// disk_boot_test.cc: boots a whole disk image (//:disk_<arch>, the image a user writes to a USB stick) under
// QEMU through the firmware's default boot order, as a real machine boots it, and asserts on the serial log.
//
// Unlike boot_test.cc the runner gets no ESP and no command line: --disk=IMG attaches the image read-only on
// --disk_bus (usb, nvme, virtio, ahci), the kernel runs with its defaults (no `debug`, no `exit=qemu`), so only
// the lines a default boot prints are there, and the status comes from `boot.done status=N` in the log.
// --stick_mib=N boots a copy of the image grown to N MiB instead, as `dd` leaves it on a larger USB stick: the
// protective MBR and the backup GPT then describe the image, not the device, which firmware must accept.
// Flags: --runner=, --disk=, --arch=, --disk_bus=, --timeout=SECONDS, --stick_mib=N.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/boot/boot_log.h"

namespace {

struct Config {
  std::string runner, disk, arch, disk_bus = "usb";
  int timeout = 240;
  int stick_mib = 0;  // 0: boot the image as built
};

Config g_config;
std::string g_log, g_runner_stderr;
int g_status = -1;
std::vector<boot_log::Event> g_events;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Boots once for the whole binary: the tests below are different assertions on the same run.
class DiskBootEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string dir = tmp ? tmp : "/tmp";
    std::string log_path = dir + "/serial.log";
    std::string disk = g_config.disk;
    if (g_config.stick_mib > 0) {
      namespace fs = std::filesystem;
      disk = dir + "/stick.img";
      fs::copy_file(g_config.disk, disk, fs::copy_options::overwrite_existing);
      fs::permissions(disk, fs::perms::owner_read | fs::perms::owner_write);
      uintmax_t image_bytes = fs::file_size(disk), stick_bytes = uintmax_t(g_config.stick_mib) << 20;
      ASSERT_GT(stick_bytes, image_bytes) << "--stick_mib must be larger than the image";
      fs::resize_file(disk, stick_bytes);  // sparse: the grown part costs no disk space
    }
    std::string cmd = ShellQuote(g_config.runner) + " --arch=" + g_config.arch + " --disk=" + ShellQuote(disk) +
                      " --disk-bus=" + ShellQuote(g_config.disk_bus) +
                      " --timeout=" + std::to_string(g_config.timeout) + " --log=" + ShellQuote(log_path) +
                      " >/dev/null 2>" + ShellQuote(log_path + ".stderr");
    std::fprintf(stderr, "disk_boot_test: %s\n", cmd.c_str());
    int rc = std::system(cmd.c_str());
    g_status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    g_log = ReadFile(log_path);
    g_events = boot_log::Parse(g_log);
    g_runner_stderr = ReadFile(log_path + ".stderr");
    // Keep the serial log as a test output for whoever reads a failure.
    if (const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::ofstream(std::string(out) + "/serial.log", std::ios::binary) << g_log;
    }
    std::fprintf(stderr, "disk_boot_test: runner exit status %d; runner stderr:\n%s\n", g_status,
                 g_runner_stderr.c_str());
  }
};

std::string LogTail() {
  size_t from = g_log.size() > 3000 ? g_log.size() - 3000 : 0;
  return "\n--- serial log (tail) ---\n" + g_log.substr(from);
}

using boot_log::First;
using boot_log::IndexOf;

TEST(DiskBoot, ExitsWithStatusZeroTakenFromTheSerialLog) {
  EXPECT_EQ(g_status, 0) << g_runner_stderr << LogTail();
  // No exit device on a disk boot: the runner read `boot.done status=0` and QEMU either powered off by itself
  // (AArch64 PSCI SYSTEM_OFF, or x86 through ResetSystem) or was ended by the runner after the line (x86 halt).
  EXPECT_NE(g_runner_stderr.find("kernel status 0 from the serial log"), std::string::npos) << g_runner_stderr;
}

// The firmware found the disk by itself: with a fresh variable store and no other device, EDK2's boot manager
// makes a boot option for the disk and starts it (UEFI 2.10 section 3.5.1.1, removable media: the ESP's
// \EFI\BOOT\BOOT<machine>.EFI). Its `BdsDxe: starting Boot#### "..." from <device path>` line names the bus.
TEST(DiskBoot, TheFirmwaresBootManagerStartsTheKernelFromTheDisk) {
  size_t at = g_log.find("BdsDxe: starting Boot");
  ASSERT_NE(at, std::string::npos) << "no boot manager line: the firmware did not boot a boot option" << LogTail();
  std::string line = g_log.substr(at, g_log.find('\n', at) - at);
  const char* want = g_config.disk_bus == "usb"    ? "/USB("
                     : g_config.disk_bus == "nvme" ? "/NVMe("
                     : g_config.disk_bus == "ahci" ? "/Sata("
                                                   : "\"UEFI Misc Device\"";  // virtio-blk: no node of its own
  EXPECT_NE(line.find(want), std::string::npos)
      << "booted from another device than the " << g_config.disk_bus << " disk: " << line;
  size_t banner = g_log.find("handoff kernel (" + g_config.arch + ") booting under UEFI");
  ASSERT_NE(banner, std::string::npos) << "the kernel's ConOut banner is missing" << LogTail();
  EXPECT_LT(at, banner) << "the kernel ran before the boot manager started it?";
}

// No command line file on the disk and no LoadOptions: the kernel runs with its defaults.
TEST(DiskBoot, TheKernelRunsWithItsDefaultCommandLine) {
  auto start = First(g_events, "boot.start");
  ASSERT_TRUE(start.has_value()) << LogTail();
  EXPECT_EQ(start->str("arch"), g_config.arch);
  EXPECT_EQ(start->str("cmdline_source"), "none") << "a command line reached a disk that has none" << LogTail();
  EXPECT_EQ(start->num("debug"), 0u);
  EXPECT_EQ(start->num("exit_attempts"), 1u);
}

// The default-level lines of the whole bring-up, in order, and its end: a default boot on a machine shows these.
TEST(DiskBoot, TheBringUpRunsToBootDoneWithoutAPanic) {
  EXPECT_FALSE(First(g_events, "panic").has_value()) << LogTail();
  const std::vector<std::string> order = {"boot.start",  "mm.firmware_map", boot_log::kHandoffLine, "paging.installed",
                                          "mm.selftest", "mm.reclaim",      "mm.summary",           "boot.done"};
  int at = 0;
  for (const auto& name : order) {
    int found = IndexOf(g_events, name, at);
    ASSERT_GE(found, 0) << "missing '" << name << "' after event #" << at << LogTail();
    at = found + 1;
  }
  EXPECT_EQ(First(g_events, "mm.selftest")->str("result"), "ok");
  EXPECT_GT(First(g_events, "mm.summary")->num("free_bytes"), 0u);
  EXPECT_EQ(First(g_events, "boot.done")->num("status"), 0u);
  // Default level: the debug-only lines stay out of a default boot's log.
  EXPECT_FALSE(First(g_events, "mm.desc").has_value()) << "debug lines in a default boot";
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&](const char* prefix) { return a.substr(std::string(prefix).size()); };
    if (a.rfind("--runner=", 0) == 0) g_config.runner = val("--runner=");
    else if (a.rfind("--disk=", 0) == 0) g_config.disk = val("--disk=");
    else if (a.rfind("--arch=", 0) == 0) g_config.arch = val("--arch=");
    else if (a.rfind("--disk_bus=", 0) == 0) g_config.disk_bus = val("--disk_bus=");
    else if (a.rfind("--timeout=", 0) == 0) g_config.timeout = std::atoi(val("--timeout=").c_str());
    else if (a.rfind("--stick_mib=", 0) == 0) g_config.stick_mib = std::atoi(val("--stick_mib=").c_str());
    else {
      std::fprintf(stderr, "disk_boot_test: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (g_config.runner.empty() || g_config.disk.empty() || g_config.arch.empty()) {
    std::fprintf(stderr, "disk_boot_test: --runner, --disk and --arch are required\n");
    return 2;
  }
  ::testing::AddGlobalTestEnvironment(new DiskBootEnvironment);
  return RUN_ALL_TESTS();
}
