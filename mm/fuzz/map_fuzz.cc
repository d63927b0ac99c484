// map_fuzz.cc: libFuzzer target for the whole bring-up pipeline on arbitrary firmware maps.
//
// Input layout (little endian):
//   byte 0      stride selector: descriptor_size = 40 + 8 * (b & 3); bit 7 set keeps a ragged tail (BAD_MAP)
//   byte 1      physical address width: 32 + b % 33 bits
//   byte 2      early allocation: 0 = none, else (b & 15) frames aligned to 2^(12 + (b >> 4)) bytes
//   byte 3      reservation count r (r % 8), then r records of 6 bytes:
//                 u8 descriptor index, u8 kind, u16 frame offset into that descriptor, u16 frames
//               (an index past the map puts the reservation at offset * 1 MiB from 0)
//   rest        descriptor bytes at the chosen stride
// Runs mm_firmware_map_init -> reservations -> early alloc -> mm_handoff_into (runtime_storage_plan ->
// carve_option_storage -> mm_phys_init) -> mm_phys_check_invariants, and aborts on any broken property:
// normalized regions not sorted/disjoint/aligned/merged, an error that changed state (a failed hand-off must
// leave the reservation set as it was), carved spans outside usable memory or over a
// reservation, or an invariant the allocator's checker rejects. Simulated physical memory (SimPhys) backs
// only what mm/ maps, so descriptor addresses anywhere in 2^64 are fine.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/firmware_map.h"
#include "mm/handoff.h"
#include "mm/log.h"
#include "mm/phys_alloc.h"
}

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "map_fuzz: %s\n", what);
  std::abort();
}

#define CHECK(cond)           \
  do {                        \
    if (!(cond)) Fail(#cond); \
  } while (0)

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

void CheckNormalized(const mm_firmware_map& map) {
  for (uint64_t i = 0; i < map.region_count; i++) {
    const mm_region& r = map.regions[i];
    CHECK(r.base < r.end);
    CHECK((r.base & MM_FRAME_MASK) == 0 && (r.end & MM_FRAME_MASK) == 0);
    CHECK(static_cast<uint32_t>(r.type) < MM_REGION_TYPE_COUNT);
    if (map.phys_addr_bits < 64) CHECK(r.end <= (uint64_t{1} << map.phys_addr_bits));
    if (i > 0) {
      const mm_region& p = map.regions[i - 1];
      CHECK(p.end <= r.base);
      CHECK(!(p.end == r.base && p.type == r.type && p.attribute == r.attribute));
    }
  }
  CHECK(map.region_count <= 2 * map.descriptor_count);
}

bool InUsable(const mm_firmware_map& map, uint64_t base, uint64_t end) {
  for (uint64_t i = 0; i < map.region_count; i++) {
    const mm_region& r = map.regions[i];
    if (r.type == MM_REGION_USABLE && r.base <= base && end <= r.end) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  log_set_sink(nullptr, nullptr);
  const uint32_t stride = 40 + 8 * (data[0] & 3);
  const bool ragged = (data[0] & 0x80) != 0;
  const unsigned bits = 32 + data[1] % 33;
  const uint8_t early_byte = data[2];
  const uint32_t nres = data[3] % 8;
  size_t pos = 4;
  if (size < pos + 6 * nres) return 0;
  const uint8_t* res_records = data + pos;
  pos += 6 * nres;
  uint64_t map_bytes = size - pos;
  if (!ragged) map_bytes -= map_bytes % stride;
  const uint8_t* descs = data + pos;

  // 1. firmware map. Storage is a fresh heap block so ASan sees any overrun.
  uint64_t need = mm_firmware_map_storage_bytes(map_bytes, stride);
  std::vector<uint8_t> storage(need == 0 ? 64 : need, 0xee);
  mm_firmware_map map;
  std::memset(&map, 0x5a, sizeof(map));
  mm_status s = mm_firmware_map_init(&map, descs, map_bytes, stride, 1, bits, storage.data(), storage.size());
  if (s != MM_OK) {
    unsigned char untouched[sizeof(map)];
    std::memset(untouched, 0x5a, sizeof(untouched));
    CHECK(std::memcmp(&map, untouched, sizeof(map)) == 0);
    return 0;
  }
  CHECK(map_bytes % stride == 0);
  CheckNormalized(map);
  CHECK(mm_firmware_map_usable_frames(&map) > 0);

  // 2. reservations relative to descriptors, so they land on interesting memory.
  mm_reservation res_storage[16];
  mm_reservation_set set;
  mm_reservation_set_init(&set, res_storage, 16);
  for (uint32_t i = 0; i < nres; i++) {
    const uint8_t* rec = res_records + 6 * i;
    uint64_t base;
    if (rec[0] < map.descriptor_count) {
      base = mm_firmware_map_descriptor(&map, rec[0]).physical_start + uint64_t{Le16(rec + 2)} * MM_FRAME_SIZE;
    } else {
      base = uint64_t{Le16(rec + 2)} << 20;
    }
    uint64_t before = set.count;
    s = mm_reservation_add(&set, base, uint64_t{Le16(rec + 4)} * MM_FRAME_SIZE,
                           static_cast<mm_reservation_kind>(rec[1] % (MM_RES_KIND_COUNT + 1)), "fuzz");
    CHECK(set.count == before + (s == MM_OK ? 1 : 0));
  }
  for (uint64_t i = 1; i < set.count; i++) {
    CHECK(set.entries[i - 1].base < set.entries[i].base ||
          (set.entries[i - 1].base == set.entries[i].base && set.entries[i - 1].end <= set.entries[i].end));
  }

  // 3. an early allocation, as the loader's page tables would take.
  mm_early_allocator early;
  mm_early_init(&early, &map, &set);
  if (early_byte != 0) {
    uint64_t frames = early_byte & 15;
    uint64_t align = uint64_t{1} << (12 + (early_byte >> 4));
    phys_addr_t at = 0;
    uint64_t before = set.count;
    s = mm_early_alloc(&early, frames, align, MM_RES_EARLY_ALLOC, "early", &at);
    if (s == MM_OK) {
      CHECK(at % align == 0);
      CHECK(InUsable(map, at, at + frames * MM_FRAME_SIZE));
      CHECK(set.count == before + 1);
    } else {
      CHECK(set.count == before);
    }
  }

  // 4-5. the hand-off entry: plan, carve, the runtime allocator in storage of our own.
  mm_testing::SimPhys phys(uint64_t{256} << 20);
  std::vector<mm_reservation> before_handoff(set.entries, set.entries + set.count);
  std::vector<uint64_t> alloc_storage((mm_phys_allocator_size() + 7) / 8 + 1);
  auto* alloc = reinterpret_cast<mm_phys_allocator*>(alloc_storage.data());
  mm_handoff_result handed;
  s = mm_handoff_into(alloc, &map, &set, phys.window(), nullptr, &handed);
  const mm_storage_plan& plan = handed.plan;
  CHECK(plan.free_slots >= plan.conventional_regions + plan.reservations);
  if (s != MM_OK) {
    CHECK(handed.failed_stage == MM_HANDOFF_CARVE || handed.failed_stage == MM_HANDOFF_INITIALIZE);
    CHECK(set.count == before_handoff.size());  // a failed hand-off leaves the set as it was
    CHECK(before_handoff.empty() ||
          std::memcmp(set.entries, before_handoff.data(), before_handoff.size() * sizeof(mm_reservation)) == 0);
    return 0;
  }
  CHECK(handed.failed_stage == MM_HANDOFF_DONE);
  const mm_carved_storage& carved = handed.carved;
  CHECK(set.count == before_handoff.size() + 2);
  CHECK(InUsable(map, carved.free_runs_phys, carved.free_runs_phys + carved.free_runs_bytes));
  CHECK(InUsable(map, carved.reserved_phys, carved.reserved_phys + carved.reserved_bytes));
  for (const mm_reservation& r : before_handoff) {
    CHECK(!(r.base < carved.free_runs_phys + carved.free_runs_bytes && carved.free_runs_phys < r.end));
    CHECK(!(r.base < carved.reserved_phys + carved.reserved_bytes && carved.reserved_phys < r.end));
  }

  // 6. the allocator's own invariant checker.
  const char* why = nullptr;
  if (mm_phys_check_invariants(alloc, &why) != MM_OK) Fail(why ? why : "invariant");
  for (int i = 0; i < 8; i++) {
    phys_addr_t f;
    if (mm_phys_alloc_frame(alloc, &f) != MM_OK) break;
    CHECK(InUsable(map, f, f + MM_FRAME_SIZE));
    CHECK(!mm_reservation_set_overlaps(&set, f, f + MM_FRAME_SIZE));
  }
  if (mm_phys_check_invariants(alloc, &why) != MM_OK) Fail(why ? why : "invariant after allocation");
  return 0;
}
