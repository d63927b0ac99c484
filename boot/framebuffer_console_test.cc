// framebuffer_console_test.cc: the kernel's framebuffer console on host buffers: the console.framebuffer line
// for a usable framebuffer and for each reason there is none, and that log text reaches the pixels only then.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "boot/framebuffer_console.h"
#include "mm/log.h"
}

namespace {

std::string g_lines;
void Capture(void*, const char* text, uint64_t len) { g_lines.append(text, len); }

struct Fixture : ::testing::Test {
  std::vector<uint32_t> pixels = std::vector<uint32_t>(100 * 40, 0x12345678u);
  boot_handoff h{};
  void SetUp() override {
    g_lines.clear();
    log_set_sink(Capture, nullptr);
    log_set_level(LOG_INFO);
    h.framebuffer_base = reinterpret_cast<uintptr_t>(pixels.data());
    h.framebuffer_size = pixels.size() * 4;
    h.framebuffer_width = 90;
    h.framebuffer_height = 40;
    h.framebuffer_pixels_per_scan_line = 100;
    h.framebuffer_red_mask = 0xFF0000;  // PixelBlueGreenRedReserved8BitPerColor
    h.framebuffer_green_mask = 0xFF00;
    h.framebuffer_blue_mask = 0xFF;
  }
  void TearDown() override { log_set_sink(nullptr, nullptr); }
  bool Untouched() const {
    for (uint32_t p : pixels) {
      if (p != 0x12345678u) return false;
    }
    return true;
  }
};

TEST_F(Fixture, AUsableFramebufferIsReportedWithItsGeometryAndDrawsTheLog) {
  framebuffer_console_start(&h);
  framebuffer_console_report();
  char base[32];
  std::snprintf(base, sizeof(base), "0x%llx", static_cast<unsigned long long>(h.framebuffer_base));
  EXPECT_EQ(g_lines, std::string("console.framebuffer width=90 height=40 format=bgr pitch=100 cols=11 rows=2 base=") +
                         base + " font_width=8 font_height=16\n");
  // The report went through the log sink, not to the screen (the kernel's sink draws); draw some text now.
  uint32_t lit_before = 0, lit_after = 0;
  for (uint32_t p : pixels) lit_before += p == 0xAAAAAAu;
  framebuffer_console_write("boot.done\n", 10);
  for (uint32_t p : pixels) lit_after += p == 0xAAAAAAu;
  EXPECT_EQ(lit_before, 0u);
  EXPECT_GT(lit_after, 20u) << "light grey glyph pixels";
}

TEST_F(Fixture, NoFramebufferSaysSoAndDrawsNothing) {
  h.framebuffer_base = 0;
  h.framebuffer_size = 0;  // no GOP, or a PixelBltOnly mode (efi_gop_framebuffer)
  framebuffer_console_start(&h);
  framebuffer_console_report();
  EXPECT_EQ(g_lines, "console.framebuffer status=none reason=no_framebuffer\n");
  framebuffer_console_write("x\n", 2);
  EXPECT_TRUE(Untouched());
}

// Issue 10 item 5: a PixelBitMask mode whose masks are not whole bytes gets no console and one line saying why.
TEST_F(Fixture, BitMasksThatAreNotWholeBytesAreRefusedWithOneLine) {
  h.framebuffer_red_mask = 0xF800;
  h.framebuffer_green_mask = 0x07E0;
  h.framebuffer_blue_mask = 0x001F;
  framebuffer_console_start(&h);
  framebuffer_console_report();
  EXPECT_EQ(g_lines, "console.framebuffer status=none reason=pixel_masks\n");
  framebuffer_console_write("x\n", 2);
  EXPECT_TRUE(Untouched()) << "a refused framebuffer is never written";
}

TEST_F(Fixture, AModeLargerThanItsFramebufferIsRefused) {
  h.framebuffer_size = 100 * 39 * 4;  // the last row is missing
  framebuffer_console_start(&h);
  framebuffer_console_report();
  EXPECT_EQ(g_lines, "console.framebuffer status=none reason=geometry\n");
  EXPECT_TRUE(Untouched());
}

}  // namespace
