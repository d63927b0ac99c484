// memmap_text.c: the memory-map text parser (see memmap_text.h for the formats).
//
// Each line is first classified by a cheap marker test ("BIOS-e820:", "efi: memNN:", "efi:   0x",
// "mm.desc", "mm.reserve"). A line with a marker "looks like a map line" and must then parse strictly, to the
// end of the line: anything else is an error naming the line, and no partial map is returned.
#include "tools/hostlib/memmap_text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 4096u

const char *memmap_format_name(memmap_format format) {
  switch (format) {
    case MEMMAP_FORMAT_AUTO:
      return "auto";
    case MEMMAP_FORMAT_KERNEL:
      return "kernel";
    case MEMMAP_FORMAT_LINUX_EFI:
      return "linux-efi";
    case MEMMAP_FORMAT_E820:
      return "e820";
  }
  return "?";
}

bool memmap_format_from_name(const char *name, memmap_format *out) {
  for (int f = MEMMAP_FORMAT_AUTO; f <= MEMMAP_FORMAT_E820; f++) {
    if (strcmp(name, memmap_format_name((memmap_format)f)) == 0) {
      *out = (memmap_format)f;
      return true;
    }
  }
  return false;
}

static const char *const class_names[MEMMAP_CLASS_COUNT] = {
    "conventional", "boot_services", "loader",     "runtime_services", "acpi_reclaim", "acpi_nvs",
    "mmio",         "reserved",      "persistent", "unusable",         "other",
};

const char *memmap_class_name(memmap_class cls) { return (unsigned)cls < MEMMAP_CLASS_COUNT ? class_names[cls] : "?"; }

// UEFI 2.10, section 7.2, table 7-5.
memmap_class memmap_class_of_efi_type(uint32_t efi_type) {
  switch (efi_type) {
    case 0:
      return MEMMAP_CLASS_RESERVED;
    case 1:
    case 2:
      return MEMMAP_CLASS_LOADER;
    case 3:
    case 4:
      return MEMMAP_CLASS_BOOT_SERVICES;
    case 5:
    case 6:
      return MEMMAP_CLASS_RUNTIME_SERVICES;
    case 7:
      return MEMMAP_CLASS_CONVENTIONAL;
    case 8:
      return MEMMAP_CLASS_UNUSABLE;
    case 9:
      return MEMMAP_CLASS_ACPI_RECLAIM;
    case 10:
      return MEMMAP_CLASS_ACPI_NVS;
    case 11:
    case 12:
      return MEMMAP_CLASS_MMIO;
    case 14:
      return MEMMAP_CLASS_PERSISTENT;
    default:
      return MEMMAP_CLASS_OTHER;  // 13 PAL code, 15 unaccepted, OEM/OS values
  }
}

// Linux arch/x86/include/asm/e820/types.h: E820_TYPE_RAM 1, RESERVED 2, ACPI 3, NVS 4, UNUSABLE 5, PMEM 7,
// PRAM 12, SOFT_RESERVED 0xefffffff.
uint32_t memmap_efi_type_of_e820(uint32_t e820_type) {
  switch (e820_type) {
    case 1:
      return 7;
    case 2:
      return 0;
    case 3:
      return 9;
    case 4:
      return 10;
    case 5:
      return 8;
    case 7:
    case 12:
      return 14;
    case 0xefffffffu:
      return 0;
    default:
      return MEMMAP_E820_OEM_BASE | (e820_type & 0x0fffffffu);
  }
}

// e820 carries no attributes, but its RAM type means write-back RAM (the OS maps "usable" write-back): the
// converted descriptor says so with EFI_MEMORY_WB (0x8, UEFI 2.10 7.2), since mm/ hands out only memory that
// has it. Every other e820 type gets no attribute bits.
uint64_t memmap_efi_attribute_of_e820(uint32_t e820_type) { return e820_type == 1 ? 0x8u : 0; }

static memmap_class class_of_e820_type(uint32_t e820_type) {
  switch (e820_type) {
    case 1:
      return MEMMAP_CLASS_CONVENTIONAL;
    case 2:
    case 0xefffffffu:
      return MEMMAP_CLASS_RESERVED;
    case 3:
      return MEMMAP_CLASS_ACPI_RECLAIM;
    case 4:
      return MEMMAP_CLASS_ACPI_NVS;
    case 5:
      return MEMMAP_CLASS_UNUSABLE;
    case 7:
    case 12:
      return MEMMAP_CLASS_PERSISTENT;
    default:
      return MEMMAP_CLASS_OTHER;
  }
}

// ---- a cursor over one line ----------------------------------------------------------------------------

typedef struct cursor {
  const char *p;
  const char *end;
  char *why;  // error message buffer (sizeof memmap_error.message)
} cursor;

static bool fail(cursor *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, sizeof(((memmap_error *)0)->message), fmt, ap);
  va_end(ap);
  return false;
}

// How much of the rest of the line an error message quotes: at most 12 bytes, never past the line's end (the
// text is not NUL-terminated, so a plain "%.12s" could read past the caller's buffer).
static int shown(const cursor *c) { return c->end - c->p < 12 ? (int)(c->end - c->p) : 12; }

static void skip_spaces(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static bool at_end(cursor *c) {
  skip_spaces(c);
  return c->p == c->end;
}

// Consumes `lit` exactly (case-sensitive) if it is next.
static bool accept(cursor *c, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0) {
    c->p += n;
    return true;
  }
  return false;
}

static bool expect(cursor *c, const char *lit, const char *what) {
  if (accept(c, lit)) return true;
  if (c->p == c->end) return fail(c, "line ends where %s ('%s') was expected", what, lit);
  return fail(c, "expected %s ('%s') at column text '%.*s'", what, lit, shown(c), c->p);
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Reads hex digits (no prefix) into *out; fails on no digits or a value of 2^64 or more.
static bool parse_hex_digits(cursor *c, uint64_t *out, const char *what) {
  uint64_t v = 0;
  const char *start = c->p;
  while (c->p < c->end && hex_value(*c->p) >= 0) {
    if (v >> 60) return fail(c, "%s does not fit in 64 bits (2^64 or more)", what);
    v = (v << 4) | (uint64_t)hex_value(*c->p);
    c->p++;
  }
  if (c->p == start) {
    if (c->p == c->end) return fail(c, "line ends where %s was expected", what);
    return fail(c, "expected hex digits for %s at '%.*s'", what, shown(c), c->p);
  }
  *out = v;
  return true;
}

static bool parse_hex(cursor *c, uint64_t *out, const char *what) {
  if (!accept(c, "0x") && !accept(c, "0X")) {
    if (c->p == c->end) return fail(c, "line ends where %s was expected", what);
    return fail(c, "expected 0x-prefixed %s at '%.*s'", what, shown(c), c->p);
  }
  return parse_hex_digits(c, out, what);
}

static bool parse_dec(cursor *c, uint64_t *out, const char *what) {
  uint64_t v = 0;
  const char *start = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    uint64_t d = (uint64_t)(*c->p - '0');
    if (v > (UINT64_MAX - d) / 10u) return fail(c, "%s does not fit in 64 bits", what);
    v = v * 10u + d;
    c->p++;
  }
  if (c->p == start) {
    if (c->p == c->end) return fail(c, "line ends where %s was expected", what);
    return fail(c, "expected a decimal %s at '%.*s'", what, shown(c), c->p);
  }
  *out = v;
  return true;
}

// A number written either 0x-hex or decimal (the kernel log uses both).
static bool parse_number(cursor *c, uint64_t *out, const char *what) {
  if (c->end - c->p >= 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X')) return parse_hex(c, out, what);
  return parse_dec(c, out, what);
}

static bool parse_u32(cursor *c, uint32_t *out, const char *what) {
  uint64_t v;
  if (!parse_number(c, &v, what)) return false;
  if (v > UINT32_MAX) return fail(c, "%s %llu does not fit in 32 bits", what, (unsigned long long)v);
  *out = (uint32_t)v;
  return true;
}

// Converts an inclusive [first, last] into a half-open [base, end), checking order and 2^64.
static bool inclusive_range(cursor *c, uint64_t first, uint64_t last, uint64_t *base, uint64_t *end) {
  if (last == UINT64_MAX) return fail(c, "range end 0x%llx + 1 overflows 2^64", (unsigned long long)last);
  if (last + 1 < first)
    return fail(c, "reversed range: end 0x%llx is below start 0x%llx", (unsigned long long)last,
                (unsigned long long)first);
  *base = first;
  *end = last + 1;
  return true;
}

static bool exclusive_range(cursor *c, uint64_t first, uint64_t end_excl, uint64_t *base, uint64_t *end) {
  if (end_excl < first)
    return fail(c, "reversed range: end 0x%llx is below start 0x%llx", (unsigned long long)end_excl,
                (unsigned long long)first);
  *base = first;
  *end = end_excl;
  return true;
}

// ---- Linux EFI ------------------------------------------------------------------------------------------

// Names Linux has printed for EFI_MEMORY_TYPE values: the long x86 names (3.x-5.x) and the short ones of
// drivers/firmware/efi/efi.c (5.x and later, arm64 since 4.x).
static const struct {
  const char *name;
  uint32_t type;
} efi_type_names[] = {
    {"Reserved", 0},
    {"Loader Code", 1},
    {"Loader Data", 2},
    {"Boot Code", 3},
    {"Boot Data", 4},
    {"Runtime Code", 5},
    {"Runtime Data", 6},
    {"Conventional Memory", 7},
    {"Conventional", 7},
    {"Unusable Memory", 8},
    {"Unusable", 8},
    {"ACPI Reclaim Memory", 9},
    {"ACPI Reclaim", 9},
    {"ACPI Memory NVS", 10},
    {"ACPI Mem NVS", 10},
    {"Memory Mapped I/O", 11},
    {"MMIO", 11},
    {"MMIO Port Space", 12},
    {"MMIO Port", 12},
    {"PAL Code", 13},
    {"Persistent Memory", 14},
    {"Persistent", 14},
    {"Unaccepted", 15},
};

// Attribute column names of efi_md_typeattr_format and their EFI_MEMORY_* bits (UEFI 2.10, section 7.2).
static const struct {
  const char *name;
  uint64_t bit;
} efi_attr_names[] = {
    {"UC", 0x1},     {"WC", 0x2},     {"WT", 0x4},     {"WB", 0x8},      {"UCE", 0x10},
    {"WP", 0x1000},  {"RP", 0x2000},  {"XP", 0x4000},  {"NV", 0x8000},   {"MR", 0x10000},
    {"RO", 0x20000}, {"SP", 0x40000}, {"CC", 0x80000}, {"HP", 0x100000}, {"RUN", 1ull << 63},
};

static void trim(const char **s, const char **e) {
  while (*s < *e && isspace((unsigned char)**s)) (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

static bool span_equals(const char *s, const char *e, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(e - s) == n && memcmp(s, lit, n) == 0;
}

// Parses `[Type Name|col|col|...]` (cursor at '['): the type and the attribute bits. The firmware-bug form has
// a single `attr=0x...` column instead of the named ones.
static bool parse_efi_bracket(cursor *c, uint32_t *type, uint64_t *attr) {
  if (!expect(c, "[", "'[' opening the type")) return false;
  const char *close = memchr(c->p, ']', (size_t)(c->end - c->p));
  if (close == NULL) return fail(c, "type/attribute column block has no closing ']' (truncated line?)");
  const char *bar = memchr(c->p, '|', (size_t)(close - c->p));
  if (bar == NULL) return fail(c, "type name is not followed by attribute columns ('|')");
  const char *ns = c->p, *ne = bar;
  trim(&ns, &ne);
  bool found = false;
  for (size_t i = 0; i < sizeof efi_type_names / sizeof efi_type_names[0]; i++) {
    if (span_equals(ns, ne, efi_type_names[i].name)) {
      *type = efi_type_names[i].type;
      found = true;
      break;
    }
  }
  if (!found) {
    cursor tc = {ns, ne, c->why};
    if (accept(&tc, "type=")) {  // Linux prints "[type=N" for values past its name table
      if (!parse_u32(&tc, type, "type number") || !at_end(&tc))
        return fail(c, "bad numeric type '%.*s'", (int)(ne - ns), ns);
      found = true;
    }
  }
  if (!found) return fail(c, "unknown EFI memory type name '%.*s'", (int)(ne - ns), ns);
  *attr = 0;
  const char *col = bar + 1;
  while (col <= close) {
    const char *next = memchr(col, '|', (size_t)(close - col));
    const char *ce = next ? next : close;
    const char *cs = col;
    trim(&cs, &ce);
    if (cs < ce) {
      cursor ac = {cs, ce, c->why};
      if (accept(&ac, "attr=")) {
        if (!parse_hex(&ac, attr, "attribute")) return false;
        if (!at_end(&ac)) return fail(c, "garbage after attribute value '%.*s'", (int)(ce - cs), cs);
      } else {
        bool known = false;
        for (size_t i = 0; i < sizeof efi_attr_names / sizeof efi_attr_names[0]; i++) {
          if (span_equals(cs, ce, efi_attr_names[i].name)) {
            *attr |= efi_attr_names[i].bit;
            known = true;
            break;
          }
        }
        if (!known) return fail(c, "unknown attribute column '%.*s'", (int)(ce - cs), cs);
      }
    }
    if (next == NULL) break;
    col = next + 1;
  }
  c->p = close + 1;
  return true;
}

// ` (123MB)` after a range: optional, but if present it must be well formed.
static bool parse_size_suffix(cursor *c) {
  skip_spaces(c);
  if (c->p == c->end) return true;
  uint64_t mb;
  if (!expect(c, "(", "'(' before the size") || !parse_dec(c, &mb, "size in MB") || !expect(c, "MB)", "'MB)'"))
    return false;
  if (!at_end(c)) return fail(c, "unexpected text after the size: '%.*s'", shown(c), c->p);
  return true;
}

// `range=[0x..-0x..)` (half-open) or `range=[0x..-0x..]` (inclusive).
static bool parse_efi_range(cursor *c, uint64_t *base, uint64_t *end) {
  uint64_t a, b;
  skip_spaces(c);
  if (!expect(c, "range=[", "'range=['") || !parse_hex(c, &a, "range start") || !expect(c, "-", "'-'") ||
      !parse_hex(c, &b, "range end"))
    return false;
  if (accept(c, ")")) return exclusive_range(c, a, b, base, end);
  if (accept(c, "]")) return inclusive_range(c, a, b, base, end);
  if (c->p == c->end) return fail(c, "line ends before the range's closing ')' or ']'");
  return fail(c, "expected ')' or ']' closing the range at '%.*s'", shown(c), c->p);
}

// After "efi: memNN:".
static bool parse_efi_mem_line(cursor *c, memmap_entry *e) {
  skip_spaces(c);
  uint32_t type;
  uint64_t attr;
  if (accept(c, "type=")) {  // 3.x: type=7, attr=0xf, range=[...) (1MB)
    if (!parse_u32(c, &type, "type") || !expect(c, ",", "','")) return false;
    skip_spaces(c);
    if (!expect(c, "attr=", "'attr='") || !parse_hex(c, &attr, "attribute") || !expect(c, ",", "','")) return false;
  } else {
    if (!parse_efi_bracket(c, &type, &attr)) return false;
  }
  if (!parse_efi_range(c, &e->base, &e->end) || !parse_size_suffix(c)) return false;
  e->efi_type = e->raw_type = type;
  e->attribute = attr;
  e->cls = memmap_class_of_efi_type(type);
  return true;
}

// After "efi:" and the spaces: `0x000080000000-0x0000809fffff [Conventional|...]` (inclusive).
static bool parse_efi_arm64_line(cursor *c, memmap_entry *e) {
  uint64_t a, b;
  uint32_t type;
  uint64_t attr;
  if (!parse_hex(c, &a, "range start") || !expect(c, "-", "'-'") || !parse_hex(c, &b, "range end")) return false;
  skip_spaces(c);
  if (!parse_efi_bracket(c, &type, &attr)) return false;
  if (!at_end(c)) return fail(c, "unexpected text after the attributes: '%.*s'", shown(c), c->p);
  if (!inclusive_range(c, a, b, &e->base, &e->end)) return false;
  e->efi_type = e->raw_type = type;
  e->attribute = attr;
  e->cls = memmap_class_of_efi_type(type);
  return true;
}

// ---- e820 -----------------------------------------------------------------------------------------------

// The type text e820_print_type printed: "usable", "reserved", "soft reserved", "ACPI data", "ACPI NVS",
// "unusable", "persistent (type N)", "type N"; 2.6-era kernels put the names in parentheses.
static bool parse_e820_type(cursor *c, uint32_t *type) {
  skip_spaces(c);
  bool paren = accept(c, "(");
  static const struct {
    const char *name;
    uint32_t type;
  } names[] = {{"usable", 1},    {"reserved", 2}, {"soft reserved", 0xefffffffu},
               {"ACPI data", 3}, {"ACPI NVS", 4}, {"unusable", 5}};
  bool found = false;
  const char *save = c->p;
  if (accept(c, "persistent (type ")) {
    if (!parse_u32(c, type, "persistent type") || !expect(c, ")", "')'")) return false;
    found = true;
  } else if (accept(c, "type ")) {
    if (!parse_u32(c, type, "e820 type")) return false;
    found = true;
  } else {
    // Longest name first so "soft reserved" is not read as "reserved"... (they differ in their first letter,
    // but keep the loop honest about prefixes anyway).
    size_t best = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      size_t n = strlen(names[i].name);
      if (n > best && (size_t)(c->end - save) >= n && memcmp(save, names[i].name, n) == 0) {
        const char *after = save + n;
        if (after == c->end || *after == ')' || *after == ' ' || *after == '\t') {
          best = n;
          *type = names[i].type;
          found = true;
        }
      }
    }
    c->p = save + best;
  }
  if (!found) {
    if (c->p == c->end) return fail(c, "line ends where the e820 type was expected");
    return fail(c, "unknown e820 type '%.*s'", (int)(c->end - c->p), c->p);
  }
  if (paren && !expect(c, ")", "')' closing the type")) return false;
  if (!at_end(c)) return fail(c, "unexpected text after the e820 type: '%.*s'", shown(c), c->p);
  return true;
}

// After "BIOS-e820:".
static bool parse_e820_line(cursor *c, memmap_entry *e) {
  uint64_t a, b;
  uint32_t type;
  skip_spaces(c);
  if (accept(c, "[mem ")) {  // 3.x and later: inclusive
    if (!parse_hex(c, &a, "range start") || !expect(c, "-", "'-'") || !parse_hex(c, &b, "range end") ||
        !expect(c, "]", "']' closing the range") || !parse_e820_type(c, &type) ||
        !inclusive_range(c, a, b, &e->base, &e->end))
      return false;
  } else {  // 2.6 era: "0000000000100000 - 00000000dffc0000 (usable)", exclusive end
    accept(c, "0x");
    if (!parse_hex_digits(c, &a, "range start")) return false;
    skip_spaces(c);
    if (!expect(c, "-", "'-'")) return false;
    skip_spaces(c);
    accept(c, "0x");
    if (!parse_hex_digits(c, &b, "range end") || !parse_e820_type(c, &type) ||
        !exclusive_range(c, a, b, &e->base, &e->end))
      return false;
  }
  e->raw_type = type;
  e->efi_type = memmap_efi_type_of_e820(type);
  e->attribute = memmap_efi_attribute_of_e820(type);
  e->cls = class_of_e820_type(type);
  return true;
}

// ---- this kernel's log ----------------------------------------------------------------------------------

// Reads `key=value` tokens; calls `fn` for each. Values run to the next blank.
typedef bool (*kv_fn)(cursor *c, void *ctx, const char *key, size_t key_len, cursor *value);

static bool parse_kvs(cursor *c, kv_fn fn, void *ctx) {
  for (;;) {
    skip_spaces(c);
    if (c->p == c->end) return true;
    const char *ks = c->p;
    while (c->p < c->end && *c->p != '=' && *c->p != ' ' && *c->p != '\t') c->p++;
    if (c->p == c->end || *c->p != '=') return fail(c, "expected key=value at '%.*s'", (int)(c->p - ks), ks);
    size_t klen = (size_t)(c->p - ks);
    c->p++;
    const char *vs = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t') c->p++;
    cursor v = {vs, c->p, c->why};
    if (!fn(c, ctx, ks, klen, &v)) return false;
  }
}

static bool key_is(const char *k, size_t n, const char *lit) { return strlen(lit) == n && memcmp(k, lit, n) == 0; }

static bool number_value(cursor *v, uint64_t *out, const char *key) {
  if (!parse_number(v, out, key)) return false;
  if (v->p != v->end) return fail(v, "garbage in the value of %s: '%.*s'", key, (int)(v->end - v->p), v->p);
  return true;
}

typedef struct desc_fields {
  uint64_t type, phys, pages, attr;
  unsigned seen;  // bit 0 type, 1 phys, 2 pages
} desc_fields;

static bool desc_kv(cursor *c, void *ctx, const char *k, size_t n, cursor *v) {
  (void)c;
  desc_fields *d = ctx;
  if (key_is(k, n, "type")) {
    d->seen |= 1;
    return number_value(v, &d->type, "type");
  }
  if (key_is(k, n, "phys")) {
    d->seen |= 2;
    return number_value(v, &d->phys, "phys");
  }
  if (key_is(k, n, "pages")) {
    d->seen |= 4;
    return number_value(v, &d->pages, "pages");
  }
  if (key_is(k, n, "attr")) return number_value(v, &d->attr, "attr");
  return true;  // idx= and anything added later
}

// After "mm.desc".
static bool parse_kernel_desc(cursor *c, memmap_entry *e) {
  desc_fields d = {0};
  if (!parse_kvs(c, desc_kv, &d)) return false;
  if ((d.seen & 1) == 0) return fail(c, "mm.desc without type=");
  if ((d.seen & 2) == 0) return fail(c, "mm.desc without phys=");
  if ((d.seen & 4) == 0) return fail(c, "mm.desc without pages=");
  if (d.type > UINT32_MAX) return fail(c, "type %llu does not fit in 32 bits", (unsigned long long)d.type);
  if (d.pages > (UINT64_MAX >> 12) || d.phys > UINT64_MAX - (d.pages << 12))
    return fail(c, "phys 0x%llx + %llu pages overflows 2^64", (unsigned long long)d.phys, (unsigned long long)d.pages);
  e->base = d.phys;
  e->end = d.phys + (d.pages << 12);
  e->efi_type = e->raw_type = (uint32_t)d.type;
  e->attribute = d.attr;
  e->cls = memmap_class_of_efi_type(e->efi_type);
  return true;
}

typedef struct reserve_fields {
  memmap_reservation *r;
  unsigned seen;
} reserve_fields;

static void copy_name(char dst[MEMMAP_NAME_MAX], cursor *v) {
  size_t n = (size_t)(v->end - v->p);
  if (n >= MEMMAP_NAME_MAX) n = MEMMAP_NAME_MAX - 1;
  memcpy(dst, v->p, n);
  dst[n] = '\0';
}

static bool reserve_kv(cursor *c, void *ctx, const char *k, size_t n, cursor *v) {
  (void)c;
  reserve_fields *f = ctx;
  if (key_is(k, n, "phys")) {
    f->seen |= 1;
    return number_value(v, &f->r->base, "phys");
  }
  if (key_is(k, n, "end")) {
    f->seen |= 2;
    return number_value(v, &f->r->end, "end");
  }
  if (key_is(k, n, "kind")) {
    f->seen |= 4;
    copy_name(f->r->kind, v);
    return true;
  }
  if (key_is(k, n, "label")) {
    copy_name(f->r->label, v);
    return true;
  }
  return true;
}

// After "mm.reserve".
static bool parse_kernel_reserve(cursor *c, memmap_reservation *r) {
  memset(r, 0, sizeof *r);
  reserve_fields f = {r, 0};
  if (!parse_kvs(c, reserve_kv, &f)) return false;
  if ((f.seen & 1) == 0) return fail(c, "mm.reserve without phys=");
  if ((f.seen & 2) == 0) return fail(c, "mm.reserve without end=");
  if ((f.seen & 4) == 0) return fail(c, "mm.reserve without kind=");
  if (r->end < r->base)
    return fail(c, "reversed reservation: end 0x%llx below phys 0x%llx", (unsigned long long)r->end,
                (unsigned long long)r->base);
  return true;
}

typedef struct summary_ctx {
  const char *const *keys;
  uint64_t *const *dst;
} summary_ctx;

static bool summary_kv(cursor *c, void *ctx, const char *k, size_t n, cursor *v) {
  (void)c;
  summary_ctx *s = ctx;
  for (size_t i = 0; s->keys[i]; i++) {
    if (key_is(k, n, s->keys[i])) {
      uint64_t x;
      cursor vc = *v;
      if (parse_number(&vc, &x, s->keys[i]) && vc.p == vc.end) *s->dst[i] = x;
      return true;
    }
  }
  return true;
}

// Summary lines are for comparison only: read leniently (unknown keys and bad values are skipped).
static void parse_kernel_summary(cursor *c, const char *const *keys, uint64_t *const *dst) {
  summary_ctx s = {keys, dst};
  char scratch[sizeof(((memmap_error *)0)->message)];
  cursor cc = {c->p, c->end, scratch};
  (void)parse_kvs(&cc, summary_kv, &s);
}

// ---- driver ---------------------------------------------------------------------------------------------

// Finds `lit` in [s, e) (case-sensitive); NULL if absent.
static const char *find(const char *s, const char *e, const char *lit) {
  size_t n = strlen(lit);
  for (const char *p = s; p + n <= e; p++) {
    if (memcmp(p, lit, n) == 0) return p;
  }
  return NULL;
}

// Finds an event name `lit` followed by a blank or the end of the line.
static const char *find_event(const char *s, const char *e, const char *lit) {
  size_t n = strlen(lit);
  for (const char *p = find(s, e, lit); p; p = find(p + 1, e, lit)) {
    if (p + n == e || p[n] == ' ' || p[n] == '\t') return p + n;
  }
  return NULL;
}

// Finds "efi:" (any case) not preceded by a letter or digit.
static const char *find_efi(const char *s, const char *e) {
  for (const char *p = s; p + 4 <= e; p++) {
    if (tolower((unsigned char)p[0]) == 'e' && tolower((unsigned char)p[1]) == 'f' &&
        tolower((unsigned char)p[2]) == 'i' && p[3] == ':' && (p == s || !isalnum((unsigned char)p[-1])))
      return p + 4;
  }
  return NULL;
}

typedef struct growable {
  void *items;
  size_t count, cap, size;
} growable;

static void *grow(growable *g) {
  if (g->count == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    void *n = realloc(g->items, cap * g->size);
    if (n == NULL) {
      fprintf(stderr, "memmap_text: out of memory\n");
      abort();
    }
    g->items = n;
    g->cap = cap;
  }
  return (char *)g->items + g->size * g->count++;
}

enum { KIND_NONE = -1 };

bool memmap_parse(const char *text, size_t len, memmap_format format, memmap *out, memmap_error *err) {
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  growable entries[4] = {{0}};  // indexed by memmap_format (AUTO unused)
  for (int f = 0; f < 4; f++) entries[f].size = sizeof(memmap_entry);
  growable res = {NULL, 0, 0, sizeof(memmap_reservation)};
  memmap_kernel_summary summary = {0};
  bool ok = true;
  bool want_kernel = format == MEMMAP_FORMAT_AUTO || format == MEMMAP_FORMAT_KERNEL;
  bool want_efi = format == MEMMAP_FORMAT_AUTO || format == MEMMAP_FORMAT_LINUX_EFI;
  bool want_e820 = format == MEMMAP_FORMAT_AUTO || format == MEMMAP_FORMAT_E820;

  const char *end = text + len;
  unsigned line_no = 0;
  for (const char *ls = text; ok && ls < end;) {
    const char *le = memchr(ls, '\n', (size_t)(end - ls));
    const char *next = le ? le + 1 : end;
    if (le == NULL) le = end;
    if (le > ls && le[-1] == '\r') le--;
    line_no++;
    cursor c = {ls, le, err->message};
    const char *m;
    memmap_entry e = {0};
    e.line = line_no;
    int kind = KIND_NONE;
    // A line's kind is decided by its markers alone, in this order, whatever format was asked for; a line of
    // a kind that was not asked for is skipped. So auto detection reads exactly the lines (and entries) that
    // asking for the chosen format reads.
    if ((m = find_event(ls, le, "mm.desc")) != NULL) {
      if (want_kernel) {
        c.p = m;
        kind = MEMMAP_FORMAT_KERNEL;
        ok = parse_kernel_desc(&c, &e);
      }
    } else if ((m = find_event(ls, le, "mm.reserve")) != NULL) {
      if (want_kernel) {
        c.p = m;
        memmap_reservation r;
        ok = parse_kernel_reserve(&c, &r);
        if (ok && !summary.has_stats) {  // only the listing printed with the first mm.stats (the hand-off)
          r.line = line_no;
          *(memmap_reservation *)grow(&res) = r;
        }
      }
    } else if ((m = find_event(ls, le, "mm.plan")) != NULL) {
      if (want_kernel && !summary.has_plan) {
        c.p = m;
        summary.has_plan = true;
        static const char *const k[] = {"free_slots", "reserved_slots", "conventional_regions", "reservations", 0};
        uint64_t *const d[] = {&summary.plan_free_slots, &summary.plan_reserved_slots,
                               &summary.plan_conventional_regions, &summary.plan_reservations};
        parse_kernel_summary(&c, k, d);
      }
    } else if ((m = find_event(ls, le, "mm.stats")) != NULL) {
      if (want_kernel && !summary.has_stats) {
        c.p = m;
        summary.has_stats = true;
        static const char *const k[] = {"free_frames", "reserved_frames", "free_runs", "bookkeeping_bytes", 0};
        uint64_t bookkeeping = UINT64_MAX;
        uint64_t *const d[] = {&summary.stats_free_frames, &summary.stats_reserved_frames, &summary.stats_free_runs,
                               &bookkeeping};
        parse_kernel_summary(&c, k, d);
        summary.has_stats_bookkeeping_bytes = bookkeeping != UINT64_MAX;
        summary.stats_bookkeeping_bytes = summary.has_stats_bookkeeping_bytes ? bookkeeping : 0;
      }
    } else if ((m = find_event(ls, le, "mm.firmware_map")) != NULL) {
      if (want_kernel && !summary.has_firmware_map) {
        c.p = m;
        summary.has_firmware_map = true;
        static const char *const k[] = {"descriptors", "descriptor_size", 0};
        uint64_t *const d[] = {&summary.fw_descriptors, &summary.fw_descriptor_size};
        parse_kernel_summary(&c, k, d);
      }
    } else if ((m = find(ls, le, "BIOS-e820:")) != NULL) {
      if (want_e820) {
        c.p = m + strlen("BIOS-e820:");
        kind = MEMMAP_FORMAT_E820;
        ok = parse_e820_line(&c, &e);
      }
    } else if ((m = find_efi(ls, le)) != NULL) {
      if (want_efi) {
        c.p = m;
        skip_spaces(&c);
        const char *after_spaces = c.p;
        if (accept(&c, "mem") && c.p < le && isdigit((unsigned char)*c.p)) {
          while (c.p < le && isdigit((unsigned char)*c.p)) c.p++;
          if (accept(&c, ":")) {
            kind = MEMMAP_FORMAT_LINUX_EFI;
            ok = parse_efi_mem_line(&c, &e);
          }
        } else if (after_spaces > m && (c.p = after_spaces, accept(&c, "0x"))) {
          c.p = after_spaces;
          kind = MEMMAP_FORMAT_LINUX_EFI;
          ok = parse_efi_arm64_line(&c, &e);
        }
      }
    }
    if (!ok) {
      err->line = line_no;
    } else if (kind != KIND_NONE) {
      *(memmap_entry *)grow(&entries[kind]) = e;
    }
    ls = next;
  }

  memmap_format chosen = format;
  if (ok && chosen == MEMMAP_FORMAT_AUTO) {
    if (entries[MEMMAP_FORMAT_KERNEL].count) chosen = MEMMAP_FORMAT_KERNEL;
    else if (entries[MEMMAP_FORMAT_LINUX_EFI].count) chosen = MEMMAP_FORMAT_LINUX_EFI;
    else if (entries[MEMMAP_FORMAT_E820].count) chosen = MEMMAP_FORMAT_E820;
  }
  if (ok && (chosen == MEMMAP_FORMAT_AUTO || entries[chosen].count == 0)) {
    ok = false;
    err->line = 0;
    snprintf(err->message, sizeof err->message, "no %s memory map lines found",
             chosen == MEMMAP_FORMAT_AUTO ? "kernel, linux-efi or e820" : memmap_format_name(chosen));
  }
  if (ok) {
    out->format = chosen;
    out->entries = entries[chosen].items;
    out->count = entries[chosen].count;
    entries[chosen].items = NULL;
    if (chosen == MEMMAP_FORMAT_KERNEL) {
      out->reservations = res.items;
      out->reservation_count = res.count;
      res.items = NULL;
      out->kernel = summary;
    }
  }
  for (int f = 0; f < 4; f++) free(entries[f].items);
  free(res.items);
  return ok;
}

void memmap_free(memmap *map) {
  free(map->entries);
  free(map->reservations);
  memset(map, 0, sizeof *map);
}

void memmap_class_bytes(const memmap *map, uint64_t bytes[MEMMAP_CLASS_COUNT]) {
  memset(bytes, 0, sizeof(uint64_t) * MEMMAP_CLASS_COUNT);
  for (size_t i = 0; i < map->count; i++) {
    const memmap_entry *e = &map->entries[i];
    if (e->cls == MEMMAP_CLASS_CONVENTIONAL) {
      uint64_t b = e->base > UINT64_MAX - (PAGE_SIZE - 1) ? UINT64_MAX
                                                          : (e->base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
      uint64_t t = e->end & ~(uint64_t)(PAGE_SIZE - 1);
      if (t > b) bytes[e->cls] += t - b;
    } else {
      bytes[e->cls] += e->end - e->base;
    }
  }
}
