// fixture_maps.cc: see fixture_maps.h.
#include "mm/testing/fixture_maps.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace mm_testing {
namespace {

constexpr const char* kDir = "mm/testdata/memmaps";

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return s.substr(b, e - b);
}

// Parses a hex number (with or without 0x) at s[pos]; advances pos. False if no digits.
bool ParseHex(const std::string& s, size_t* pos, uint64_t* out) {
  size_t p = *pos;
  if (p + 1 < s.size() && s[p] == '0' && (s[p + 1] == 'x' || s[p + 1] == 'X')) p += 2;
  uint64_t v = 0;
  size_t digits = 0;
  while (p < s.size() && std::isxdigit(static_cast<unsigned char>(s[p]))) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[p])));
    v = v * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    p++;
    digits++;
  }
  if (digits == 0 || digits > 16) return false;
  *pos = p;
  *out = v;
  return true;
}

bool ParseDec(const std::string& s, size_t* pos, uint64_t* out) {
  size_t p = *pos;
  uint64_t v = 0;
  size_t digits = 0;
  while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
    v = v * 10 + static_cast<uint64_t>(s[p] - '0');
    p++;
    digits++;
  }
  if (digits == 0) return false;
  *pos = p;
  *out = v;
  return true;
}

// EFI_MEMORY_* attribute bits (UEFI 2.10, 7.2) for the column names Linux prints.
uint64_t AttributeBit(const std::string& flag) {
  static const struct {
    const char* name;
    uint64_t bit;
  } kBits[] = {{"UC", 0x1},         {"WC", 0x2},          {"WT", 0x4},      {"WB", 0x8},
               {"UCE", 0x10},       {"WP", 0x1000},       {"RP", 0x2000},   {"XP", 0x4000},
               {"NV", 0x8000},      {"MR", 0x10000},      {"RO", 0x20000},  {"SP", 0x40000},
               {"CC", 0x80000},     {"ISA", 0x4000000000000000ull}, {"RUN", 0x8000000000000000ull}};
  for (const auto& b : kBits) {
    if (flag == b.name) return b.bit;
  }
  return 0;
}

// Parses "[Type name |RUN|  |..|UC]" or "[Type name |attr=0x..]" starting at s[pos] == '['.
bool ParseBracketTypeAttr(const std::string& s, size_t pos, uint32_t* type, uint64_t* attribute) {
  size_t close = s.find(']', pos);
  if (close == std::string::npos) return false;
  std::string inside = s.substr(pos + 1, close - pos - 1);
  size_t bar = inside.find('|');
  std::string name = Trim(inside.substr(0, bar));
  int t = EfiTypeFromName(name);
  if (t < 0) return false;
  *type = static_cast<uint32_t>(t);
  *attribute = 0;
  if (bar == std::string::npos) return true;
  std::string rest = inside.substr(bar + 1);
  size_t a = rest.find("attr=");
  if (a != std::string::npos) {
    size_t p = a + 5;
    return ParseHex(rest, &p, attribute);
  }
  std::stringstream ss(rest);
  std::string flag;
  while (std::getline(ss, flag, '|')) *attribute |= AttributeBit(Trim(flag));
  return true;
}

uint32_t EfiTypeFromE820(const std::string& name) {
  std::string n = Trim(name);
  if (n == "usable") return MM_EFI_CONVENTIONAL_MEMORY;
  if (n == "ACPI data") return MM_EFI_ACPI_RECLAIM_MEMORY;
  if (n == "ACPI NVS") return MM_EFI_ACPI_MEMORY_NVS;
  if (n == "unusable") return MM_EFI_UNUSABLE_MEMORY;
  if (n.find("persistent") != std::string::npos || n == "type 12") return MM_EFI_PERSISTENT_MEMORY;
  return MM_EFI_RESERVED_MEMORY;  // "reserved", "type 20", anything else
}

// One line -> entry. Returns false for lines that are not map entries.
bool ParseLine(const std::string& raw, FixtureEntry* e, FixtureFormat* format) {
  std::string line = raw;
  if (!line.empty() && line[0] == '#') return false;
  // Drop a "[    0.000000] " timestamp.
  if (!line.empty() && line[0] == '[') {
    size_t close = line.find("] ");
    if (close == std::string::npos) return false;
    line = line.substr(close + 2);
  }
  size_t p;
  if ((p = line.find("BIOS-e820:")) != std::string::npos) {
    p += std::strlen("BIOS-e820:");
    while (p < line.size() && line[p] == ' ') p++;
    uint64_t a, b;
    if (line.compare(p, 5, "[mem ") == 0) {  // [mem 0x..-0x..] type, inclusive
      p += 5;
      if (!ParseHex(line, &p, &a) || p >= line.size() || line[p] != '-') return false;
      p++;
      if (!ParseHex(line, &p, &b) || p >= line.size() || line[p] != ']') return false;
      e->start = a;
      e->end = b + 1;
      e->efi_type = EfiTypeFromE820(line.substr(p + 1));
    } else {  // 000.. - 000.. (type), exclusive
      if (!ParseHex(line, &p, &a)) return false;
      size_t dash = line.find(" - ", p);
      if (dash != p) return false;
      p += 3;
      if (!ParseHex(line, &p, &b)) return false;
      size_t open = line.find('(', p), close = line.rfind(')');
      if (open == std::string::npos || close == std::string::npos || close < open) return false;
      e->start = a;
      e->end = b;
      e->efi_type = EfiTypeFromE820(line.substr(open + 1, close - open - 1));
    }
    e->attribute = 0;
    *format = FixtureFormat::kE820;
    return e->end > e->start;
  }
  if (line.compare(0, 4, "efi:") != 0) return false;
  std::string body = line.substr(4);
  size_t r = body.find("range=[");
  if (r != std::string::npos) {
    size_t q = r + 7;
    uint64_t a, b;
    if (!ParseHex(body, &q, &a) || q >= body.size() || body[q] != '-') return false;
    q++;
    if (!ParseHex(body, &q, &b) || q >= body.size()) return false;
    if (body[q] == ']') {
      b += 1;
    } else if (body[q] != ')') {
      return false;
    }
    e->start = a;
    e->end = b;
    size_t t = body.find("type=");
    if (t != std::string::npos && t < r) {  // type=N, attr=0x.., numeric form
      size_t q2 = t + 5;
      uint64_t type;
      if (!ParseDec(body, &q2, &type)) return false;
      e->efi_type = static_cast<uint32_t>(type);
      size_t at = body.find("attr=");
      e->attribute = 0;
      if (at != std::string::npos && at < r) {
        size_t q3 = at + 5;
        if (!ParseHex(body, &q3, &e->attribute)) return false;
      }
    } else {
      size_t open = body.find('[');
      if (open == std::string::npos || open >= r) return false;
      if (!ParseBracketTypeAttr(body, open, &e->efi_type, &e->attribute)) return false;
    }
    *format = FixtureFormat::kEfi;
    return e->end > e->start;
  }
  // arm64: "  0x..-0x.. [Type|..]" with an inclusive end.
  size_t q = 0;
  while (q < body.size() && body[q] == ' ') q++;
  uint64_t a, b;
  if (body.compare(q, 2, "0x") != 0 || !ParseHex(body, &q, &a) || q >= body.size() || body[q] != '-') return false;
  q++;
  if (!ParseHex(body, &q, &b)) return false;
  while (q < body.size() && body[q] == ' ') q++;
  if (q >= body.size() || body[q] != '[') return false;
  if (!ParseBracketTypeAttr(body, q, &e->efi_type, &e->attribute)) return false;
  e->start = a;
  e->end = b + 1;
  *format = FixtureFormat::kEfi;
  return e->end > e->start;
}

}  // namespace

int EfiTypeFromName(const std::string& raw) {
  static const struct {
    const char* name;
    int type;
  } kNames[] = {
      {"Reserved", 0},           {"Loader Code", 1},         {"Loader Data", 2},
      {"Boot Code", 3},          {"Boot Data", 4},           {"Runtime Code", 5},
      {"Runtime Data", 6},       {"Conventional Memory", 7}, {"Conventional", 7},
      {"Unusable Memory", 8},    {"Unusable", 8},            {"ACPI Reclaim Memory", 9},
      {"ACPI Reclaim", 9},       {"ACPI Memory NVS", 10},    {"ACPI Mem NVS", 10},
      {"Memory Mapped I/O", 11}, {"MMIO", 11},               {"MMIO Port Space", 12},
      {"MMIO Port", 12},         {"PAL Code", 13},           {"Persistent Memory", 14},
      {"Persistent", 14},        {"Unaccepted Memory", 15},  {"Unaccepted", 15},
  };
  std::string name = Trim(raw);
  for (const auto& n : kNames) {
    if (name == n.name) return n.type;
  }
  return -1;
}

FixtureMap ParseFixtureText(const std::string& name, const std::string& text) {
  FixtureMap map;
  map.name = name;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    FixtureEntry e;
    FixtureFormat f = FixtureFormat::kUnknown;
    if (!ParseLine(line, &e, &f)) continue;
    if (map.format == FixtureFormat::kUnknown) map.format = f;
    map.entries.push_back(e);
    mm_efi_descriptor d;
    std::memset(&d, 0, sizeof(d));
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
