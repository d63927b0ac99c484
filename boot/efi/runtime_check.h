// runtime_check.h: whether the EFI runtime services table handed over at ExitBootServices can be called, checked
// against the firmware map before the kernel jumps into it. Portable C, host-tested (runtime_check_test.cc).
#ifndef BOOT_EFI_RUNTIME_CHECK_H
#define BOOT_EFI_RUNTIME_CHECK_H

#include "mm/firmware_map.h"

// NULL when the table at physical address `table` (identity mapped) is usable, else one word naming the first
// problem, in this order:
//   "none"                          table is 0 (the firmware gave no runtime services);
//   "table_outside_runtime_memory"  the table's bytes do not lie in one mapped runtime-services region of the
//                                   normalized map (UEFI 2.10 4.5: it is EfiRuntimeServicesData); checked before
//                                   any byte is read;
//   "bad_signature"                 Hdr.Signature is not "RUNTSERV" (4.5);
//   "header_too_small"              Hdr.HeaderSize does not reach ResetSystem;
//   "get_time_outside_runtime_code", "reset_system_outside_runtime_code": the service's entry point is not in an
//                                   EfiRuntimeServicesCode descriptor of the verbatim map, so the kernel's tables
//                                   do not map it executable (boot/identity_ranges.h).
const char *efi_runtime_check(const mm_firmware_map *map, phys_addr_t table);

#endif  // BOOT_EFI_RUNTIME_CHECK_H
