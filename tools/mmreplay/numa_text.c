// numa_text.c: NUMA lines of a Linux or kernel log into mm/numa's node table (numa_text.h).
#include "tools/mmreplay/numa_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  uint32_t id, pxm;
  uint64_t base, end;  // end exclusive
  size_t order;
} entry;

typedef struct entries {
  entry *v;
  size_t n, cap;
} entries;

static bool push(entries *e, entry x) {
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 16;
    entry *v = realloc(e->v, cap * sizeof(entry));
    if (v == NULL) return false;
    e->v = v;
    e->cap = cap;
  }
  x.order = e->n;
  e->v[e->n++] = x;
  return true;
}

// A number in `base` at *p (no sign, no leading space), advancing *p. False when none or past 2^64.
static bool num(const char **p, const char *end, int base, uint64_t *out) {
  const char *s = *p;
  if (base == 16) {
    if (end - s < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    s += 2;
  }
  uint64_t v = 0;
  const char *start = s;
  for (; s < end; s++) {
    int d;
    if (*s >= '0' && *s <= '9') d = *s - '0';
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
    else break;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
    v = v * (uint64_t)base + (uint64_t)d;
  }
  if (s == start) return false;
  *p = s;
  *out = v;
  return true;
}

static bool lit(const char **p, const char *end, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0) return false;
  *p += n;
  return true;
}

static const char *find(const char *s, const char *end, const char *word) {
  size_t n = strlen(word);
  for (; s + n <= end; s++) {
    if (memcmp(s, word, n) == 0) return s;
  }
  return NULL;
}

// `Node N PXM P [mem 0xA-0xB]` after "ACPI: SRAT: ".
static const char *parse_linux(const char *p, const char *end, entry *e) {
  uint64_t id, pxm, first, last;
  if (!lit(&p, end, "Node ") || !num(&p, end, 10, &id) || id > UINT32_MAX) return "bad node number";
  if (!lit(&p, end, " PXM ") || !num(&p, end, 10, &pxm) || pxm > UINT32_MAX) return "bad PXM";
  if (!lit(&p, end, " [mem ") || !num(&p, end, 16, &first) || !lit(&p, end, "-") || !num(&p, end, 16, &last) ||
      !lit(&p, end, "]"))
    return "bad [mem 0x..-0x..] range";
  if (last < first) return "reversed range";
  if (last == UINT64_MAX) return "range ends at 2^64";
  *e = (entry){(uint32_t)id, (uint32_t)pxm, first, last + 1, 0};
  return NULL;
}

// `id=N pxm=P base=0x.. end=0x..` after "mm.node ".
static const char *parse_kernel(const char *p, const char *end, entry *e) {
  uint64_t id, pxm, base, stop;
  if (!lit(&p, end, "id=") || !num(&p, end, 10, &id) || id > UINT32_MAX) return "bad id=";
  if (!lit(&p, end, " pxm=") || !num(&p, end, 10, &pxm) || pxm > UINT32_MAX) return "bad pxm=";
  if (!lit(&p, end, " base=") || !num(&p, end, 16, &base)) return "bad base=";
  if (!lit(&p, end, " end=") || !num(&p, end, 16, &stop)) return "bad end=";
  if (stop <= base) return "end= not above base=";
  *e = (entry){(uint32_t)id, (uint32_t)pxm, base, stop, 0};
  return NULL;
}

static int by_id(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return x->order < y->order ? -1 : (x->order > y->order);
}

bool numa_text_parse(const char *text, size_t len, replay_numa *out, unsigned *line, char *msg, size_t msg_len) {
  memset(out, 0, sizeof *out);
  out->source = "none";
  mm_numa_init(&out->table, NULL, 0, MM_NUMA_SOURCE_NONE);
  entries linux_e = {0}, kernel_e = {0};
  const char *p = text, *stop = text + len;
  unsigned no = 0;
  bool ok = true;
  while (p < stop && ok) {
    const char *eol = memchr(p, '\n', (size_t)(stop - p));
    if (eol == NULL) eol = stop;
    no++;
    const char *at, *why = NULL;
    entry e;
    if ((at = find(p, eol, "ACPI: SRAT: Node ")) != NULL) {
      why = parse_linux(at + strlen("ACPI: SRAT: "), eol, &e);
      if (why == NULL && !push(&linux_e, e)) why = "out of memory";
    } else if ((at = find(p, eol, "mm.node id=")) != NULL) {
      why = parse_kernel(at + strlen("mm.node "), eol, &e);
      if (why == NULL && !push(&kernel_e, e)) why = "out of memory";
    }
    if (why) {
      *line = no;
      snprintf(msg, msg_len, "malformed NUMA line: %s", why);
      ok = false;
    }
    p = eol + 1;
  }
  entries *use = kernel_e.n ? &kernel_e : &linux_e;
  if (ok && use->n) {
    out->source = use == &kernel_e ? "kernel" : "linux-srat";
    qsort(use->v, use->n, sizeof(entry), by_id);
    out->storage_ = calloc(use->n, sizeof(mm_numa_range));
    mm_numa_init(&out->table, out->storage_, out->storage_ ? (uint32_t)use->n : 0, MM_NUMA_SOURCE_SRAT);
    for (size_t i = 0; i < use->n && ok; i++) {
      mm_status s = mm_numa_add(&out->table, use->v[i].pxm, use->v[i].base, use->v[i].end - use->v[i].base);
      if (s != MM_OK) {
        *line = 0;
        snprintf(msg, msg_len, "NUMA range not accepted: %s", mm_status_name(s));
        ok = false;
      }
    }
    if (ok) out->finish = mm_numa_finish(&out->table, &out->conflict);
  }
  free(linux_e.v);
  free(kernel_e.v);
  if (!ok) {
    numa_text_free(out);
    out->source = "none";
  }
  return ok;
}

void numa_text_free(replay_numa *n) {
  free(n->storage_);
  n->storage_ = NULL;
  mm_numa_init(&n->table, NULL, 0, MM_NUMA_SOURCE_NONE);
}
