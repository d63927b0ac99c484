// fbcon_fuzz.cc: libFuzzer on arbitrary bytes as a PSF font: fbcon_font_parse must refuse or accept without
// reading past the bytes (AddressSanitizer), and a font it accepts must draw (text that wraps, scrolls and jumps)
// without writing outside the framebuffer's text area (guard words checked). Seeded with the real console font.
#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" {
#include "boot/fbcon.h"
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The bytes in a buffer of exactly their size, so any over-read is caught.
  std::vector<uint8_t> bytes(data, data + size);
  fbcon_font font;
  if (fbcon_font_parse(bytes.data(), bytes.size(), &font) != FBCON_FONT_OK) return 0;
  constexpr uint32_t kGuard = 0xDEADBEEFu, kW = 77, kH = 71, kPitch = 80, kPad = 16;
  std::vector<uint32_t> mem(2 * kPad + kPitch * kH, kGuard);
  fbcon_framebuffer fb{};
  fb.base = reinterpret_cast<uintptr_t>(&mem[kPad]);
  fb.size = static_cast<uint64_t>(kPitch) * kH * 4;
  fb.width = kW;
  fb.height = kH;
  fb.pixels_per_scan_line = kPitch;
  fb.red_mask = 0xFF;
  fb.green_mask = 0xFF00;
  fb.blue_mask = 0xFF0000;
  fbcon con;
  if (fbcon_init(&con, &fb, &font) != FBCON_OK) return 0;
  static const char kText[] = "boot.start arch=x86_64\n\tmm.plan free_slots=72 reserved_slots=40\r\x01\xff\nend\n";
  for (uint32_t step : {1u, 2u, 100u}) {
    fbcon_set_scroll_rows(&con, step);
    for (int i = 0; i < 4; i++) fbcon_write(&con, kText, sizeof(kText) - 1);
  }
  uint32_t area_w = con.cols * font.width, area_h = con.rows * font.height;
  for (uint32_t i = 0; i < mem.size(); i++) {
    bool inside = i >= kPad && i < kPad + kPitch * kH;
    uint32_t x = inside ? (i - kPad) % kPitch : 0, y = inside ? (i - kPad) / kPitch : 0;
    if ((!inside || x >= area_w || y >= area_h) && mem[i] != kGuard) std::abort();
  }
  return 0;
}
