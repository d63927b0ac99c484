// fixture_maps.cc: see fixture_maps.h. Parsing is memmap_text's; this file only chooses what tests see.
#include "mm/testing/fixture_maps.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

extern "C" {
#include "tools/hostlib/memmap_text.h"
}

namespace mm_testing {
namespace {

constexpr const char* kDir = "testdata/memmaps";

// The text with every '#' comment line emptied (line numbers stay those of the file).
std::string WithoutComments(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool line_start = true, comment = false;
  for (char c : text) {
    if (line_start) comment = c == '#';
    line_start = c == '\n';
    if (!comment || c == '\n') out.push_back(c);
  }
  return out;
}

struct Parsed {
  FixtureFormat format;
  memmap_entry entry;
};

// Appends the entries of `format`'s lines; none at all is not an error (a text may hold only the other format).
void ParseFormat(const std::string& name, const std::string& text, memmap_format format, FixtureFormat as,
                 std::vector<Parsed>* out) {
  memmap map;
  memmap_error err;
  if (!memmap_parse(text.data(), text.size(), format, &map, &err)) {
    if (err.line != 0) ADD_FAILURE() << name << ":" << err.line << ": " << err.message;
    return;
  }
  for (size_t i = 0; i < map.count; i++) out->push_back(Parsed{as, map.entries[i]});
  memmap_free(&map);
}

}  // namespace

FixtureMap ParseFixtureText(const std::string& name, const std::string& text) {
  FixtureMap map;
  map.name = name;
  const std::string body = WithoutComments(text);
  std::vector<Parsed> parsed;
  ParseFormat(name, body, MEMMAP_FORMAT_LINUX_EFI, FixtureFormat::kEfi, &parsed);
  ParseFormat(name, body, MEMMAP_FORMAT_E820, FixtureFormat::kE820, &parsed);
  // A line has one kind (memmap_text.h), so line numbers are unique across the two formats.
  std::sort(parsed.begin(), parsed.end(), [](const Parsed& a, const Parsed& b) { return a.entry.line < b.entry.line; });
  for (const Parsed& p : parsed) {
    if (p.entry.end <= p.entry.base) continue;  // an empty range describes no memory
    if (map.format == FixtureFormat::kUnknown) map.format = p.format;
    FixtureEntry e;
    e.start = p.entry.base;
    e.end = p.entry.end;
    e.efi_type = p.entry.efi_type >= MEMMAP_E820_OEM_BASE && p.format == FixtureFormat::kE820 ? MM_EFI_RESERVED_MEMORY
                                                                                              : p.entry.efi_type;
    e.attribute = p.entry.attribute;
    map.entries.push_back(e);
    mm_efi_descriptor d = {};
    d.type = e.efi_type;
    uint64_t base, end;
    if (e.efi_type == MM_EFI_CONVENTIONAL_MEMORY) {
      base = (e.start + MM_FRAME_MASK) & ~MM_FRAME_MASK;
      end = e.end & ~MM_FRAME_MASK;
      if (end < base) end = base;
    } else {
      base = e.start & ~MM_FRAME_MASK;
      end = (e.end + MM_FRAME_MASK) & ~MM_FRAME_MASK;
    }
    d.physical_start = base;
    d.number_of_pages = (end - base) / MM_FRAME_SIZE;
    d.attribute = e.attribute;
    map.descriptors.push_back(d);
  }
  return map;
}

FixtureMap LoadFixture(const std::string& name) {
  std::string path = std::string(kDir) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read fixture " << path << " (cwd must be the workspace or runfiles root)";
    return FixtureMap{};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseFixtureText(name, buf.str());
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kDir, ec)) {
    if (entry.path().extension() == ".txt") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace mm_testing
