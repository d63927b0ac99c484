// make_map_seeds.cc: writes map_fuzz's seed corpus (mm/fuzz/corpus/map/ and corpus/map.list) from the one copy
// of the real maps, testdata/memmaps/*.txt, read by the project's one map-text parser (//tools/hostlib:
// memmap_text). Host only. Run from the workspace (BUILD.bazel has the command); the output depends only on
// the maps, so the committed corpus is reproducible.
//
// Each seed uses map_fuzz.cc's input layout: 4 header bytes (stride selector, physical width, early
// allocation, reservation count), 6-byte reservation records, then one 40-byte EFI descriptor per parsed entry
// padded to the stride with 0xa5. Entries keep the parser's EFI type and attributes (e820 types the parser
// carries as OEM values stay OEM values: unknown types are worth fuzzing); byte ranges become whole pages
// outward. One synthetic seed adds overlaps, an empty descriptor, an OEM type and a 56-byte stride.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
#include "tools/hostlib/memmap_text.h"
}

namespace {

struct Entry {
  uint32_t type;
  uint64_t base, end, attribute;  // byte range as printed, end exclusive
};

struct Reservation {
  uint8_t index, kind;
  uint16_t frame_offset, frames;
};

void Put(std::string *out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string Seed(uint8_t stride_sel, unsigned phys_bits, uint8_t early, const std::vector<Reservation> &res,
                 const std::vector<Entry> &entries) {
  const unsigned stride = 40 + 8 * (stride_sel & 3);
  std::string out;
  Put(&out, stride_sel, 1);
  Put(&out, (phys_bits - 32) % 33, 1);
  Put(&out, early, 1);
  Put(&out, res.size(), 1);
  for (const Reservation &r : res) {
    Put(&out, r.index, 1);
    Put(&out, r.kind, 1);
    Put(&out, r.frame_offset, 2);
    Put(&out, r.frames, 2);
  }
  for (const Entry &e : entries) {
    const uint64_t base = e.base & ~uint64_t{0xfff};
    const uint64_t end = e.end > UINT64_MAX - 0xfff ? UINT64_MAX & ~uint64_t{0xfff}
                                                    : (e.end + 0xfff) & ~uint64_t{0xfff};
    Put(&out, e.type, 4);
    Put(&out, 0, 4);
    Put(&out, base, 8);
    Put(&out, 0, 8);  // virtual start
    Put(&out, (end - base) >> 12, 8);
    Put(&out, e.attribute, 8);
    out.append(stride - 40, static_cast<char>(0xa5));
  }
  return out;
}

[[noreturn]] void Die(const std::string &why) {
  std::fprintf(stderr, "make_map_seeds: %s\n", why.c_str());
  std::exit(1);
}

std::vector<Entry> ParseMap(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  memmap map;
  memmap_error err;
  if (!memmap_parse(text.data(), text.size(), MEMMAP_FORMAT_AUTO, &map, &err))
    Die(path + ":" + std::to_string(err.line) + ": " + err.message);
  std::vector<Entry> entries;
  for (size_t i = 0; i < map.count; i++) {
    const memmap_entry &e = map.entries[i];
    entries.push_back(Entry{e.efi_type, e.base, e.end, e.attribute});
  }
  memmap_free(&map);
  return entries;
}

void Write(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("cannot write " + path);
}

}  // namespace

// Usage: make_map_seeds [WORKSPACE [OUT_ROOT]]: reads WORKSPACE/testdata/memmaps, writes under OUT_ROOT
// (default WORKSPACE). `bazel run` starts in the runfiles tree and says where the workspace is.
int main(int argc, char **argv) {
  const char *ws = argc > 1 ? argv[1] : std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::filesystem::path root = ws != nullptr ? ws : ".";
  const std::filesystem::path out_root = argc > 2 ? argv[2] : root;
  const std::filesystem::path maps = root / "testdata/memmaps";
  const std::string out_rel = "mm/fuzz/corpus/map";
  const std::filesystem::path out_dir = out_root / out_rel;

  std::vector<std::string> names;
  std::error_code ec;
  for (const auto &f : std::filesystem::directory_iterator(maps, ec)) {
    if (f.path().extension() == ".txt") names.push_back(f.path().stem().string());
  }
  if (ec || names.empty()) Die("no maps in " + maps.string());
  std::sort(names.begin(), names.end());

  std::filesystem::remove_all(out_dir);
  std::filesystem::create_directories(out_dir);
  for (size_t i = 0; i < names.size(); i++) {
    std::vector<Entry> entries = ParseMap((maps / (names[i] + ".txt")).string());
    const std::vector<Reservation> res = {{static_cast<uint8_t>(i % entries.size()), 1, 0, 16}, {0, 2, 1, 1}};
    Write((out_dir / names[i]).string(), Seed(0, i % 2 ? 46 : 52, 0x92, res, entries));
  }
  const std::vector<Entry> small = {{7, 0x100000, 0x200000, 0xf}, {0, 0x180800, 0x181000, 0},
                                    {7, 0x0, 0x9f000, 0xf},       {0x70000001, 0x1000, 0x3000, 0},
                                    {7, 0x300000, 0x300000, 0},   {4, 0x1f0000, 0x210000, 0xf}};
  names.push_back("synthetic-stride56-overlaps");
  Write((out_dir / names.back()).string(), Seed(2, 39, 0x21, {{0, 5, 2, 3}}, small));

  // The list map_fuzz's Bazel target passes as -seed_inputs=@file (paths from the runfiles root).
  std::sort(names.begin(), names.end());
  std::string list;
  for (const std::string &n : names) list += (list.empty() ? "" : ",") + out_rel + "/" + n;
  Write((out_root / "mm/fuzz/corpus/map.list").string(), list);
  std::printf("wrote %zu seeds to %s\n", names.size(), out_dir.string().c_str());
  return 0;
}
