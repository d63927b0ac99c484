// fbcon.c: PSF fonts and the framebuffer text console (fbcon.h).
#include "boot/fbcon.h"

// ---- PSF fonts -------------------------------------------------------------------------------------------------
// The two layouts of Linux's console fonts (as documented with the kbd project's psffontop.h):
//   PSF1: 2 magic bytes 36 04, mode (bit 0: 512 glyphs instead of 256; bit 1 or 2: a Unicode table follows the
//         glyphs), charsize (= height; width is 8). Table: per glyph, UCS-2 little-endian codes, 0xFFFE starts
//         a sequence of combining codes, 0xFFFF ends the glyph's entry.
//   PSF2: 32-byte little-endian header: magic 72 b5 4a 86, version (0), headersize, flags (bit 0: Unicode table),
//         length (glyph count), charsize, height, width. Table: per glyph, UTF-8 codes, 0xFE starts a sequence,
//         0xFF ends the entry.

#define PSF1_MODE512 0x01u
#define PSF1_MODEHASTAB 0x02u
#define PSF1_MODEHASSEQ 0x04u
#define PSF2_HAS_UNICODE_TABLE 0x01u

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Records that glyph `glyph` draws code point `code` when it is ASCII and not mapped yet (first mapping wins).
static void map_ascii(fbcon_font *f, uint32_t code, uint32_t glyph, bool *mapped) {
  if (code < 128 && !mapped[code]) {
    f->ascii[code] = (uint16_t)glyph;
    mapped[code] = true;
  }
}

// PSF1 table: returns false when it ends before glyph_count entries.
static bool psf1_table(fbcon_font *f, const uint8_t *p, uint64_t bytes, bool *mapped) {
  uint64_t at = 0;
  for (uint32_t glyph = 0; glyph < f->glyph_count; glyph++) {
    bool in_sequence = false;
    for (;;) {
      if (at + 2 > bytes) return false;
      uint32_t code = (uint32_t)p[at] | (uint32_t)p[at + 1] << 8;
      at += 2;
      if (code == 0xFFFF) break;
      if (code == 0xFFFE) in_sequence = true;
      if (!in_sequence) map_ascii(f, code, glyph, mapped);
    }
  }
  return true;
}

// PSF2 table: UTF-8; only single-byte (ASCII) codes matter here, longer ones are stepped over byte by byte
// (their continuation bytes are >= 0x80 and never ASCII). Returns false when it ends before glyph_count entries.
static bool psf2_table(fbcon_font *f, const uint8_t *p, uint64_t bytes, bool *mapped) {
  uint64_t at = 0;
  for (uint32_t glyph = 0; glyph < f->glyph_count; glyph++) {
    bool in_sequence = false;
    for (;;) {
      if (at >= bytes) return false;
      uint8_t b = p[at++];
      if (b == 0xFF) break;
      if (b == 0xFE) in_sequence = true;
      if (!in_sequence) map_ascii(f, b, glyph, mapped);
    }
  }
  return true;
}

fbcon_font_status fbcon_font_parse(const uint8_t *psf, uint64_t bytes, fbcon_font *font) {
  fbcon_font f = {0};
  uint64_t header = 0;
  bool has_table = false, psf2 = false;
  if (!psf || bytes < 4) return FBCON_FONT_TOO_SHORT;
  if (psf[0] == 0x36 && psf[1] == 0x04) {
    header = 4;
    f.glyph_count = (psf[2] & PSF1_MODE512) ? 512u : 256u;
    f.width = 8;
    f.height = psf[3];
    f.bytes_per_row = 1;
    f.bytes_per_glyph = psf[3];
    has_table = (psf[2] & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ)) != 0;
  } else if (psf[0] == 0x72 && psf[1] == 0xb5 && psf[2] == 0x4a && psf[3] == 0x86) {
    if (bytes < 32) return FBCON_FONT_TOO_SHORT;
    psf2 = true;
    header = le32(psf + 8);
    if (le32(psf + 4) != 0 || header < 32 || header > bytes) return FBCON_FONT_BAD_HEADER;
    has_table = (le32(psf + 12) & PSF2_HAS_UNICODE_TABLE) != 0;
    f.glyph_count = le32(psf + 16);
    f.bytes_per_glyph = le32(psf + 20);
    f.height = le32(psf + 24);
    f.width = le32(psf + 28);
    if (f.width == 0 || f.width > FBCON_FONT_MAX_WIDTH) return FBCON_FONT_BAD_GLYPH_SIZE;
    f.bytes_per_row = (f.width + 7) / 8;
  } else {
    return FBCON_FONT_BAD_MAGIC;
  }
  if (f.height == 0 || f.height > FBCON_FONT_MAX_HEIGHT || f.bytes_per_glyph != f.height * f.bytes_per_row) {
    return FBCON_FONT_BAD_GLYPH_SIZE;
  }
  // glyph_count < 2^32 and bytes_per_glyph <= 4 * 64: the product cannot overflow 64 bits.
  uint64_t glyph_bytes = (uint64_t)f.glyph_count * f.bytes_per_glyph;
  if (f.glyph_count < 128 || glyph_bytes > bytes - header) return FBCON_FONT_BAD_GLYPH_COUNT;
  f.glyphs = psf + header;

  bool mapped[128] = {false};
  if (has_table) {
    const uint8_t *table = psf + header + glyph_bytes;
    uint64_t table_bytes = bytes - header - glyph_bytes;
    bool complete = psf2 ? psf2_table(&f, table, table_bytes, mapped) : psf1_table(&f, table, table_bytes, mapped);
    if (!complete) return FBCON_FONT_BAD_UNICODE_TABLE;
    uint16_t fallback = mapped['?'] ? f.ascii['?'] : 0;
    for (uint32_t c = 0; c < 128; c++) {
      if (!mapped[c]) f.ascii[c] = fallback;
    }
  } else {
    for (uint32_t c = 0; c < 128; c++) f.ascii[c] = (uint16_t)c;  // glyph_count >= 128
  }
  *font = f;
  return FBCON_FONT_OK;
}

const char *fbcon_font_status_name(fbcon_font_status status) {
  switch (status) {
    case FBCON_FONT_OK:
      return "ok";
    case FBCON_FONT_TOO_SHORT:
      return "font_too_short";
    case FBCON_FONT_BAD_MAGIC:
      return "font_bad_magic";
    case FBCON_FONT_BAD_HEADER:
      return "font_bad_header";
    case FBCON_FONT_BAD_GLYPH_SIZE:
      return "font_bad_glyph_size";
    case FBCON_FONT_BAD_GLYPH_COUNT:
      return "font_bad_glyph_count";
    case FBCON_FONT_BAD_UNICODE_TABLE:
      return "font_bad_unicode_table";
  }
  return "font_unknown";
}

// ---- The console -----------------------------------------------------------------------------------------------

const char *fbcon_status_name(fbcon_status status) {
  switch (status) {
    case FBCON_OK:
      return "ok";
    case FBCON_NO_FRAMEBUFFER:
      return "no_framebuffer";
    case FBCON_PIXEL_MASKS:
      return "pixel_masks";
    case FBCON_GEOMETRY:
      return "geometry";
    case FBCON_SCREEN_TOO_SMALL:
      return "screen_too_small";
  }
  return "unknown";
}

// The bit position of an 8-bit colour mask that fills one whole byte (0xff, 0xff00, 0xff0000 or 0xff000000),
// or -1 for anything else.
static int byte_mask_shift(uint32_t mask) {
  for (int shift = 0; shift < 32; shift += 8) {
    if (mask == 0xFFu << shift) return shift;
  }
  return -1;
}

// A colour 0xRRGGBB as a pixel value in the console's format.
static uint32_t pixel(const fbcon *con, uint32_t rgb) {
  return ((rgb >> 16) & 0xFF) << con->red_shift | ((rgb >> 8) & 0xFF) << con->green_shift |
         (rgb & 0xFF) << con->blue_shift;
}

void fbcon_set_colors(fbcon *con, uint32_t fg_rgb, uint32_t bg_rgb) {
  con->fg = pixel(con, fg_rgb);
  con->bg = pixel(con, bg_rgb);
}

fbcon_status fbcon_init(fbcon *con, const fbcon_framebuffer *fb, const fbcon_font *font) {
  if (!fb || fb->base == 0 || fb->size == 0) return FBCON_NO_FRAMEBUFFER;
  int red = byte_mask_shift(fb->red_mask), green = byte_mask_shift(fb->green_mask);
  int blue = byte_mask_shift(fb->blue_mask);
  if (red < 0 || green < 0 || blue < 0 || red == green || red == blue || green == blue) return FBCON_PIXEL_MASKS;
  if (fb->width == 0 || fb->height == 0 || fb->width > fb->pixels_per_scan_line || (fb->base & 3) != 0) {
    return FBCON_GEOMETRY;
  }
  // The last visible pixel must lie inside the reported size (32-bit products: no overflow in 64 bits).
  uint64_t last = ((uint64_t)(fb->height - 1) * fb->pixels_per_scan_line + fb->width) * 4;
  if (last > fb->size) return FBCON_GEOMETRY;
  if (!font || font->width == 0 || font->height == 0 || fb->width < font->width || fb->height < font->height) {
    return FBCON_SCREEN_TOO_SMALL;
  }
  fbcon c = {0};
  c.pixels = (volatile uint32_t *)fb->base;
  c.pitch = fb->pixels_per_scan_line;
  c.cols = fb->width / font->width;
  c.rows = fb->height / font->height;
  c.font = font;
  c.scroll_rows = 1;
  c.red_shift = (uint8_t)red;
  c.green_shift = (uint8_t)green;
  c.blue_shift = (uint8_t)blue;
  fbcon_set_colors(&c, 0xAAAAAA, 0x000000);  // light grey on black, as a VGA text console
  if (red == 0 && green == 8 && blue == 16) {
    c.format = "rgb";  // PixelRedGreenBlueReserved8BitPerColor: byte 0 red
  } else if (red == 16 && green == 8 && blue == 0) {
    c.format = "bgr";  // PixelBlueGreenRedReserved8BitPerColor: byte 0 blue
  } else {
    c.format = "bitmask";
  }
  uint32_t area_width = c.cols * font->width, area_height = c.rows * font->height;
  for (uint32_t y = 0; y < area_height; y++) {
    volatile uint32_t *row = c.pixels + (uint64_t)y * c.pitch;
    for (uint32_t x = 0; x < area_width; x++) row[x] = c.bg;
  }
  *con = c;
  return FBCON_OK;
}

// Fills text row `row` with the background.
static void clear_row(fbcon *con, uint32_t row) {
  uint32_t h = con->font->height, area_width = con->cols * con->font->width;
  for (uint32_t y = 0; y < h; y++) {
    volatile uint32_t *line = con->pixels + ((uint64_t)row * h + y) * con->pitch;
    for (uint32_t x = 0; x < area_width; x++) line[x] = con->bg;
  }
}

void fbcon_set_scroll_rows(fbcon *con, uint32_t rows) {
  con->scroll_rows = rows == 0 ? 1 : rows > con->rows ? con->rows : rows;
}

// Copies one pixel row of `n` pixels: 64-bit accesses when both ends allow it (half the accesses on a slow
// framebuffer), else 32-bit. Volatile so the compiler keeps these stores and makes no memmove call of them.
static void copy_line(volatile uint32_t *dst, const volatile uint32_t *src, uint32_t n) {
  uint32_t x = 0;
  if ((((uintptr_t)dst | (uintptr_t)src) & 7) == 0) {
    volatile uint64_t *d = (volatile uint64_t *)dst;
    const volatile uint64_t *s = (const volatile uint64_t *)src;
    for (; x + 2 <= n; x += 2) d[x / 2] = s[x / 2];
  }
  for (; x < n; x++) dst[x] = src[x];
}

// Moves text rows scroll_rows..rows-1 up by scroll_rows and clears the rows freed at the bottom: a forward copy
// of the text area's pixel rows (source below destination, so copying upwards never overwrites what is still to
// be read). Only the text area's width is copied, never the pixels right of it or the padding up to the pitch.
static void scroll_up(fbcon *con) {
  uint32_t h = con->font->height, area_width = con->cols * con->font->width, n = con->scroll_rows;
  uint64_t moved_lines = (uint64_t)(con->rows - n) * h;
  for (uint64_t y = 0; y < moved_lines; y++) {
    volatile uint32_t *dst = con->pixels + y * con->pitch;
    copy_line(dst, dst + (uint64_t)n * h * con->pitch, area_width);
  }
  for (uint32_t row = con->rows - n; row < con->rows; row++) clear_row(con, row);
  con->row = con->rows - n;
}

static void draw_glyph(fbcon *con, uint32_t glyph) {
  const fbcon_font *f = con->font;
  const uint8_t *bits = f->glyphs + (uint64_t)glyph * f->bytes_per_glyph;
  volatile uint32_t *cell = con->pixels + (uint64_t)con->row * f->height * con->pitch + (uint64_t)con->col * f->width;
  for (uint32_t y = 0; y < f->height; y++, bits += f->bytes_per_row, cell += con->pitch) {
    // One glyph row as a 32-bit word, leftmost pixel in bit 31.
    uint32_t row_bits = 0;
    for (uint32_t b = 0; b < f->bytes_per_row; b++) row_bits |= (uint32_t)bits[b] << (24 - 8 * b);
    for (uint32_t x = 0; x < f->width; x++) cell[x] = (row_bits << x) & 0x80000000u ? con->fg : con->bg;
  }
}

static void newline(fbcon *con) {
  con->col = 0;
  con->row++;  // may reach rows: the scroll waits for the next character, so the bottom row stays filled
}

static void put_glyph(fbcon *con, uint32_t glyph) {
  if (con->col >= con->cols) newline(con);  // wrap
  if (con->row >= con->rows) scroll_up(con);
  draw_glyph(con, glyph);
  con->col++;
}

void fbcon_write(fbcon *con, const char *text, uint64_t len) {
  if (!con || !con->font) return;
  for (uint64_t i = 0; i < len; i++) {
    uint8_t c = (uint8_t)text[i];
    if (c == '\n') {
      newline(con);
    } else if (c == '\r') {
      con->col = 0;
    } else if (c == '\t') {
      do {
        put_glyph(con, con->font->ascii[' ']);
      } while (con->col % 8 != 0 && con->col < con->cols);
    } else {
      put_glyph(con, con->font->ascii[c >= 0x20 && c < 0x7F ? c : '?']);
    }
  }
}
