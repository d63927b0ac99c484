// log.h: structured, one-event-per-line logging with a run-time level filter.
//
// A line is an event name followed by key=value pairs: `mm.plan free_slots=72 reserved_slots=40`.
// Decimal for counts, 0x-prefixed hex for addresses, strings verbatim (no spaces in values by convention).
// mm/ depends on nothing but this sink; the kernel points it at the serial port, the host at a buffer.
#ifndef MM_LOG_H
#define MM_LOG_H

#include "mm/mm_types.h"

typedef enum log_level {
  LOG_ERROR = 0,
  LOG_WARN = 1,
  LOG_INFO = 2,   // the normal level
  LOG_DEBUG = 3,  // enabled by the `debug` word on the kernel command line
} log_level;

typedef enum log_kv_kind { LOG_KV_DEC, LOG_KV_HEX, LOG_KV_STR } log_kv_kind;

typedef struct log_kv {
  const char *key;
  log_kv_kind kind;
  uint64_t u;
  const char *s;
} log_kv;

#define KV_U(k, v) ((log_kv){(k), LOG_KV_DEC, (uint64_t)(v), 0})
#define KV_X(k, v) ((log_kv){(k), LOG_KV_HEX, (uint64_t)(v), 0})
#define KV_S(k, v) ((log_kv){(k), LOG_KV_STR, 0, (v)})

// Where finished lines go: called once per line, with the text and its length (the '\n' included).
typedef void (*log_write_fn)(void *ctx, const char *text, uint64_t len);

// Installs the sink (NULL discards everything) and the most verbose level that is printed.
void log_set_sink(log_write_fn write, void *ctx);
void log_set_level(log_level level);
log_level log_get_level(void);
bool log_enabled(log_level level);

// Formats `event k=v k=v ...\n` into one line (truncated, never overflowing, at LOG_LINE_MAX) and hands it
// to the sink if `level` is enabled.
#define LOG_LINE_MAX 256
void log_event(log_level level, const char *event, const log_kv *kvs, uint32_t count);

// A free-form line, e.g. the exact `runtime allocator initialized`.
void log_line(log_level level, const char *text);

// debug_structured(LOG_DEBUG, "mm.plan", KV_U("free_slots", n), KV_X("phys", p));
// The name follows the design note's `debug_structured!`; the level is explicit so one macro serves all.
#define debug_structured(level, event, ...)                  \
  log_event((level), (event), (const log_kv[]){__VA_ARGS__}, \
            (uint32_t)(sizeof((const log_kv[]){__VA_ARGS__}) / sizeof(log_kv)))

#endif  // MM_LOG_H
