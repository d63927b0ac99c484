// log.c: the structured log sink and its level filter.
//
// Formats `event key=value ...\n` into a fixed buffer on the stack with its own decimal and hex formatter
// (no libc, so it works before anything else exists) and hands finished lines to one installed sink.
// Lines longer than LOG_LINE_MAX bytes are truncated; the '\n' is always kept, so a line is never longer
// than LOG_LINE_MAX bytes including it.
//
// Not thread safe: the sink and level are set once during bring-up, before any second CPU runs.
#include "mm/log.h"

static log_write_fn log_sink_write;
static void *log_sink_ctx;
static log_level log_current_level = LOG_INFO;

typedef struct log_buffer {
  char text[LOG_LINE_MAX + 1];  // + 1 keeps a NUL after the '\n' for sinks that want a C string
  uint32_t len;                 // bytes of content, never more than LOG_LINE_MAX - 1
} log_buffer;

// Installs `write` (NULL discards every line) with its context.
void log_set_sink(log_write_fn write, void *ctx) {
  log_sink_write = write;
  log_sink_ctx = ctx;
}

// Sets the most verbose level that is printed; values above LOG_DEBUG are clamped to LOG_DEBUG.
void log_set_level(log_level level) {
  if ((uint32_t)level > (uint32_t)LOG_DEBUG) {
    level = LOG_DEBUG;
  }
  log_current_level = level;
}

// Returns the level set by log_set_level (LOG_INFO by default).
log_level log_get_level(void) { return log_current_level; }

// True when lines of `level` pass the filter (independent of whether a sink is installed).
bool log_enabled(log_level level) { return (uint32_t)level <= (uint32_t)log_current_level; }

static void log_put_char(log_buffer *buf, char c) {
  if (buf->len < LOG_LINE_MAX - 1) {
    buf->text[buf->len++] = c;
  }
}

static void log_put_str(log_buffer *buf, const char *s) {
  if (s == 0) {
    s = "(null)";
  }
  while (*s != '\0' && buf->len < LOG_LINE_MAX - 1) {
    buf->text[buf->len++] = *s++;
  }
}

static void log_put_dec(log_buffer *buf, uint64_t value) {
  char digits[20];  // 2^64 - 1 has 20 decimal digits
  uint32_t n = 0;
  do {
    digits[n++] = (char)('0' + (uint32_t)(value % 10u));
    value /= 10u;
  } while (value != 0);
  while (n > 0) {
    log_put_char(buf, digits[--n]);
  }
}

static void log_put_hex(log_buffer *buf, uint64_t value) {
  static const char hex_digits[] = "0123456789abcdef";
  char digits[16];
  uint32_t n = 0;
  do {
    digits[n++] = hex_digits[value & 0xfu];
    value >>= 4;
  } while (value != 0);
  log_put_char(buf, '0');
  log_put_char(buf, 'x');
  while (n > 0) {
    log_put_char(buf, digits[--n]);
  }
}

static void log_emit(log_buffer *buf) {
  buf->text[buf->len] = '\n';
  buf->text[buf->len + 1] = '\0';
  log_sink_write(log_sink_ctx, buf->text, (uint64_t)buf->len + 1);
}

// A string value must stay one token so the line parses as key=value pairs: spaces, '=' and control
// characters become '_', an empty string prints as "-" and NULL as "(null)".
static void log_put_value_str(log_buffer *buf, const char *s) {
  if (s == 0) {
    log_put_str(buf, s);
    return;
  }
  if (*s == '\0') {
    log_put_char(buf, '-');
    return;
  }
  for (; *s; s++) {
    char c = *s;
    log_put_char(buf, (c == ' ' || c == '=' || (unsigned char)c < 0x20 || c == 0x7f) ? '_' : c);
  }
}

// Formats `event k=v k=v ...\n` and hands it to the sink if `level` is enabled and a sink is installed.
// Never fails: a NULL event, key or string prints as "(null)"; a NULL kvs is treated as count == 0; an
// unknown kv kind prints "?"; overlong lines are truncated at LOG_LINE_MAX.
void log_event(log_level level, const char *event, const log_kv *kvs, uint32_t count) {
  if (log_sink_write == 0 || !log_enabled(level)) {
    return;
  }
  log_buffer buf;
  buf.len = 0;
  log_put_str(&buf, event);
  if (kvs == 0) {
    count = 0;
  }
  for (uint32_t i = 0; i < count; i++) {
    log_put_char(&buf, ' ');
    log_put_str(&buf, kvs[i].key);
    log_put_char(&buf, '=');
    switch (kvs[i].kind) {
      case LOG_KV_DEC:
        log_put_dec(&buf, kvs[i].u);
        break;
      case LOG_KV_HEX:
        log_put_hex(&buf, kvs[i].u);
        break;
      case LOG_KV_STR:
        log_put_value_str(&buf, kvs[i].s);
        break;
      default:
        log_put_char(&buf, '?');
        break;
    }
  }
  log_emit(&buf);
}

// Hands `text` plus '\n' to the sink if `level` is enabled; truncated like log_event.
void log_line(log_level level, const char *text) {
  if (log_sink_write == 0 || !log_enabled(level)) {
    return;
  }
  log_buffer buf;
  buf.len = 0;
  log_put_str(&buf, text);
  log_emit(&buf);
}
