// gop.h: what the kernel records from the Graphics Output Protocol's current mode (UEFI 2.10 section 12.9).
// Portable C over efi.h's structures, host-tested (boot/efi/gop_test.cc).
#ifndef BOOT_EFI_GOP_H
#define BOOT_EFI_GOP_H

#include "boot/efi/efi.h"

typedef struct efi_framebuffer {
  efi_physical_address base;
  uint64_t size;  // 0: no linear framebuffer (base is then 0 too)
} efi_framebuffer;

// The current mode's linear framebuffer, or {0, 0} when there is none: no mode (or no mode information), a
// PixelBltOnly mode (section 12.9: such a mode has no physical frame buffer, so FrameBufferBase and
// FrameBufferSize mean nothing), a pixel format outside the specification's, or a zero size.
efi_framebuffer efi_gop_framebuffer(const efi_gop_mode *mode);

#endif  // BOOT_EFI_GOP_H
