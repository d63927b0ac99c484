// gop.h: what the kernel records from the Graphics Output Protocol's current mode (UEFI 2.10 section 12.9).
// Portable C over efi.h's structures, host-tested (boot/efi/gop_test.cc).
#ifndef BOOT_EFI_GOP_H
#define BOOT_EFI_GOP_H

#include "boot/efi/efi.h"

typedef struct efi_framebuffer {
  efi_physical_address base;
  uint64_t size;  // 0: no linear framebuffer (everything else is then 0 too)
  // The mode's geometry (EFI_GRAPHICS_OUTPUT_MODE_INFORMATION): visible pixels and the pitch in pixels.
  uint32_t width, height, pixels_per_scan_line;
  // Which bits of a 32-bit pixel hold each colour: PixelRedGreenBlueReserved8BitPerColor is red 0xff, green
  // 0xff00, blue 0xff0000; PixelBlueGreenRedReserved8BitPerColor swaps red and blue; PixelBitMask gives its
  // PixelInformation masks as they are (whether the console can draw them is fbcon_init's decision).
  uint32_t red_mask, green_mask, blue_mask;
} efi_framebuffer;

// The current mode's linear framebuffer, or all zeros when there is none: no mode (or no mode information), a
// PixelBltOnly mode (section 12.9: such a mode has no physical frame buffer, so FrameBufferBase and
// FrameBufferSize mean nothing), a pixel format outside the specification's, or a zero size.
efi_framebuffer efi_gop_framebuffer(const efi_gop_mode *mode);

#endif  // BOOT_EFI_GOP_H
