// svg.h: a picture of the physical address space after a replay.
//
// The address axis is cut into segments (each normalized region, and each gap between regions) whose widths
// grow with log2 of their size, so a 4 KiB page and a 12 TiB run are both visible; runs drawn shorter than
// their share are marked with a break sign and labelled with their true size, gaps are hatched and labelled.
// Segments flow left to right into horizontal bands, each band starting at a labelled address; region
// boundaries carry their addresses where there is room. Reservations and the carved bookkeeping are markers
// above the band with their labels. Every normalized region is exactly one <rect class="region ...">
// element carrying data-base / data-end / data-type, so tests can count and check them.
#ifndef TOOLS_MMREPLAY_SVG_H
#define TOOLS_MMREPLAY_SVG_H

#include <stdio.h>

#include "tools/mmreplay/replay.h"

// Writes the picture of `r` (which must have reached at least the normalized map) to `out`.
void svg_write(FILE *out, const char *source, const replay_result *r);

#endif  // TOOLS_MMREPLAY_SVG_H
