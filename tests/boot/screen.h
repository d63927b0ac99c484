// screen.h: reads a QEMU screendump (binary PPM) and the text the kernel's framebuffer console drew on it.
//
// The console (boot/fbcon.h) draws each character as its font glyph in a fixed grid from the top-left pixel,
// ink in one colour on one background, so the text can be read back exactly: a cell is the printable ASCII
// character whose glyph has ink on precisely the cell's non-background pixels.
#ifndef TESTS_BOOT_SCREEN_H
#define TESTS_BOOT_SCREEN_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "boot/fbcon.h"
}

namespace screen {

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3 bytes, rows top down
  // Pixel (x, y) as 0xRRGGBB.
  uint32_t At(uint32_t x, uint32_t y) const;
};

// A binary PPM (P6, maxval 255, '#' comments allowed in the header), as QEMU's `screendump` writes it;
// nullopt when the header is malformed or the pixels are cut short.
std::optional<Image> ParsePpm(const std::string& bytes);

// The text in the console's grid of `font` cells (cols x rows, from the top left): one string per text row,
// trailing blanks removed; a cell whose ink matches no printable ASCII glyph reads as '\x7f'. Background is
// `bg` (0xRRGGBB), every other colour is ink.
std::vector<std::string> ReadText(const Image& image, const fbcon_font& font, uint32_t cols, uint32_t rows,
                                  uint32_t bg);

// Pixel rows of the image that hold ink (any pixel other than `bg`) among the first `width` columns.
std::vector<bool> InkRows(const Image& image, uint32_t width, uint32_t bg);

}  // namespace screen

#endif  // TESTS_BOOT_SCREEN_H
