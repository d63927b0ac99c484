// handoff.h: what the UEFI entry path hands to the kernel after ExitBootServices.
//
// An explicit structure rather than globals (Zircon phys style): everything the kernel may still use from the
// firmware era is here, in loader-owned memory. After kernel_main only runtime services are called
// (boot/efi/runtime.h: GetTime, ResetSystem), through the table recorded here.
#ifndef BOOT_HANDOFF_H
#define BOOT_HANDOFF_H

#include "mm/mm_types.h"

#define BOOT_CMDLINE_MAX 256

typedef struct boot_handoff {
  // The final memory map GetMemoryMap returned (firmware-allocated pool: read once, copied by the kernel).
  const void *memory_map;
  uint64_t memory_map_bytes;
  uint32_t descriptor_size;
  uint32_t descriptor_version;
  // LoaderData pages allocated before ExitBootServices to hold the kernel-owned copy of the map
  // (mm_firmware_map_storage_bytes of the map plus slack).
  phys_addr_t map_storage;
  uint64_t map_storage_bytes;
  // Room for the early reservation set (LoaderData pages).
  phys_addr_t reservation_storage;
  uint64_t reservation_storage_bytes;
  // The loaded kernel image (EFI_LOADED_IMAGE_PROTOCOL ImageBase/ImageSize).
  phys_addr_t image_base;
  uint64_t image_size;
  // GOP framebuffer, or size 0 when the firmware has no GOP.
  phys_addr_t framebuffer_base;
  uint64_t framebuffer_size;
  // Platform tables named by the configuration table (UEFI 2.10 section 4.6), physical addresses, 0 when absent:
  // the ACPI 2.0+ RSDP, the devicetree blob (devicetree_bytes = its header's totalsize, read while boot services
  // ran) and the SMBIOS 3 entry point. The kernel reads them after ExitBootServices through platform/discover.h; the
  // devicetree often lives in boot-services memory, so it is reserved (kind firmware, label "devicetree") before
  // reclaim could hand it out.
  phys_addr_t acpi_rsdp;
  phys_addr_t devicetree;
  uint64_t devicetree_bytes;
  phys_addr_t smbios3;
  // Its mode (UEFI 2.10 section 12.9, from efi_gop_framebuffer): visible pixels, the pitch in pixels, and the
  // bits of a 32-bit pixel holding each colour (RGB and BGR formats given as masks). All 0 without a framebuffer.
  uint32_t framebuffer_width, framebuffer_height, framebuffer_pixels_per_scan_line;
  uint32_t framebuffer_red_mask, framebuffer_green_mask, framebuffer_blue_mask;
  // The kernel-owned stack kernel_main runs on (LoaderData pages).
  phys_addr_t stack_base;
  uint64_t stack_size;
  // EFI runtime services (UEFI 2.10 4.5): the system table's RuntimeServices pointer, recorded before
  // ExitBootServices. The table lives in EfiRuntimeServicesData, which the kernel never frees; 0: none given.
  phys_addr_t runtime_services;
  // The kernel-owned copy of the EFI Memory Attributes table (UEFI 2.10 4.6.4), header and entries verbatim, in
  // LoaderData pages allocated before ExitBootServices (reserved as firmware "efi_mat"); the firmware's own
  // copy may lie in boot-services memory, which reclaim frees. memory_attributes_bytes: the table's bytes (0:
  // the firmware gave none, or one whose header was invalid); memory_attributes_storage_bytes: the pages.
  phys_addr_t memory_attributes;
  uint64_t memory_attributes_bytes;
  uint64_t memory_attributes_storage_bytes;
  // Kernel command line, NUL terminated ASCII (from LoadOptions or \EFI\BOOT\cmdline), and where it came from.
  char cmdline[BOOT_CMDLINE_MAX];
  const char *cmdline_source;
  // ExitBootServices attempts (1 when the first map key was still valid).
  uint32_t exit_attempts;
  uint64_t cycles_at_entry;
} boot_handoff;

// The kernel proper: runs on the kernel-owned stack after ExitBootServices and never returns (it ends the
// run through arch_exit).
_Noreturn void kernel_main(const boot_handoff *handoff);

#endif  // BOOT_HANDOFF_H
