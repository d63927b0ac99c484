// fixture_maps.h: test-only loader for the real memory maps in mm/testdata/memmaps/.
//
// Parses the text Linux prints for a firmware memory map into mm_efi_descriptor arrays:
//   efi: memNN: [Conventional Memory|   |..|UC] range=[0x..-0x..] (NMB)     5.x+, inclusive end
//   efi: memNN: [Reserved   |attr=0x070000000000000f] range=[..]          undefined attribute bits
//   efi: memNN: type=7, attr=0xf, range=[0x..-0x..) (NMB)                   3.x, exclusive end
//   efi:   0x..-0x.. [Conventional|   |..|UC]                               arm64, inclusive end
//   BIOS-e820: [mem 0x..-0x..] usable                                       e820, inclusive end
//    BIOS-e820: 000.. - 000.. (usable)                                      2.6-era e820, exclusive end
// e820 types become EFI types: usable 7, reserved 0, ACPI data 9, ACPI NVS 10, unusable 8, persistent
// (type 12) 14, anything else 0. EFI descriptors are page granular, e820 entries need not be (a 2.6-era
// Dell has a boundary at 0xdffcfc00), so byte ranges become whole pages the way a kernel must read them:
// conventional memory inward (only whole free frames), everything else outward (a partly reserved frame is
// reserved); a conventional entry with no whole frame gets number_of_pages 0. Lines of other shapes,
// including '#' comments, are skipped. The host replay tool has its own parser; this one is test-only.
#ifndef MM_TESTING_FIXTURE_MAPS_H
#define MM_TESTING_FIXTURE_MAPS_H

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "mm/firmware_map.h"
}

namespace mm_testing {

enum class FixtureFormat { kUnknown, kEfi, kE820 };

struct FixtureEntry {
  uint64_t start = 0;  // as printed
  uint64_t end = 0;    // exclusive
  uint32_t efi_type = 0;
  uint64_t attribute = 0;
};

struct FixtureMap {
  std::string name;  // file name without directory
  FixtureFormat format = FixtureFormat::kUnknown;
  std::vector<FixtureEntry> entries;
  std::vector<mm_efi_descriptor> descriptors;  // one per entry, same order
};

// Parses one file's text. Unrecognized lines are ignored.
FixtureMap ParseFixtureText(const std::string& name, const std::string& text);

// Loads mm/testdata/memmaps/<name> (relative to the working directory, which is the runfiles root under
// Bazel and the workspace root when run by hand). Fails the current test if the file cannot be read.
FixtureMap LoadFixture(const std::string& name);

// Names of every *.txt fixture, sorted.
std::vector<std::string> FixtureNames();

// EFI type for a Linux type name ("Conventional Memory", "Conventional", "Boot Data", ...); -1 if unknown.
int EfiTypeFromName(const std::string& name);

}  // namespace mm_testing

#endif  // MM_TESTING_FIXTURE_MAPS_H
