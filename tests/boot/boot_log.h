// boot_log.h: parses the kernel's serial log into structured events (`event key=value ...`, one per line).
//
// Firmware output shares the serial port, so a line counts as an event only when its first word is a known
// event prefix (mm., boot., paging., selftest., platform., acpi., dt., console., efi., smp., panic) or it is the exact
// hand-off line. Values stay strings;
// helpers convert decimal and 0x-hex.
#ifndef TESTS_BOOT_BOOT_LOG_H
#define TESTS_BOOT_BOOT_LOG_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace boot_log {

struct Event {
  std::string name;
  std::map<std::string, std::string> kv;
  int line = 0;  // 1-based line number in the log
  bool has(const std::string& key) const { return kv.count(key) != 0; }
  // The value as an unsigned number (decimal or 0x-hex); throws std::runtime_error when absent or malformed.
  uint64_t num(const std::string& key) const;
  std::string str(const std::string& key) const;
};

// The exact line the design note names for the hand-off; reported as an event with this name.
inline constexpr const char* kHandoffLine = "runtime allocator initialized";

std::vector<Event> Parse(const std::string& text);
uint64_t ParseNumber(const std::string& text);  // throws std::runtime_error

// Events named `name`, in log order.
std::vector<Event> All(const std::vector<Event>& events, const std::string& name);
std::optional<Event> First(const std::vector<Event>& events, const std::string& name);
// Index of the first event named `name` at or after `from`, or -1.
int IndexOf(const std::vector<Event>& events, const std::string& name, int from = 0);

}  // namespace boot_log

#endif  // TESTS_BOOT_BOOT_LOG_H
