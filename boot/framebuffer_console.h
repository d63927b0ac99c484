// framebuffer_console.h: the kernel log on the GOP framebuffer (boot/fbcon.h drawing with the embedded font,
// boot/fbcon_font.h), beside the serial port. One console per kernel, set up once from the hand-off.
#ifndef BOOT_FRAMEBUFFER_CONSOLE_H
#define BOOT_FRAMEBUFFER_CONSOLE_H

#include "boot/handoff.h"

// Parses the embedded font and sets up the console on the hand-off's framebuffer (identity mapped before and
// after the kernel's own paging), clearing its text area. Logs nothing (the log may not be set up yet): call
// framebuffer_console_report once the log is. Without a usable framebuffer or font, nothing is drawn, ever.
void framebuffer_console_start(const boot_handoff *handoff);

// One structured line saying what framebuffer_console_start found:
//   console.framebuffer width=W height=H format=rgb|bgr|bitmask pitch=P cols=C rows=R base=0x.. font_width=
//                       font_height=
//   console.framebuffer status=none reason=no_framebuffer|pixel_masks|geometry|screen_too_small|font_*
void framebuffer_console_report(void);

// Draws log text on the framebuffer console, if there is one (else does nothing).
void framebuffer_console_write(const char *text, uint64_t len);

#endif  // BOOT_FRAMEBUFFER_CONSOLE_H
