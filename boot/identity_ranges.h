// identity_ranges.h: the identity-mapping policy, what the kernel maps and how (portable, host-tested).
//
// Inputs are the normalized firmware map and the few ranges the kernel knows itself; output is sorted,
// disjoint, frame-aligned arch_map_range entries for arch_paging_build. Policy, where candidates overlap the
// highest priority wins (one O(n log n) sweep, mm/sweep.h):
//   priority 1  every map region but reserved/unusable: MMIO regions as device memory, the rest as normal RAM
//               (reserved and unusable memory stays unmapped, so a stray access faults);
//   priority 2  the framebuffer (write-combining);
//   priority 3  the architecture's MMIO (device);
//   priority 4  the kernel image, normal and the only executable range (text and data share one range).
// Page 0 is never mapped, so a null dereference faults. Neighbours with the same type and executability are
// merged.
#ifndef BOOT_IDENTITY_RANGES_H
#define BOOT_IDENTITY_RANGES_H

#include "arch/arch.h"
#include "mm/firmware_map.h"

typedef struct identity_inputs {
  const mm_firmware_map *map;  // normalized
  const arch_map_range *mmio;  // arch_identity_mmio's ranges (type ignored: always device)
  uint64_t mmio_count;
  phys_addr_t framebuffer_base;  // framebuffer_size 0: none
  uint64_t framebuffer_size;
  phys_addr_t image_base;
  uint64_t image_size;
} identity_inputs;

// Scratch bytes identity_ranges_build needs for these inputs, and the most ranges it can produce (the size of
// the output array to pass). 0 when the counts overflow.
uint64_t identity_ranges_scratch_bytes(const identity_inputs *in);
uint64_t identity_ranges_max(const identity_inputs *in);

// Builds the ranges into out[0, *count). `scratch` (8-byte aligned) holds identity_ranges_scratch_bytes(in)
// bytes. Errors, with *count and out untouched: MM_ERR_INVALID_ARGUMENT (a NULL argument, a NULL map, mmio
// NULL with mmio_count > 0), MM_ERR_STORAGE_TOO_SMALL (scratch or capacity below what the functions above
// give). O(n log n) in the number of candidate ranges.
mm_status identity_ranges_build(const identity_inputs *in, void *scratch, uint64_t scratch_bytes,
                                arch_map_range *out, uint64_t capacity, uint64_t *count);

#endif  // BOOT_IDENTITY_RANGES_H
