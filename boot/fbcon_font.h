// fbcon_font.h: the console font embedded in the kernel, a PSF file as bytes (parse it with fbcon_font_parse).
//
// Generated at build time by //boot:fbcon_font_data from Debian's console-setup-linux package:
// /usr/share/consolefonts/Lat15-Fixed16.psf.gz (PSF1, 8x16, 256 glyphs with a Unicode table), gunzipped and
// written out as a C array; nothing is downloaded. Licence: console-setup's copyright file says "All console
// fonts are public domain by nature"; the BDF sources they are converted from (the X11 "Fixed" family) carry
// the permissive notices in /usr/share/doc/console-setup-linux/copyright.fonts.gz.
#ifndef BOOT_FBCON_FONT_H
#define BOOT_FBCON_FONT_H

#include <stdint.h>

extern const uint8_t fbcon_font_psf[];
extern const uint64_t fbcon_font_psf_bytes;

#endif  // BOOT_FBCON_FONT_H
