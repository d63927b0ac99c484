// framebuffer_console.c: the kernel's framebuffer console (framebuffer_console.h).
#include "boot/framebuffer_console.h"

#include "boot/fbcon.h"
#include "boot/fbcon_font.h"
#include "mm/log.h"

static fbcon g_console;
static fbcon_font g_font;
static fbcon_framebuffer g_fb;
static bool g_on;
static const char *g_reason = "not_started";

void framebuffer_console_start(const boot_handoff *h) {
  // A font that does not parse is refused like a bad framebuffer: no console and a reason, never a fault.
  fbcon_font_status font = fbcon_font_parse(fbcon_font_psf, fbcon_font_psf_bytes, &g_font);
  if (font != FBCON_FONT_OK) {
    g_reason = fbcon_font_status_name(font);
    return;
  }
  g_fb = (fbcon_framebuffer){
      .base = (uintptr_t)h->framebuffer_base,
      .size = h->framebuffer_size,
      .width = h->framebuffer_width,
      .height = h->framebuffer_height,
      .pixels_per_scan_line = h->framebuffer_pixels_per_scan_line,
      .red_mask = h->framebuffer_red_mask,
      .green_mask = h->framebuffer_green_mask,
      .blue_mask = h->framebuffer_blue_mask,
  };
  fbcon_status status = fbcon_init(&g_console, &g_fb, &g_font);
  g_on = status == FBCON_OK;
  // Each scroll copies the whole text area (4 MiB at 1280x800), reading the framebuffer, which is uncached on
  // real hardware and emulated under QEMU: jumping a quarter of the screen at a time makes a boot's few hundred
  // lines cost a dozen copies instead of hundreds.
  if (g_on) fbcon_set_scroll_rows(&g_console, g_console.rows / 4);
  g_reason = fbcon_status_name(status);
}

void framebuffer_console_report(void) {
  if (!g_on) {
    debug_structured(LOG_INFO, "console.framebuffer", KV_S("status", "none"), KV_S("reason", g_reason));
    return;
  }
  debug_structured(LOG_INFO, "console.framebuffer", KV_U("width", g_fb.width), KV_U("height", g_fb.height),
                   KV_S("format", g_console.format), KV_U("pitch", g_fb.pixels_per_scan_line),
                   KV_U("cols", g_console.cols), KV_U("rows", g_console.rows), KV_X("base", g_fb.base),
                   KV_U("font_width", g_font.width), KV_U("font_height", g_font.height));
}

void framebuffer_console_write(const char *text, uint64_t len) {
  if (g_on) fbcon_write(&g_console, text, len);
}
