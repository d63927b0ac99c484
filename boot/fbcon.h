// fbcon.h: the framebuffer text console. The kernel log drawn as text on the GOP framebuffer, so a machine
// without a serial port shows its boot.
//
// Portable C11 with no libc, host-tested on plain buffers (boot/fbcon_test.cc) and compiled unchanged for both
// UEFI targets. Two parts:
//   - fbcon_font_parse reads a PSF font (PSF1 or PSF2, the formats of Linux's console fonts) from bytes and
//     checks its header before anything is drawn with it;
//   - fbcon_init/fbcon_write draw text into a linear 32-bit framebuffer through a pointer (the kernel runs
//     identity mapped, so the framebuffer's physical address is that pointer).
// Nothing here allocates; the console is one struct the caller owns.
#ifndef BOOT_FBCON_H
#define BOOT_FBCON_H

#include <stdbool.h>
#include <stdint.h>

// ---- Fonts ---------------------------------------------------------------------------------------------------

#define FBCON_FONT_MAX_WIDTH 32u   // pixels; a glyph row is at most 4 bytes
#define FBCON_FONT_MAX_HEIGHT 64u  // pixels

typedef struct fbcon_font {
  const uint8_t *glyphs;     // glyph_count glyphs of bytes_per_glyph bytes each, rows top down, MSB leftmost
  uint32_t glyph_count;
  uint32_t width, height;    // pixels
  uint32_t bytes_per_row;    // (width + 7) / 8
  uint32_t bytes_per_glyph;  // height * bytes_per_row
  uint16_t ascii[128];       // glyph drawn for each ASCII code: from the font's Unicode table, else the code itself
} fbcon_font;

typedef enum fbcon_font_status {
  FBCON_FONT_OK = 0,
  FBCON_FONT_TOO_SHORT,          // fewer bytes than a header
  FBCON_FONT_BAD_MAGIC,          // neither PSF1 (36 04) nor PSF2 (72 b5 4a 86)
  FBCON_FONT_BAD_HEADER,         // PSF2 version is not 0 or its header size is below 32 or past the data
  FBCON_FONT_BAD_GLYPH_SIZE,     // width or height 0 or above the maximum, or charsize != height * bytes_per_row
  FBCON_FONT_BAD_GLYPH_COUNT,    // no glyphs, fewer than 128 (no ASCII), or glyphs running past the data
  FBCON_FONT_BAD_UNICODE_TABLE,  // the table the header announces ends before one entry per glyph
} fbcon_font_status;

// Reads a PSF font of `bytes` bytes at `psf` into *font (which points into `psf`: keep the bytes alive).
// On any error returns the reason and leaves *font untouched. PSF1: width 8, 256 or 512 glyphs, optional
// UCS-2 table; PSF2: any width up to FBCON_FONT_MAX_WIDTH, optional UTF-8 table. With a table, ASCII codes the
// font does not map are drawn with the glyph of '?' (or glyph 0 when '?' is unmapped too).
fbcon_font_status fbcon_font_parse(const uint8_t *psf, uint64_t bytes, fbcon_font *font);
const char *fbcon_font_status_name(fbcon_font_status status);  // "ok", "too_short", "bad_magic", ...

// ---- The console -----------------------------------------------------------------------------------------------

// A linear framebuffer of 32-bit pixels as the firmware describes it (UEFI 2.10 section 12.9,
// EFI_GRAPHICS_OUTPUT_MODE_INFORMATION): pixel (x, y) is the 32-bit word at base + 4 * (y * pitch + x).
typedef struct fbcon_framebuffer {
  uintptr_t base;                            // address of pixel (0, 0); 4-byte aligned
  uint64_t size;                             // bytes the firmware reports (FrameBufferSize)
  uint32_t width, height;                    // visible pixels
  uint32_t pixels_per_scan_line;             // the pitch, >= width; pixels in [width, pitch) are never written
  uint32_t red_mask, green_mask, blue_mask;  // which bits of a pixel hold each colour
} fbcon_framebuffer;

typedef enum fbcon_status {
  FBCON_OK = 0,
  FBCON_NO_FRAMEBUFFER,    // base or size 0 (no GOP, or a PixelBltOnly mode)
  FBCON_PIXEL_MASKS,       // a colour mask is not one whole byte (0xff << 8k), or two masks share a byte
  FBCON_GEOMETRY,          // width or height 0, width > pitch, base not 4-byte aligned, or rows past size
  FBCON_SCREEN_TOO_SMALL,  // not one glyph fits
} fbcon_status;

const char *fbcon_status_name(fbcon_status status);  // "ok", "no_framebuffer", "pixel_masks", ...

typedef struct fbcon {
  volatile uint32_t *pixels;  // pixel (0, 0)
  uint32_t pitch;             // pixels per scan line
  uint32_t cols, rows;        // text cells: width / glyph width, height / glyph height
  uint32_t col, row;          // where the next character goes
  uint32_t fg, bg;            // foreground and background as pixel values in the framebuffer's format
  const char *format;         // "rgb", "bgr" or "bitmask" (another byte order)
  uint8_t red_shift, green_shift, blue_shift;  // bit positions of the colour bytes in a pixel
  uint32_t scroll_rows;                        // text rows a scroll moves (fbcon_set_scroll_rows)
  const fbcon_font *font;
} fbcon;

// Checks the framebuffer and the font, then clears the text area [0, cols * glyph width) x [0, rows * glyph
// height) to the background and puts the cursor at the top left. On error returns the reason, writes no
// pixel and leaves *con untouched. The font must stay alive as long as the console.
fbcon_status fbcon_init(fbcon *con, const fbcon_framebuffer *fb, const fbcon_font *font);

// Draws `len` bytes of text at the cursor: printable ASCII as glyphs, '\n' to the next line, '\r' to column 0,
// '\t' to the next multiple of 8 columns, other bytes as the font's '?'. A line longer than the screen wraps
// at the last column; past the last row the text area scrolls up one row (the top row is lost, the new
// bottom row is cleared; fbcon_set_scroll_rows makes it jump more rows at once). Writes only inside the text
// area.
void fbcon_write(fbcon *con, const char *text, uint64_t len);

// How many text rows each scroll moves (clamped to [1, rows]; fbcon_init starts with 1). Every scroll copies the
// whole text area, so on a tall screen with a slow framebuffer (uncached, or emulated) jumping by several rows
// divides that cost: after a jump of n rows the cursor is on row rows - n, with n - 1 blank rows below it.
void fbcon_set_scroll_rows(fbcon *con, uint32_t rows);

// Colours (0xRRGGBB) for what is drawn from now on; fbcon_init starts with light grey (0xAAAAAA) on black.
// Nothing already on the screen is repainted.
void fbcon_set_colors(fbcon *con, uint32_t fg_rgb, uint32_t bg_rgb);

#endif  // BOOT_FBCON_H
