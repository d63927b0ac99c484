// screen_test.cc: the screendump reader on pictures the console itself drew into host buffers, in both byte
// orders, so the boot tests' reading of QEMU's screenshots rests on tested ground.
#include "tests/boot/screen.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "boot/fbcon_font.h"
}

namespace {

fbcon_font Font() {
  fbcon_font f{};
  EXPECT_EQ(fbcon_font_parse(fbcon_font_psf, fbcon_font_psf_bytes, &f), FBCON_FONT_OK);
  return f;
}

// Draws `text` with the console on a w x h framebuffer (BGR or RGB) and returns it as a PPM, the way QEMU's
// screendump converts a 32-bit surface: R, G, B bytes per pixel.
std::string DrawPpm(const std::string& text, uint32_t w, uint32_t h, bool bgr, const fbcon_font& font) {
  std::vector<uint32_t> mem(static_cast<size_t>(w) * h, 0);
  fbcon_framebuffer fb{};
  fb.base = reinterpret_cast<uintptr_t>(mem.data());
  fb.size = mem.size() * 4;
  fb.width = w;
  fb.height = h;
  fb.pixels_per_scan_line = w;
  fb.red_mask = bgr ? 0xFF0000 : 0xFF;
  fb.green_mask = 0xFF00;
  fb.blue_mask = bgr ? 0xFF : 0xFF0000;
  fbcon con{};
  EXPECT_EQ(fbcon_init(&con, &fb, &font), FBCON_OK);
  fbcon_write(&con, text.data(), text.size());
  std::string ppm = "P6\n# drawn by fbcon\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
  for (uint32_t p : mem) {
    uint8_t r = bgr ? p >> 16 : p, g = p >> 8, b = bgr ? p : p >> 16;
    ppm += static_cast<char>(r);
    ppm += static_cast<char>(g);
    ppm += static_cast<char>(b);
  }
  return ppm;
}

TEST(Screen, TextDrawnByTheConsoleReadsBackInBothByteOrders) {
  fbcon_font font = Font();
  std::string printable;
  for (int c = 0x21; c < 0x7f; c++) printable += static_cast<char>(c);
  for (bool bgr : {false, true}) {
    auto img = screen::ParsePpm(DrawPpm("boot.done status=0\n" + printable + "\n\nx", 800, 96, bgr, font));
    ASSERT_TRUE(img.has_value());
    EXPECT_EQ(img->width, 800u);
    EXPECT_EQ(img->At(0, 95), 0u) << "background is black";
    auto lines = screen::ReadText(*img, font, 100, 6, 0);
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(lines[0], "boot.done status=0");
    EXPECT_EQ(lines[1], printable) << "every printable glyph is told apart from the others";
    EXPECT_EQ(lines[2], "");
    EXPECT_EQ(lines[3], "x");
  }
}

TEST(Screen, InkRowsFollowTheGlyphHeight) {
  fbcon_font font = Font();
  auto img = screen::ParsePpm(DrawPpm("Hg\nHg\n\nHg", 64, 64, false, font));
  ASSERT_TRUE(img.has_value());
  auto ink = screen::InkRows(*img, 64, 0);
  // Text rows 0, 1 and 3 have ink, row 2 none; each inked row has blank pixel rows (the glyphs' top margin).
  auto any = [&](uint32_t from, uint32_t to) {
    for (uint32_t y = from; y < to; y++) {
      if (ink[y]) return true;
    }
    return false;
  };
  EXPECT_TRUE(any(0, 16));
  EXPECT_TRUE(any(16, 32));
  EXPECT_FALSE(any(32, 48));
  EXPECT_TRUE(any(48, 64));
  EXPECT_FALSE(ink[0]) << "a glyph row 0 is blank in this font";
}

TEST(Screen, MalformedPpmIsRefused) {
  EXPECT_FALSE(screen::ParsePpm("").has_value());
  EXPECT_FALSE(screen::ParsePpm("P3\n1 1\n255\n000").has_value()) << "ASCII PPM";
  EXPECT_FALSE(screen::ParsePpm("P6\n2 2\n255\n" + std::string(11, '\0')).has_value()) << "pixels cut short";
  EXPECT_FALSE(screen::ParsePpm("P6\n2 2\n65535\n" + std::string(24, '\0')).has_value()) << "16-bit samples";
  EXPECT_FALSE(screen::ParsePpm("P6\n0 2\n255\n").has_value());
  EXPECT_TRUE(screen::ParsePpm("P6 # c\n2 2\n255\n" + std::string(12, '\0')).has_value());
}

}  // namespace
