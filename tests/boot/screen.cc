// screen.cc: PPM screendumps and the console text on them (screen.h).
#include "tests/boot/screen.h"

#include <cctype>

namespace screen {

uint32_t Image::At(uint32_t x, uint32_t y) const {
  size_t i = (static_cast<size_t>(y) * width + x) * 3;
  return static_cast<uint32_t>(rgb[i]) << 16 | static_cast<uint32_t>(rgb[i + 1]) << 8 | rgb[i + 2];
}

std::optional<Image> ParsePpm(const std::string& bytes) {
  size_t at = 0;
  // The header: magic, width, height, maxval, each separated by whitespace (comments run to the line's end),
  // then exactly one whitespace byte before the pixels.
  auto skip_space = [&] {
    while (at < bytes.size()) {
      if (bytes[at] == '#') {
        while (at < bytes.size() && bytes[at] != '\n') at++;
      } else if (std::isspace(static_cast<unsigned char>(bytes[at]))) {
        at++;
      } else {
        break;
      }
    }
  };
  auto number = [&]() -> std::optional<uint64_t> {
    skip_space();
    uint64_t v = 0;
    size_t start = at;
    while (at < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[at])) && at - start < 9) {
      v = v * 10 + static_cast<uint64_t>(bytes[at++] - '0');
    }
    if (at == start) return std::nullopt;
    return v;
  };
  if (bytes.compare(0, 2, "P6") != 0) return std::nullopt;
  at = 2;
  auto w = number(), h = number(), maxval = number();
  if (!w || !h || !maxval || *w == 0 || *h == 0 || *maxval != 255) return std::nullopt;
  if (at >= bytes.size() || !std::isspace(static_cast<unsigned char>(bytes[at]))) return std::nullopt;
  at++;
  uint64_t need = *w * *h * 3;
  if (bytes.size() - at < need) return std::nullopt;
  Image img;
  img.width = static_cast<uint32_t>(*w);
  img.height = static_cast<uint32_t>(*h);
  img.rgb.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                 bytes.begin() + static_cast<std::ptrdiff_t>(at + need));
  return img;
}

std::vector<std::string> ReadText(const Image& image, const fbcon_font& font, uint32_t cols, uint32_t rows,
                                  uint32_t bg) {
  std::vector<std::string> lines;
  if (static_cast<uint64_t>(cols) * font.width > image.width ||
      static_cast<uint64_t>(rows) * font.height > image.height) {
    return lines;
  }
  // Each glyph and each cell as one 32-bit word per pixel row (font.width <= 32), leftmost pixel in bit 31.
  auto glyph_rows = [&](uint32_t glyph) {
    std::vector<uint32_t> out(font.height, 0);
    for (uint32_t y = 0; y < font.height; y++) {
      const uint8_t* bits = font.glyphs + static_cast<size_t>(glyph) * font.bytes_per_glyph + y * font.bytes_per_row;
      for (uint32_t b = 0; b < font.bytes_per_row; b++) out[y] |= static_cast<uint32_t>(bits[b]) << (24 - 8 * b);
    }
    return out;
  };
  std::vector<std::vector<uint32_t>> glyphs;
  for (int ch = 0x20; ch < 0x7f; ch++) glyphs.push_back(glyph_rows(font.ascii[ch]));
  for (uint32_t r = 0; r < rows; r++) {
    std::string line;
    for (uint32_t c = 0; c < cols; c++) {
      std::vector<uint32_t> cell(font.height, 0);
      for (uint32_t y = 0; y < font.height; y++) {
        for (uint32_t x = 0; x < font.width; x++) {
          if (image.At(c * font.width + x, r * font.height + y) != bg) cell[y] |= 0x80000000u >> x;
        }
      }
      char found = '\x7f';
      for (size_t i = 0; i < glyphs.size(); i++) {
        if (glyphs[i] == cell) {
          found = static_cast<char>(0x20 + i);
          break;
        }
      }
      line += found;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<bool> InkRows(const Image& image, uint32_t width, uint32_t bg) {
  std::vector<bool> ink(image.height, false);
  for (uint32_t y = 0; y < image.height; y++) {
    for (uint32_t x = 0; x < width && x < image.width && !ink[y]; x++) ink[y] = image.At(x, y) != bg;
  }
  return ink;
}

}  // namespace screen
