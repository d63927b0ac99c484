// kernel.h: the kernel's own entry points after the UEFI hand-off (boot/kernel_main.c, boot/memory_bringup.c).
#ifndef BOOT_KERNEL_H
#define BOOT_KERNEL_H

#include "arch/arch.h"
#include "boot/handoff.h"
#include "platform/discover.h"

typedef struct kernel_options {
  bool debug;                // `debug`: print debug-level structured lines
  bool corrupt_reservation;  // `selftest.corrupt_reservation`: test builds only, see memory_bringup.c
  bool fault_null;           // `selftest.fault_null`: test builds only, reads page 0 after paging is on
  bool exit_qemu;            // `exit=qemu`: end the run through QEMU's exit device (arch_exit_set_mode)
  bool fault_secondary;      // `selftest.fault_secondary`: test builds only, CPU 1 reads page 0 after smp.online
  bool ap_absent;            // `selftest.ap_absent`: test builds only, CPU 1 is started at a hardware id no CPU has
  bool raise_paging_levels;  // `selftest.paging_levels`: test builds only, 5-level paging before the bring-up
  bool hold_screen;          // `selftest.hold_screen`: test builds only, wait after boot.done for a screenshot
  bool acpi_dump;            // `acpi.dump`: hex-dump the ACPI tables into the log (platform_dump_acpi)
  uint32_t unknown_words;
} kernel_options;

// Parses the space-separated kernel command line. Unknown words are counted, not fatal.
kernel_options kernel_parse_cmdline(const char *cmdline);

// The kernel's view of physical memory: it runs identity mapped (UEFI's tables, then its own), so a physical
// address is a pointer. Used by the bring-up and the platform readers.
extern const mm_phys_window kernel_window;

// The device MMIO the kernel uses after paging is on (arch_identity_mmio's, then the serial console's register
// page from its description): reserved and identity mapped as device memory, never executable. Writes up to
// `max` ranges and returns how many there are.
uint64_t kernel_device_ranges(arch_map_range *out, uint64_t max);

// Runs the memory bring-up pipeline on the handed-over state and the platform description found in it; returns
// the boot status (0 = success). Stages that cannot continue panic with a line naming the stage instead of
// returning.
uint32_t memory_bringup(const boot_handoff *handoff, const platform_info *platform, const kernel_options *opt);

#endif  // BOOT_KERNEL_H
