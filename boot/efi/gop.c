// gop.c: the framebuffer the kernel records from the GOP's current mode (gop.h).
#include "boot/efi/gop.h"

efi_framebuffer efi_gop_framebuffer(const efi_gop_mode *mode) {
  efi_framebuffer none = {0};
  if (!mode || !mode->info) return none;
  efi_graphics_pixel_format format = mode->info->pixel_format;
  if (format == EFI_PIXEL_BLT_ONLY || (uint32_t)format >= (uint32_t)EFI_PIXEL_FORMAT_MAX) return none;
  if (mode->frame_buffer_size == 0) return none;
  const efi_gop_mode_info *info = mode->info;
  efi_framebuffer fb = {0};
  fb.base = mode->frame_buffer_base;
  fb.size = mode->frame_buffer_size;
  fb.width = info->horizontal_resolution;
  fb.height = info->vertical_resolution;
  fb.pixels_per_scan_line = info->pixels_per_scan_line;
  if (format == EFI_PIXEL_RGB_RESERVED_8BIT_PER_COLOR) {
    fb.red_mask = 0xFFu, fb.green_mask = 0xFF00u, fb.blue_mask = 0xFF0000u;  // byte 0 red (section 12.9)
  } else if (format == EFI_PIXEL_BGR_RESERVED_8BIT_PER_COLOR) {
    fb.red_mask = 0xFF0000u, fb.green_mask = 0xFF00u, fb.blue_mask = 0xFFu;  // byte 0 blue
  } else {
    fb.red_mask = info->pixel_masks[0], fb.green_mask = info->pixel_masks[1], fb.blue_mask = info->pixel_masks[2];
  }
  return fb;
}
