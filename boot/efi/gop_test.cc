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
  efi_gop_mode m = Mode(&info, 0x80000000u, 0x300000u);
  efi_framebuffer fb = efi_gop_framebuffer(&m);
  EXPECT_EQ(fb.base, 0x80000000u);
  EXPECT_EQ(fb.size, 0x300000u);
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
