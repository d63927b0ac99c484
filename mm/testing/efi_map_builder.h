// efi_map_builder.h: test-only helper that lays out EFI memory descriptors at an arbitrary stride, with
// junk in the padding, the way firmware hands them over.
#ifndef MM_TESTING_EFI_MAP_BUILDER_H
#define MM_TESTING_EFI_MAP_BUILDER_H

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "mm/firmware_map.h"
}

namespace mm_testing {

inline mm_efi_descriptor Desc(uint32_t type, uint64_t base, uint64_t pages, uint64_t attribute = 0xf) {
  mm_efi_descriptor d;
  std::memset(&d, 0, sizeof(d));
  d.type = type;
  d.physical_start = base;
  d.number_of_pages = pages;
  d.attribute = attribute;
  return d;
}

// Serializes descriptors at `stride` bytes each; bytes past the 40-byte struct are filled with `junk`.
inline std::vector<uint8_t> Serialize(const std::vector<mm_efi_descriptor>& descs, uint32_t stride = 48,
                                      uint8_t junk = 0xa5) {
  std::vector<uint8_t> out(descs.size() * stride, junk);
  for (size_t i = 0; i < descs.size(); i++) {
    std::memcpy(out.data() + i * stride, &descs[i], sizeof(mm_efi_descriptor));
  }
  return out;
}

// Normalizes `bytes` into a storage buffer it owns.
struct NormalizedMap {
  mm_status status = MM_ERR_INVALID_ARGUMENT;
  mm_firmware_map map{};
  std::vector<uint8_t> storage;

  std::vector<mm_region> Regions() const {
    if (status != MM_OK) return {};
    return std::vector<mm_region>(map.regions, map.regions + map.region_count);
  }
};

inline NormalizedMap Normalize(const std::vector<uint8_t>& bytes, uint32_t stride, unsigned phys_bits = 52) {
  NormalizedMap n;
  uint64_t need = mm_firmware_map_storage_bytes(bytes.size(), stride);
  n.storage.assign(need == 0 ? 1 : need, 0);
  n.status = mm_firmware_map_init(&n.map, bytes.data(), bytes.size(), stride, 1, phys_bits, n.storage.data(),
                                  n.storage.size());
  return n;
}

inline NormalizedMap Normalize(const std::vector<mm_efi_descriptor>& descs, unsigned phys_bits = 52,
                               uint32_t stride = 48) {
  return Normalize(Serialize(descs, stride), stride, phys_bits);
}

}  // namespace mm_testing

#endif  // MM_TESTING_EFI_MAP_BUILDER_H
