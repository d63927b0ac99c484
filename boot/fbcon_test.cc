// fbcon_test.cc: the framebuffer text console on host buffers: PSF parsing (the embedded font and crafted
// broken ones), glyph placement in both byte orders, newline, wrap, scrolling, and that nothing is ever written
// outside the text area (guard words around the buffer and in the padding up to the pitch).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "boot/fbcon.h"
#include "boot/fbcon_font.h"
}

namespace {

constexpr uint32_t kGuard = 0xDEADBEEFu;

// ---- Crafted fonts ---------------------------------------------------------------------------------------------

// A PSF1 font, 8 wide and `height` tall, 256 glyphs, no Unicode table: glyph g's row y is (g + y) & 0xff, so
// every glyph is recognisable and the space (0x20) is not blank: the tests can see every cell drawn.
std::vector<uint8_t> Psf1(uint8_t height, uint8_t mode = 0) {
  std::vector<uint8_t> f = {0x36, 0x04, mode, height};
  uint32_t count = (mode & 1) ? 512 : 256;
  for (uint32_t g = 0; g < count; g++) {
    for (uint32_t y = 0; y < height; y++) f.push_back(static_cast<uint8_t>(g + y));
  }
  return f;
}

void Put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; i++) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}

// A PSF2 font `width` x `height` with `count` glyphs, all pixels of glyph g set in row g % height only.
std::vector<uint8_t> Psf2(uint32_t width, uint32_t height, uint32_t count, bool table) {
  uint32_t bpr = (width + 7) / 8;
  std::vector<uint8_t> f = {0x72, 0xb5, 0x4a, 0x86};
  Put32(f, 0);                // version
  Put32(f, 32);               // headersize
  Put32(f, table ? 1u : 0u);  // flags
  Put32(f, count);
  Put32(f, bpr * height);
  Put32(f, height);
  Put32(f, width);
  for (uint32_t g = 0; g < count; g++) {
    for (uint32_t y = 0; y < height; y++) {
      for (uint32_t b = 0; b < bpr; b++) f.push_back(y == g % height ? 0xFF : 0x00);
    }
  }
  return f;
}

// A parsed font and the bytes it points into.
struct OwnedFont {
  std::vector<uint8_t> bytes;
  fbcon_font font{};
  explicit OwnedFont(std::vector<uint8_t> b) : bytes(std::move(b)) {
    EXPECT_EQ(fbcon_font_parse(bytes.data(), bytes.size(), &font), FBCON_FONT_OK);
  }
};

// ---- Fonts -----------------------------------------------------------------------------------------------------

TEST(FbconFont, TheEmbeddedConsoleFontIsAPsf1EightBySixteenWithAsciiMapped) {
  fbcon_font f{};
  ASSERT_EQ(fbcon_font_parse(fbcon_font_psf, fbcon_font_psf_bytes, &f), FBCON_FONT_OK);
  EXPECT_EQ(f.width, 8u);
  EXPECT_EQ(f.height, 16u);
  EXPECT_EQ(f.glyph_count, 256u);
  auto glyph = [&](char c) { return f.glyphs + f.ascii[static_cast<int>(c)] * f.bytes_per_glyph; };
  // Lat15 does not keep ASCII at its own indices (glyph 0 is the copyright sign): the Unicode table maps it.
  int lit = 0;
  for (uint32_t y = 0; y < 16; y++) lit += __builtin_popcount(glyph(' ')[y]);
  EXPECT_EQ(lit, 0) << "the space glyph is blank";
  for (char c : std::string("AZaz09?#")) {
    lit = 0;
    for (uint32_t y = 0; y < 16; y++) lit += __builtin_popcount(glyph(c)[y]);
    EXPECT_GT(lit, 4) << "glyph for '" << c << "'";
  }
  EXPECT_NE(f.ascii['A'], f.ascii['B']);
  // 'I' and 'l' are 8-wide bitmaps whose middle column is lit on most rows.
  lit = 0;
  for (uint32_t y = 0; y < 16; y++) lit += (glyph('I')[y] & 0x18) != 0;
  EXPECT_GE(lit, 8);
}

TEST(FbconFont, Psf1WithoutATableDrawsAsciiAtItsOwnIndex) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& f = owned.font;
  EXPECT_EQ(f.ascii['A'], 'A');
  EXPECT_EQ(f.bytes_per_glyph, 16u);
  EXPECT_EQ(OwnedFont(Psf1(8, 1)).font.glyph_count, 512u) << "mode bit 0: 512 glyphs";
}

TEST(FbconFont, Psf1UnicodeTableMapsAsciiAndUnmappedCodesFallBackToQuestionMark) {
  std::vector<uint8_t> f = Psf1(4, 0x02);
  // Glyph 0 is 'A' and also 0x00C0; glyph 1 is '?', glyph 2 is a sequence "B + combining" only (not 'B');
  // every other glyph maps nothing.
  auto u16 = [&](uint16_t c) {
    f.push_back(static_cast<uint8_t>(c));
    f.push_back(static_cast<uint8_t>(c >> 8));
  };
  u16('A'), u16(0xC0), u16(0xFFFF);
  u16('?'), u16(0xFFFF);
  u16(0xFFFE), u16('B'), u16(0x301), u16(0xFFFF);
  for (int g = 3; g < 256; g++) u16(0xFFFF);
  OwnedFont owned(f);
  const fbcon_font& font = owned.font;
  EXPECT_EQ(font.ascii['A'], 0u);
  EXPECT_EQ(font.ascii['?'], 1u);
  EXPECT_EQ(font.ascii['B'], 1u) << "a code only inside a sequence is not mapped: '?' is drawn";
  EXPECT_EQ(font.ascii['z'], 1u);
}

TEST(FbconFont, Psf2WideGlyphsAndUtf8TableAreRead) {
  std::vector<uint8_t> f = Psf2(12, 10, 128, true);
  for (uint32_t g = 0; g < 128; g++) {
    if (g == 5) {
      f.push_back(0xC3), f.push_back(0xA9);  // U+00E9 in UTF-8: not ASCII
      f.push_back('x');
    } else if (g == 6) {
      f.push_back('?');
    }
    f.push_back(0xFF);
  }
  OwnedFont owned(f);
  const fbcon_font& font = owned.font;
  EXPECT_EQ(font.width, 12u);
  EXPECT_EQ(font.height, 10u);
  EXPECT_EQ(font.bytes_per_row, 2u);
  EXPECT_EQ(font.ascii['x'], 5u);
  EXPECT_EQ(font.ascii['?'], 6u);
  EXPECT_EQ(font.ascii['A'], 6u);
  EXPECT_EQ(OwnedFont(Psf2(12, 10, 128, false)).font.ascii['A'], 'A');
}

// Every broken header is refused with its reason and leaves the caller's font as it was.
TEST(FbconFont, BrokenFontsAreRefusedWithAReasonAndLeaveTheFontUntouched) {
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    fbcon_font_status want;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}, FBCON_FONT_TOO_SHORT});
  cases.push_back({"three bytes", {0x36, 0x04, 0x00}, FBCON_FONT_TOO_SHORT});
  cases.push_back({"gzip, not psf", {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0}, FBCON_FONT_BAD_MAGIC});
  std::vector<uint8_t> v = Psf1(16);
  v.resize(v.size() - 1);
  cases.push_back({"psf1 glyphs cut short", v, FBCON_FONT_BAD_GLYPH_COUNT});
  cases.push_back({"psf1 height 0", {0x36, 0x04, 0x00, 0x00}, FBCON_FONT_BAD_GLYPH_SIZE});
  v = Psf1(16, 0x02);
  cases.push_back({"psf1 table announced, absent", v, FBCON_FONT_BAD_UNICODE_TABLE});
  for (int g = 0; g < 255; g++) v.push_back(0xFF), v.push_back(0xFF);
  cases.push_back({"psf1 table one entry short", v, FBCON_FONT_BAD_UNICODE_TABLE});
  v = Psf2(8, 16, 256, false);
  cases.push_back({"psf2 header only", std::vector<uint8_t>(v.begin(), v.begin() + 20), FBCON_FONT_TOO_SHORT});
  v[4] = 1;
  cases.push_back({"psf2 version 1", v, FBCON_FONT_BAD_HEADER});
  v = Psf2(8, 16, 256, false);
  v[8] = 16;
  cases.push_back({"psf2 header size 16", v, FBCON_FONT_BAD_HEADER});
  v[8] = 0, v[9] = 0, v[10] = 0, v[11] = 0x10;
  cases.push_back({"psf2 header size past the data", v, FBCON_FONT_BAD_HEADER});
  v = Psf2(8, 16, 256, false);
  v[20] = 15;
  cases.push_back({"psf2 charsize != height * row bytes", v, FBCON_FONT_BAD_GLYPH_SIZE});
  v = Psf2(8, 16, 256, false);
  v[28] = 33;
  cases.push_back({"psf2 width 33", v, FBCON_FONT_BAD_GLYPH_SIZE});
  v[28] = 0;
  cases.push_back({"psf2 width 0", v, FBCON_FONT_BAD_GLYPH_SIZE});
  v = Psf2(8, 16, 256, false);
  v[16] = 0xFF, v[17] = 0xFF, v[18] = 0xFF, v[19] = 0xFF;
  cases.push_back({"psf2 glyph count 2^32-1", v, FBCON_FONT_BAD_GLYPH_COUNT});
  cases.push_back({"psf2 64 glyphs (no ASCII)", Psf2(8, 16, 64, false), FBCON_FONT_BAD_GLYPH_COUNT});
  cases.push_back({"psf2 table announced, absent", Psf2(8, 16, 128, true), FBCON_FONT_BAD_UNICODE_TABLE});
  for (const auto& c : cases) {
    fbcon_font f;
    std::memset(&f, 0x5A, sizeof(f));
    fbcon_font before = f;
    EXPECT_EQ(fbcon_font_parse(c.bytes.data(), c.bytes.size(), &f), c.want) << c.what;
    EXPECT_EQ(std::memcmp(&f, &before, sizeof(f)), 0) << c.what << ": the font was changed";
    EXPECT_NE(std::string(fbcon_font_status_name(c.want)), "ok");
  }
  fbcon_font f{};
  EXPECT_EQ(fbcon_font_parse(nullptr, 100, &f), FBCON_FONT_TOO_SHORT);
}

// ---- The console -----------------------------------------------------------------------------------------------

// A framebuffer in a host vector with kPad guard words before and after it; every pixel starts as kGuard.
struct Screen {
  static constexpr uint32_t kPad = 64;
  uint32_t width, height, pitch;
  std::vector<uint32_t> mem;
  fbcon_framebuffer fb{};

  Screen(uint32_t w, uint32_t h, uint32_t p, uint32_t red = 0xFF, uint32_t green = 0xFF00, uint32_t blue = 0xFF0000)
      : width(w), height(h), pitch(p), mem(2 * kPad + static_cast<size_t>(p) * h, kGuard) {
    fb.base = reinterpret_cast<uintptr_t>(&mem[kPad]);
    fb.size = static_cast<uint64_t>(p) * h * 4;
    fb.width = w;
    fb.height = h;
    fb.pixels_per_scan_line = p;
    fb.red_mask = red;
    fb.green_mask = green;
    fb.blue_mask = blue;
  }
  uint32_t At(uint32_t x, uint32_t y) const { return mem[kPad + static_cast<size_t>(y) * pitch + x]; }
  // True when the w x h cell at text position (col, row) shows glyph `g` of `font` in fg on bg.
  bool CellShows(const fbcon_font& font, uint32_t col, uint32_t row, uint32_t g, uint32_t fg, uint32_t bg) const {
    for (uint32_t y = 0; y < font.height; y++) {
      for (uint32_t x = 0; x < font.width; x++) {
        const uint8_t* bits = font.glyphs + g * font.bytes_per_glyph + y * font.bytes_per_row;
        bool on = (bits[x / 8] >> (7 - x % 8)) & 1;
        if (At(col * font.width + x, row * font.height + y) != (on ? fg : bg)) return false;
      }
    }
    return true;
  }
  bool GuardsIntact(uint32_t area_w, uint32_t area_h) const {
    for (uint32_t i = 0; i < kPad; i++) {
      if (mem[i] != kGuard || mem[mem.size() - 1 - i] != kGuard) return false;
    }
    for (uint32_t y = 0; y < height; y++) {
      for (uint32_t x = 0; x < pitch; x++) {
        if ((x >= area_w || y >= area_h) && At(x, y) != kGuard) return false;
      }
    }
    return true;
  }
};

void Write(fbcon* con, const std::string& s) { fbcon_write(con, s.data(), s.size()); }

TEST(Fbcon, InitClearsTheTextAreaAndReportsItsGeometry) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  Screen s(8 * 10 + 3, 16 * 4 + 5, 90);
  fbcon con{};
  ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
  EXPECT_EQ(con.cols, 10u);
  EXPECT_EQ(con.rows, 4u);
  EXPECT_STREQ(con.format, "rgb");
  for (uint32_t y = 0; y < 64; y++) {
    for (uint32_t x = 0; x < 80; x++) ASSERT_EQ(s.At(x, y), 0u) << x << "," << y;
  }
  EXPECT_TRUE(s.GuardsIntact(80, 64));
}

// PixelRedGreenBlueReserved8BitPerColor puts red in byte 0, PixelBlueGreenRedReserved8BitPerColor blue
// (UEFI 2.10 section 12.9): the same colour is two different pixel values.
TEST(Fbcon, AGlyphAppearsInItsCellInRgbAndInBgr) {
  OwnedFont real(std::vector<uint8_t>(fbcon_font_psf, fbcon_font_psf + fbcon_font_psf_bytes));
  const fbcon_font& font = real.font;
  for (bool bgr : {false, true}) {
    Screen s = bgr ? Screen(64, 48, 64, 0xFF0000, 0xFF00, 0xFF) : Screen(64, 48, 64);
    fbcon con{};
    ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
    EXPECT_STREQ(con.format, bgr ? "bgr" : "rgb");
    fbcon_set_colors(&con, 0x102030, 0x405060);
    uint32_t fg = bgr ? 0x102030u : 0x302010u, bg = bgr ? 0x405060u : 0x605040u;
    Write(&con, "xA");
    EXPECT_TRUE(s.CellShows(font, 1, 0, font.ascii['A'], fg, bg)) << (bgr ? "bgr" : "rgb");
    EXPECT_TRUE(s.CellShows(font, 0, 0, font.ascii['x'], fg, bg));
    EXPECT_FALSE(s.CellShows(font, 1, 0, font.ascii['B'], fg, bg));
    EXPECT_EQ(con.col, 2u);
  }
}

TEST(Fbcon, ByteAlignedBitMasksAreDrawnAndOtherMasksRefused) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  Screen s(16, 16, 16, 0xFF000000, 0xFF0000, 0xFF00);  // PixelBitMask with another byte order
  fbcon con{};
  ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
  EXPECT_STREQ(con.format, "bitmask");
  fbcon_set_colors(&con, 0x112233, 0);
  Write(&con, "A");
  EXPECT_TRUE(s.CellShows(font, 0, 0, 'A', 0x11223300u, 0));

  struct {
    uint32_t r, g, b;
  } bad[] = {{0x1F, 0x7E0, 0xF800},  // 5:6:5 packed into 32 bits
             {0x3FF, 0xFFC00, 0x3FF00000},  // 10-bit colour
             {0xFF, 0xFF, 0xFF0000},        // two colours in one byte
             {0xFF0, 0xFF000, 0xFF00000},   // 8 bits, not byte aligned
             {0, 0xFF00, 0xFF0000}};
  for (const auto& m : bad) {
    Screen b(16, 16, 16, m.r, m.g, m.b);
    fbcon c;
    std::memset(&c, 0x5A, sizeof(c));
    fbcon before = c;
    EXPECT_EQ(fbcon_init(&c, &b.fb, &font), FBCON_PIXEL_MASKS) << std::hex << m.r << " " << m.g << " " << m.b;
    EXPECT_EQ(std::memcmp(&c, &before, sizeof(c)), 0);
    EXPECT_TRUE(b.GuardsIntact(0, 0)) << "a refused framebuffer is not touched";
  }
}

TEST(Fbcon, BadGeometryIsRefusedWithAReasonAndNothingIsDrawn) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  struct Case {
    const char* what;
    fbcon_status want;
    void (*edit)(fbcon_framebuffer*);
  };
  Case cases[] = {
      {"no base", FBCON_NO_FRAMEBUFFER, [](fbcon_framebuffer* f) { f->base = 0; }},
      {"no size", FBCON_NO_FRAMEBUFFER, [](fbcon_framebuffer* f) { f->size = 0; }},
      {"width 0", FBCON_GEOMETRY, [](fbcon_framebuffer* f) { f->width = 0; }},
      {"height 0", FBCON_GEOMETRY, [](fbcon_framebuffer* f) { f->height = 0; }},
      {"width > pitch", FBCON_GEOMETRY, [](fbcon_framebuffer* f) { f->width = f->pixels_per_scan_line + 1; }},
      {"last pixel past size", FBCON_GEOMETRY,
       [](fbcon_framebuffer* f) { f->size = ((f->height - 1) * f->pixels_per_scan_line + f->width) * 4 - 4; }},
      {"unaligned base", FBCON_GEOMETRY, [](fbcon_framebuffer* f) { f->base += 2; }},
      {"narrower than a glyph", FBCON_SCREEN_TOO_SMALL, [](fbcon_framebuffer* f) { f->width = 7; }},
      {"lower than a glyph", FBCON_SCREEN_TOO_SMALL, [](fbcon_framebuffer* f) { f->height = 15; }},
  };
  for (const auto& c : cases) {
    Screen s(40, 40, 48);
    c.edit(&s.fb);
    fbcon con;
    std::memset(&con, 0x5A, sizeof(con));
    fbcon before = con;
    EXPECT_EQ(fbcon_init(&con, &s.fb, &font), c.want) << c.what;
    EXPECT_EQ(std::memcmp(&con, &before, sizeof(con)), 0) << c.what;
    EXPECT_TRUE(s.GuardsIntact(0, 0)) << c.what << ": a refused framebuffer was written";
    EXPECT_NE(std::string(fbcon_status_name(c.want)), "ok");
  }
  Screen s(40, 40, 48);
  fbcon con{};
  EXPECT_EQ(fbcon_init(&con, nullptr, &font), FBCON_NO_FRAMEBUFFER);
  EXPECT_EQ(fbcon_init(&con, &s.fb, nullptr), FBCON_SCREEN_TOO_SMALL);
}

TEST(Fbcon, NewlineCarriageReturnAndTabMoveTheCursor) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  Screen s(8 * 20, 16 * 4, 8 * 20);
  fbcon con{};
  ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
  fbcon_set_colors(&con, 0xFFFFFF, 0);
  Write(&con, "ab\ncd\rX\tY");
  uint32_t fg = 0xFFFFFF;
  EXPECT_TRUE(s.CellShows(font, 0, 0, 'a', fg, 0));
  EXPECT_TRUE(s.CellShows(font, 1, 0, 'b', fg, 0));
  EXPECT_TRUE(s.CellShows(font, 0, 1, 'X', fg, 0)) << "'\\r' returns to column 0 of the same row";
  EXPECT_TRUE(s.CellShows(font, 1, 1, ' ', fg, 0)) << "a tab fills with spaces ('d' overwritten)";
  EXPECT_TRUE(s.CellShows(font, 7, 1, ' ', fg, 0)) << "a tab fills with spaces";
  EXPECT_TRUE(s.CellShows(font, 8, 1, 'Y', fg, 0)) << "'\\t' goes to the next multiple of 8";
  Write(&con, "\x01\xC3");
  EXPECT_TRUE(s.CellShows(font, 9, 1, '?', fg, 0)) << "control bytes draw '?'";
  EXPECT_TRUE(s.CellShows(font, 10, 1, '?', fg, 0)) << "bytes above 0x7e draw '?'";
}

TEST(Fbcon, ALongLineWrapsAtTheLastColumn) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  Screen s(8 * 5 + 7, 16 * 3, 8 * 5 + 7);
  fbcon con{};
  ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
  ASSERT_EQ(con.cols, 5u);
  Write(&con, "ABCDEFG");
  EXPECT_TRUE(s.CellShows(font, 4, 0, 'E', con.fg, con.bg));
  EXPECT_TRUE(s.CellShows(font, 0, 1, 'F', con.fg, con.bg));
  EXPECT_TRUE(s.CellShows(font, 1, 1, 'G', con.fg, con.bg));
  EXPECT_TRUE(s.GuardsIntact(40, 48)) << "the 7 pixels right of the last column are not drawn";
}

TEST(Fbcon, PastTheLastRowTheScreenScrollsUpOneRow) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  Screen s(8 * 4, 16 * 3, 8 * 6);
  fbcon con{};
  ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
  Write(&con, "AAAA\nB\nCC\n");
  // Three full rows and a pending newline: nothing has scrolled yet, the bottom row is still used.
  EXPECT_TRUE(s.CellShows(font, 0, 0, 'A', con.fg, con.bg));
  EXPECT_TRUE(s.CellShows(font, 1, 2, 'C', con.fg, con.bg));
  Write(&con, "D");
  EXPECT_TRUE(s.CellShows(font, 0, 0, 'B', con.fg, con.bg)) << "row 1 moved to row 0";
  // The old row 1 had only 'B': the rest of it (old glyphs of row 0 are gone) is background after the move.
  for (uint32_t y = 0; y < 16; y++) {
    for (uint32_t x = 8; x < 32; x++) ASSERT_EQ(s.At(x, y), con.bg) << x << "," << y;
  }
  EXPECT_TRUE(s.CellShows(font, 1, 1, 'C', con.fg, con.bg)) << "row 2 moved to row 1";
  EXPECT_TRUE(s.CellShows(font, 0, 2, 'D', con.fg, con.bg)) << "the new text is on the cleared bottom row";
  for (uint32_t y = 32; y < 48; y++) {
    for (uint32_t x = 8; x < 32; x++) ASSERT_EQ(s.At(x, y), con.bg) << "bottom row cleared: " << x << "," << y;
  }
  EXPECT_EQ(con.row, 2u);
  EXPECT_TRUE(s.GuardsIntact(32, 48));
}

TEST(Fbcon, AJumpScrollMovesSeveralRowsAndLeavesTheCursorBelowTheKeptText) {
  OwnedFont owned(Psf1(16));
  const fbcon_font& font = owned.font;
  Screen s(8 * 3, 16 * 5, 8 * 3);
  fbcon con{};
  ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
  fbcon_set_scroll_rows(&con, 2);
  EXPECT_EQ(con.scroll_rows, 2u);
  Write(&con, "0\n1\n2\n3\n4\n5");
  EXPECT_TRUE(s.CellShows(font, 0, 0, '2', con.fg, con.bg));
  EXPECT_TRUE(s.CellShows(font, 0, 2, '4', con.fg, con.bg));
  EXPECT_TRUE(s.CellShows(font, 0, 3, '5', con.fg, con.bg)) << "the new line goes right below the kept text";
  for (uint32_t y = 64; y < 80; y++) {
    for (uint32_t x = 0; x < 24; x++) ASSERT_EQ(s.At(x, y), con.bg) << "the second freed row is blank";
  }
  fbcon_set_scroll_rows(&con, 0);
  EXPECT_EQ(con.scroll_rows, 1u);
  fbcon_set_scroll_rows(&con, 99);
  EXPECT_EQ(con.scroll_rows, 5u) << "a jump of every row clears the screen";
  Write(&con, "\n6\n7");
  EXPECT_TRUE(s.CellShows(font, 0, 0, '7', con.fg, con.bg));
  EXPECT_TRUE(s.GuardsIntact(24, 80));
}

// Whatever is written, pixels outside the text area (right of the last column, below the last row, the padding
// up to the pitch) and the words around the buffer keep their guard value.
TEST(Fbcon, NothingIsEverWrittenOutsideTheTextArea) {
  for (const auto& font_bytes : {Psf1(16), Psf1(8), Psf2(12, 10, 128, false)}) {
    OwnedFont owned(font_bytes);
    const fbcon_font& font = owned.font;
    Screen s(97, 61, 103);
    fbcon con{};
    ASSERT_EQ(fbcon_init(&con, &s.fb, &font), FBCON_OK);
    std::string text;
    for (int i = 0; i < 300; i++) {
      text += "line " + std::to_string(i) + std::string(static_cast<size_t>(i % 23), 'x') + (i % 5 ? "\n" : "\t");
      if (i % 7 == 0) text += "\r\x01\xff";
    }
    Write(&con, text);
    fbcon_set_scroll_rows(&con, 3);
    Write(&con, text);
    EXPECT_TRUE(s.GuardsIntact(con.cols * font.width, con.rows * font.height))
        << "font " << font.width << "x" << font.height;
    EXPECT_LT(con.row, con.rows + 1);
  }
}

}  // namespace
