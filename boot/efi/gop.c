// gop.c: the framebuffer the kernel records from the GOP's current mode (gop.h).
#include "boot/efi/gop.h"

efi_framebuffer efi_gop_framebuffer(const efi_gop_mode *mode) {
  efi_framebuffer none = {0, 0};
  if (!mode || !mode->info) return none;
  efi_graphics_pixel_format format = mode->info->pixel_format;
  if (format == EFI_PIXEL_BLT_ONLY || (uint32_t)format >= (uint32_t)EFI_PIXEL_FORMAT_MAX) return none;
  if (mode->frame_buffer_size == 0) return none;
  return (efi_framebuffer){mode->frame_buffer_base, mode->frame_buffer_size};
}
