// fixture_maps.h: test-only loader for the real memory maps in testdata/memmaps/ (the one copy of the maps).
//
// The text is read by the project's one map-text parser, //tools/hostlib:memmap_text (memmap_text.h lists the
// line shapes: Linux EFI maps of every era, the arm64 form, both e820 forms). What this loader adds is the
// test-facing view: lines starting with '#' are the fixture files' comments and are skipped; a text may mix
// EFI and e820 lines and yields the entries of both, in line order; e820 types become EFI types the way the
// parser converts them (usable 7, reserved 0, ACPI data 9, ACPI NVS 10, unusable 8, persistent 14), except
// that types the parser carries as OEM values (type 20, ...) become 0, reserved. EFI descriptors are page
// granular, e820 entries need not be (a 2.6-era Dell has a boundary at 0xdffcfc00), so byte ranges become
// whole pages the way a kernel must read them: conventional memory inward (only whole free frames),
// everything else outward (a partly reserved frame is reserved); a conventional entry with no whole frame
// gets number_of_pages 0; an empty range (end == start) is dropped. A line the parser rejects fails the
// current test, naming the line.
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

// Parses one file's text. Lines that are not map lines are ignored; a malformed map line fails the test.
FixtureMap ParseFixtureText(const std::string& name, const std::string& text);

// Loads testdata/memmaps/<name> (relative to the working directory, which is the runfiles root under
// Bazel and the workspace root when run by hand). Fails the current test if the file cannot be read.
FixtureMap LoadFixture(const std::string& name);

// Names of every *.txt fixture, sorted.
std::vector<std::string> FixtureNames();

}  // namespace mm_testing

#endif  // MM_TESTING_FIXTURE_MAPS_H
