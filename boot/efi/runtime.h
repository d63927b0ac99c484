// runtime.h: EFI runtime services after ExitBootServices (UEFI 2.10 section 8), called in physical mode.
//
// The kernel's identity map makes every virtual address equal its physical address, so the firmware's runtime
// code runs exactly as it did before ExitBootServices: SetVirtualAddressMap (8.4) is never called, and the
// services stay in the physical addressing mode they start in (8.4: "changes the runtime addressing mode of
// EFI firmware from physical to virtual"; until then calls are made in physical mode). What must hold for a
// call, and does after the memory bring-up: runtime code is mapped executable and runtime data writable
// (boot/identity_ranges.h), MMIO the services use (EFI_MEMORY_RUNTIME, e.g. the PL031 RTC on AArch64 virt) is
// mapped as device memory, reclaim never frees runtime regions (it takes back boot-services and loader memory
// only), interrupts are masked, and the calling convention is the UEFI one, which the UEFI targets compile for.
#ifndef BOOT_EFI_RUNTIME_H
#define BOOT_EFI_RUNTIME_H

#include "boot/handoff.h"
#include "mm/firmware_map.h"

// After paging and reclaim: checks the handed-over table (efi_runtime_check), calls GetTime (8.3) and logs one
// line, then registers ResetSystem(EfiResetShutdown) (8.5.1) as arch_exit's power-off. Log lines:
//   efi.runtime get_time=ok year=YYYY month=M day=D hour=H minute=M second=S
//   efi.runtime get_time=error status=0x...      (the call returned an error, or a date outside EFI_TIME's range)
//   efi.runtime result=unavailable reason=WORD   (warn: the table failed a check; nothing is called or registered)
// and, when arch_exit powers off through it, `efi.runtime reset=shutdown status=N` right before the call
// (`efi.runtime reset=returned`, warn, if the call came back).
// Returns true when the power-off was registered.
bool efi_runtime_start(const boot_handoff *handoff, const mm_firmware_map *map);

#endif  // BOOT_EFI_RUNTIME_H
