// report.h: the readable text report and the JSON object of one replay.
#ifndef TOOLS_MMREPLAY_REPORT_H
#define TOOLS_MMREPLAY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "tools/mmreplay/replay.h"

// The text report: input bytes by type, repairs, the normalized map, the plan, the carved spans, the
// reservations, the allocator totals and bookkeeping size, invariants and self-test. `verbose` adds the free
// runs and mm/'s own log lines.
void report_text(FILE *out, const char *source, const replay_result *r, bool verbose);

// One JSON object on one line (keys in replay/README order; bytes as integers, addresses as "0x.." strings).
void report_json(FILE *out, const char *source, const replay_result *r);

// "1.50 GiB", "4 KiB", "12.00 TiB": a short human size (binary units), into buf.
const char *report_human_size(uint64_t bytes, char *buf, size_t len);

#endif  // TOOLS_MMREPLAY_REPORT_H
