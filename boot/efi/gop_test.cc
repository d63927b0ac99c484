// gop_test.cc: which GOP modes give the kernel a framebuffer to record (UEFI 2.10 section 12.9).
#include <gtest/gtest.h>

extern "C" {
#include "boot/efi/gop.h"
}

namespace {

efi_gop_mode Mode(efi_gop_mode_info* info, uint64_t base, uint64_t size) {
  efi_gop_mode m{};
  m.max_mode = 1;
  m.info = info;
  m.size_of_info = sizeof(*info);
  m.frame_buffer_base = base;
  m.frame_buffer_size = size;
  return m;
}

TEST(EfiGop, LinearModeRecordsItsFramebuffer) {
  efi_gop_mode_info info{};
  info.pixel_format = EFI_PIXEL_BGR_RESERVED_8BIT_PER_COLOR;
  info.horizontal_resolution = 1024;
  info.vertical_resolution = 768;
  info.pixels_per_scan_line = 1088;
  efi_gop_mode m = Mode(&info, 0x80000000u, 0x300000u);
  efi_framebuffer fb = efi_gop_framebuffer(&m);
  EXPECT_EQ(fb.base, 0x80000000u);
  EXPECT_EQ(fb.size, 0x300000u);
  EXPECT_EQ(fb.width, 1024u);
  EXPECT_EQ(fb.height, 768u);
  EXPECT_EQ(fb.pixels_per_scan_line, 1088u);
}

// Section 12.9, EFI_GRAPHICS_PIXEL_FORMAT: the two 8-bit formats as masks; a bit-mask mode's own masks as given.
TEST(EfiGop, PixelFormatsBecomeColourMasks) {
  efi_gop_mode_info info{};
  info.pixel_format = EFI_PIXEL_RGB_RESERVED_8BIT_PER_COLOR;
  efi_gop_mode m = Mode(&info, 0x80000000u, 0x300000u);
  efi_framebuffer fb = efi_gop_framebuffer(&m);
  EXPECT_EQ(fb.red_mask, 0xFFu);
  EXPECT_EQ(fb.green_mask, 0xFF00u);
  EXPECT_EQ(fb.blue_mask, 0xFF0000u);
  info.pixel_format = EFI_PIXEL_BGR_RESERVED_8BIT_PER_COLOR;
  fb = efi_gop_framebuffer(&m);
  EXPECT_EQ(fb.red_mask, 0xFF0000u);
  EXPECT_EQ(fb.blue_mask, 0xFFu);
  info.pixel_format = EFI_PIXEL_BIT_MASK;
  info.pixel_masks[0] = 0xF800;
  info.pixel_masks[1] = 0x07E0;
  info.pixel_masks[2] = 0x001F;
  fb = efi_gop_framebuffer(&m);
  EXPECT_EQ(fb.size, 0x300000u) << "recorded (and reserved) even when the console cannot draw it";
  EXPECT_EQ(fb.red_mask, 0xF800u);
  EXPECT_EQ(fb.green_mask, 0x07E0u);
  EXPECT_EQ(fb.blue_mask, 0x001Fu);
}

// Issue 9 item 9: a blit-only mode has no framebuffer, whatever its FrameBufferBase/Size fields hold.
TEST(EfiGop, BlitOnlyModeRecordsNoFramebuffer) {
  efi_gop_mode_info info{};
  info.pixel_format = EFI_PIXEL_BLT_ONLY;
  efi_gop_mode m = Mode(&info, 0x80000000u, 0x300000u);
  efi_framebuffer fb = efi_gop_framebuffer(&m);
  EXPECT_EQ(fb.size, 0u);
  EXPECT_EQ(fb.base, 0u);
}

TEST(EfiGop, MissingModeInfoOrUnknownFormatRecordsNoFramebuffer) {
  efi_gop_mode m = Mode(nullptr, 0x80000000u, 0x300000u);
  EXPECT_EQ(efi_gop_framebuffer(&m).size, 0u);
  EXPECT_EQ(efi_gop_framebuffer(nullptr).size, 0u);
  efi_gop_mode_info info{};
  info.pixel_format = static_cast<efi_graphics_pixel_format>(7);
  m = Mode(&info, 0x80000000u, 0x300000u);
  EXPECT_EQ(efi_gop_framebuffer(&m).size, 0u);
}

}  // namespace
