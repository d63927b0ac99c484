// fdt.c: the devicetree blob reader (Devicetree Specification v0.4, chapter 5 for the format, chapter 2 for
// names, paths and the standard properties). Contracts in fdt.h.
#include "platform/fdt.h"

// Structure block tokens (DT 5.4.1). Each is a big-endian 32-bit word at a 4-byte aligned offset.
enum {
  TOKEN_BEGIN_NODE = 0x1,  // followed by the NUL-terminated unit name, padded to 4 bytes
  TOKEN_END_NODE = 0x2,
  TOKEN_PROP = 0x3,  // followed by len, nameoff (into the strings block), then len value bytes, padded
  TOKEN_NOP = 0x4,
  TOKEN_END = 0x9,
};

// Header field offsets (DT 5.2, struct fdt_header).
enum {
  HDR_MAGIC = 0,
  HDR_TOTALSIZE = 4,
  HDR_OFF_DT_STRUCT = 8,
  HDR_OFF_DT_STRINGS = 12,
  HDR_OFF_MEM_RSVMAP = 16,
  HDR_VERSION = 20,
  HDR_LAST_COMP_VERSION = 24,
  HDR_BOOT_CPUID_PHYS = 28,
  HDR_SIZE_DT_STRINGS = 32,
  HDR_SIZE_DT_STRUCT = 36,  // version 17 and later
};

#define FDT_FIRST_VERSION 16  // the oldest layout this reader knows (DT 5.2: version 17, compatible with 16)
#define FDT_LAST_VERSION 17
#define RSVMAP_ENTRY_SIZE 16  // two big-endian 64-bit values: address, size (DT 5.3.2)

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static uint64_t align4(uint64_t v) { return (v + 3) & ~(uint64_t)3; }

// Length of the NUL-terminated string at p, or `max` when there is no NUL in the first `max` bytes.
static size_t bounded_strlen(const uint8_t *p, size_t max) {
  size_t n = 0;
  while (n < max && p[n] != 0) n++;
  return n;
}

static size_t cstrlen(const char *s) {
  size_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

static bool bytes_equal(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

const char *fdt_status_name(fdt_status status) {
  switch (status) {
    case FDT_OK:
      return "ok";
    case FDT_ERR_BAD_MAGIC:
      return "bad_magic";
    case FDT_ERR_TRUNCATED:
      return "truncated";
    case FDT_ERR_BAD_VERSION:
      return "bad_version";
    case FDT_ERR_BAD_LAYOUT:
      return "bad_layout";
    case FDT_ERR_BAD_TOKEN:
      return "bad_token";
    case FDT_ERR_BAD_NESTING:
      return "bad_nesting";
    case FDT_ERR_BAD_STRING:
      return "bad_string";
    case FDT_ERR_NOT_FOUND:
      return "not_found";
    case FDT_ERR_BAD_VALUE:
      return "bad_value";
    case FDT_ERR_UNSUPPORTED:
      return "unsupported";
    case FDT_ERR_NO_SPACE:
      return "no_space";
    case FDT_ERR_BAD_ARGUMENT:
      return "bad_argument";
  }
  return "unknown";
}

// One decoded structure token.
typedef struct token {
  uint32_t kind;
  uint32_t next;         // offset of the following token inside the structure block
  const char *name;      // BEGIN_NODE: the unit name; PROP: the property name (both NUL-terminated, in bounds)
  const uint8_t *value;  // PROP only
  uint32_t len;          // PROP only
} token;

// Decodes the token at structure-block offset `pos`, checking it lies wholly inside the block and that the
// names it carries are terminated inside their blocks. Never reads outside the blob.
static fdt_status read_token(const fdt_blob *b, uint32_t pos, token *t) {
  const uint8_t *s = b->data + b->struct_off;
  uint64_t size = b->struct_size;
  if ((uint64_t)pos + 4 > size) return FDT_ERR_TRUNCATED;
  t->kind = be32(s + pos);
  uint64_t at = (uint64_t)pos + 4;
  switch (t->kind) {
    case TOKEN_BEGIN_NODE: {
      size_t n = bounded_strlen(s + at, (size_t)(size - at));
      if (n == size - at) return FDT_ERR_BAD_STRING;
      t->name = (const char *)(s + at);
      at = align4(at + n + 1);
      if (at > size) return FDT_ERR_TRUNCATED;
      break;
    }
    case TOKEN_PROP: {
      if (at + 8 > size) return FDT_ERR_TRUNCATED;
      uint32_t len = be32(s + at);
      uint32_t nameoff = be32(s + at + 4);
      at += 8;
      if (len > size - at) return FDT_ERR_TRUNCATED;
      if (nameoff >= b->strings_size) return FDT_ERR_BAD_STRING;
      const uint8_t *strings = b->data + b->strings_off;
      size_t room = b->strings_size - nameoff;
      if (bounded_strlen(strings + nameoff, room) == room) return FDT_ERR_BAD_STRING;
      t->name = (const char *)(strings + nameoff);
      t->value = s + at;
      t->len = len;
      at = align4(at + len);
      if (at > size) at = size;  // the last value's padding may be cut off by the block's end
      break;
    }
    case TOKEN_END_NODE:
    case TOKEN_NOP:
    case TOKEN_END:
      break;
    default:
      return FDT_ERR_BAD_TOKEN;
  }
  t->next = (uint32_t)at;
  return FDT_OK;
}

// Walks the whole structure block: exactly one root node, properties only inside nodes, nesting balanced and
// at most FDT_MAX_DEPTH deep, FDT_END after the root. Sets *root_off to the root's BEGIN_NODE.
static fdt_status check_structure(const fdt_blob *b, uint32_t *root_off) {
  uint32_t pos = 0, depth = 0;
  bool seen_root = false;
  for (;;) {
    token t;
    fdt_status st = read_token(b, pos, &t);
    if (st != FDT_OK) return st;
    switch (t.kind) {
      case TOKEN_BEGIN_NODE:
        if (depth == 0) {
          if (seen_root) return FDT_ERR_BAD_TOKEN;  // a second root
          seen_root = true;
          *root_off = pos;
        }
        if (++depth > FDT_MAX_DEPTH) return FDT_ERR_BAD_NESTING;
        break;
      case TOKEN_END_NODE:
        if (depth == 0) return FDT_ERR_BAD_NESTING;
        depth--;
        break;
      case TOKEN_PROP:
        if (depth == 0) return FDT_ERR_BAD_TOKEN;  // a property outside every node
        break;
      case TOKEN_NOP:
        break;
      case TOKEN_END:
        if (depth != 0) return FDT_ERR_BAD_NESTING;
        if (!seen_root) return FDT_ERR_BAD_TOKEN;
        return FDT_OK;
    }
    pos = t.next;  // every token is at least 4 bytes: the walk ends
  }
}

fdt_status fdt_open(fdt_blob *out, const void *data, size_t len) {
  if (out == NULL || data == NULL) return FDT_ERR_BAD_ARGUMENT;
  const uint8_t *p = data;
  if (len < 4) return FDT_ERR_TRUNCATED;
  if (be32(p + HDR_MAGIC) != FDT_MAGIC) return FDT_ERR_BAD_MAGIC;
  if (len < FDT_HEADER_SIZE) return FDT_ERR_TRUNCATED;

  fdt_blob b = {.data = p};
  b.total_size = be32(p + HDR_TOTALSIZE);
  if (b.total_size < FDT_HEADER_SIZE || b.total_size > len) return FDT_ERR_TRUNCATED;
  uint32_t version = be32(p + HDR_VERSION);
  if (version < FDT_FIRST_VERSION || be32(p + HDR_LAST_COMP_VERSION) > FDT_LAST_VERSION) {
    return FDT_ERR_BAD_VERSION;
  }
  b.boot_cpuid_phys = be32(p + HDR_BOOT_CPUID_PHYS);

  // DT 5.1: the reservation block is 8-byte aligned, the structure block 4-byte aligned; all follow the header.
  b.rsvmap_off = be32(p + HDR_OFF_MEM_RSVMAP);
  b.struct_off = be32(p + HDR_OFF_DT_STRUCT);
  b.strings_off = be32(p + HDR_OFF_DT_STRINGS);
  b.strings_size = be32(p + HDR_SIZE_DT_STRINGS);
  if (b.rsvmap_off % 8 != 0 || b.struct_off % 4 != 0) return FDT_ERR_BAD_LAYOUT;
  if (b.rsvmap_off < FDT_HEADER_SIZE || b.struct_off < FDT_HEADER_SIZE || b.strings_off < FDT_HEADER_SIZE) {
    return FDT_ERR_BAD_LAYOUT;
  }
  if (b.rsvmap_off > b.total_size || b.struct_off > b.total_size || b.strings_off > b.total_size) {
    return FDT_ERR_TRUNCATED;
  }
  // Version 16 has no size_dt_struct: the structure block may run to the end (its FDT_END bounds it).
  b.struct_size = version >= 17 ? be32(p + HDR_SIZE_DT_STRUCT) : b.total_size - b.struct_off;
  if (b.struct_size > b.total_size - b.struct_off) return FDT_ERR_TRUNCATED;
  if (b.strings_size > b.total_size - b.strings_off) return FDT_ERR_TRUNCATED;

  // DT 5.3: (address, size) pairs up to one of (0, 0).
  for (uint64_t at = b.rsvmap_off;; at += RSVMAP_ENTRY_SIZE) {
    if (at + RSVMAP_ENTRY_SIZE > b.total_size) return FDT_ERR_TRUNCATED;
    if (be64(p + at) == 0 && be64(p + at + 8) == 0) break;
    b.rsvmap_count++;
  }

  fdt_status st = check_structure(&b, &b.root_off);
  if (st != FDT_OK) return st;
  *out = b;
  return FDT_OK;
}

fdt_node fdt_root(const fdt_blob *blob) { return (fdt_node){blob->root_off}; }

// Reads the BEGIN_NODE token that `node` must point at.
static fdt_status read_node(const fdt_blob *b, fdt_node node, token *t) {
  if (b == NULL) return FDT_ERR_BAD_ARGUMENT;
  if (node.offset % 4 != 0) return FDT_ERR_BAD_ARGUMENT;
  if (read_token(b, node.offset, t) != FDT_OK || t->kind != TOKEN_BEGIN_NODE) return FDT_ERR_BAD_ARGUMENT;
  return FDT_OK;
}

const char *fdt_node_name(const fdt_blob *blob, fdt_node node) {
  token t;
  return read_node(blob, node, &t) == FDT_OK ? t.name : NULL;
}

// The offset after the END_NODE that closes the node whose BEGIN_NODE is at `pos`.
static fdt_status skip_node(const fdt_blob *b, uint32_t pos, uint32_t *after) {
  uint32_t depth = 0;
  for (;;) {
    token t;
    fdt_status st = read_token(b, pos, &t);
    if (st != FDT_OK) return st;
    if (t.kind == TOKEN_BEGIN_NODE) depth++;
    if (t.kind == TOKEN_END_NODE && --depth == 0) {
      *after = t.next;
      return FDT_OK;
    }
    if (t.kind == TOKEN_END) return FDT_ERR_BAD_NESTING;
    pos = t.next;
  }
}

// From `pos` inside a node's body (after its BEGIN_NODE or after one child's END_NODE), the next child's
// BEGIN_NODE, skipping properties and NOPs; FDT_ERR_NOT_FOUND at the node's END_NODE.
static fdt_status next_child_from(const fdt_blob *b, uint32_t pos, fdt_node *child) {
  for (;;) {
    token t;
    fdt_status st = read_token(b, pos, &t);
    if (st != FDT_OK) return st;
    if (t.kind == TOKEN_BEGIN_NODE) {
      *child = (fdt_node){pos};
      return FDT_OK;
    }
    if (t.kind == TOKEN_END_NODE || t.kind == TOKEN_END) return FDT_ERR_NOT_FOUND;
    pos = t.next;
  }
}

fdt_status fdt_first_child(const fdt_blob *blob, fdt_node parent, fdt_node *child) {
  token t;
  fdt_status st = read_node(blob, parent, &t);
  if (st != FDT_OK) return st;
  if (child == NULL) return FDT_ERR_BAD_ARGUMENT;
  return next_child_from(blob, t.next, child);
}

fdt_status fdt_next_sibling(const fdt_blob *blob, fdt_node node, fdt_node *sibling) {
  token t;
  fdt_status st = read_node(blob, node, &t);
  if (st != FDT_OK) return st;
  if (sibling == NULL) return FDT_ERR_BAD_ARGUMENT;
  if (node.offset == blob->root_off) return FDT_ERR_NOT_FOUND;
  uint32_t after;
  st = skip_node(blob, node.offset, &after);
  if (st != FDT_OK) return st;
  return next_child_from(blob, after, sibling);
}

fdt_status fdt_parent(const fdt_blob *blob, fdt_node node, fdt_node *parent) {
  token t;
  fdt_status st = read_node(blob, node, &t);
  if (st != FDT_OK) return st;
  if (parent == NULL) return FDT_ERR_BAD_ARGUMENT;
  uint32_t stack[FDT_MAX_DEPTH];
  uint32_t depth = 0;
  for (uint32_t pos = blob->root_off;;) {
    st = read_token(blob, pos, &t);
    if (st != FDT_OK) return st;
    if (t.kind == TOKEN_BEGIN_NODE) {
      if (pos == node.offset) {
        if (depth == 0) return FDT_ERR_NOT_FOUND;
        *parent = (fdt_node){stack[depth - 1]};
        return FDT_OK;
      }
      if (depth == FDT_MAX_DEPTH) return FDT_ERR_BAD_NESTING;
      stack[depth++] = pos;
    } else if (t.kind == TOKEN_END_NODE) {
      if (depth == 0) return FDT_ERR_BAD_NESTING;
      if (--depth == 0) return FDT_ERR_BAD_ARGUMENT;  // left the root without meeting the node
    } else if (t.kind == TOKEN_END) {
      return FDT_ERR_BAD_ARGUMENT;
    }
    pos = t.next;
  }
}

// DT 2.2.1: a node name is node-name[@unit-address]. A path component with '@' must match the whole name; one
// without matches the node-name part.
static bool name_matches(const char *name, const char *comp, size_t comp_len) {
  bool comp_has_unit = false;
  for (size_t i = 0; i < comp_len; i++) comp_has_unit |= comp[i] == '@';
  size_t n = 0;
  while (name[n] != 0 && (comp_has_unit || name[n] != '@')) n++;
  return n == comp_len && bytes_equal(name, comp, n);
}

fdt_status fdt_find_path_n(const fdt_blob *blob, const char *path, size_t path_len, fdt_node *out) {
  if (blob == NULL || path == NULL || out == NULL) return FDT_ERR_BAD_ARGUMENT;
  if (path_len == 0 || path[0] != '/') return FDT_ERR_BAD_ARGUMENT;
  fdt_node cur = fdt_root(blob);
  size_t i = 0;
  while (i < path_len) {
    while (i < path_len && path[i] == '/') i++;
    size_t start = i;
    while (i < path_len && path[i] != '/') i++;
    if (i == start) break;  // trailing '/'
    fdt_node child;
    fdt_status st = fdt_first_child(blob, cur, &child);
    while (st == FDT_OK && !name_matches(fdt_node_name(blob, child), path + start, i - start)) {
      st = fdt_next_sibling(blob, child, &child);
    }
    if (st != FDT_OK) return st;
    cur = child;
  }
  *out = cur;
  return FDT_OK;
}

fdt_status fdt_find_path(const fdt_blob *blob, const char *path, fdt_node *out) {
  if (path == NULL) return FDT_ERR_BAD_ARGUMENT;
  return fdt_find_path_n(blob, path, cstrlen(path), out);
}

fdt_status fdt_get_prop(const fdt_blob *blob, fdt_node node, const char *name, fdt_prop *out) {
  token t;
  fdt_status st = read_node(blob, node, &t);
  if (st != FDT_OK) return st;
  if (name == NULL || out == NULL) return FDT_ERR_BAD_ARGUMENT;
  size_t name_len = cstrlen(name) + 1;  // compare the NUL too
  for (uint32_t pos = t.next;;) {
    st = read_token(blob, pos, &t);
    if (st != FDT_OK) return st;
    if (t.kind == TOKEN_PROP && bytes_equal(t.name, name, name_len)) {
      *out = (fdt_prop){t.value, t.len};
      return FDT_OK;
    }
    if (t.kind == TOKEN_END_NODE || t.kind == TOKEN_END) return FDT_ERR_NOT_FOUND;
    if (t.kind == TOKEN_BEGIN_NODE) {  // a child's properties are not ours
      st = skip_node(blob, pos, &t.next);
      if (st != FDT_OK) return st;
    }
    pos = t.next;
  }
}

fdt_status fdt_get_string(const fdt_blob *blob, fdt_node node, const char *name, const char **out) {
  fdt_prop p;
  fdt_status st = fdt_get_prop(blob, node, name, &p);
  if (st != FDT_OK) return st;
  if (p.len == 0 || p.data[p.len - 1] != 0) return FDT_ERR_BAD_VALUE;
  *out = (const char *)p.data;
  return FDT_OK;
}

fdt_status fdt_get_u32(const fdt_blob *blob, fdt_node node, const char *name, uint32_t *out) {
  fdt_prop p;
  fdt_status st = fdt_get_prop(blob, node, name, &p);
  if (st != FDT_OK) return st;
  if (p.len != 4) return FDT_ERR_BAD_VALUE;
  *out = be32(p.data);
  return FDT_OK;
}

bool fdt_prop_has_string(const fdt_blob *blob, fdt_node node, const char *name, const char *value) {
  fdt_prop p;
  if (value == NULL || fdt_get_prop(blob, node, name, &p) != FDT_OK) return false;
  size_t want = cstrlen(value) + 1;
  // DT 2.2.4.1 <stringlist>: NUL-terminated strings one after another; an unterminated tail never matches.
  for (uint32_t at = 0; at < p.len;) {
    size_t n = bounded_strlen(p.data + at, p.len - at);
    if (n == p.len - at) return false;
    if (n + 1 == want && bytes_equal((const char *)p.data + at, value, want)) return true;
    at += (uint32_t)n + 1;
  }
  return false;
}

fdt_status fdt_child_cells(const fdt_blob *blob, fdt_node node, uint32_t *address_cells, uint32_t *size_cells) {
  if (address_cells == NULL || size_cells == NULL) return FDT_ERR_BAD_ARGUMENT;
  uint32_t ac = 2, sc = 1;  // DT 2.3.5 defaults
  fdt_status st = fdt_get_u32(blob, node, "#address-cells", &ac);
  if (st != FDT_OK && st != FDT_ERR_NOT_FOUND) return st;
  st = fdt_get_u32(blob, node, "#size-cells", &sc);
  if (st != FDT_OK && st != FDT_ERR_NOT_FOUND) return st;
  if (ac > 2 || sc > 2) return FDT_ERR_BAD_VALUE;  // wider than 64 bits: not for this reader
  *address_cells = ac;
  *size_cells = sc;
  return FDT_OK;
}

// A big-endian value of `cells` (0..2) 32-bit cells.
static uint64_t read_cells(const uint8_t *p, uint32_t cells) { return cells == 0 ? 0 : cells == 1 ? be32(p) : be64(p); }

fdt_status fdt_reg_entry(fdt_prop reg, uint32_t address_cells, uint32_t size_cells, size_t index, fdt_range *out) {
  if (out == NULL || (reg.data == NULL && reg.len != 0) || address_cells > 2 || size_cells > 2) {
    return FDT_ERR_BAD_ARGUMENT;
  }
  uint32_t entry = (address_cells + size_cells) * 4;
  if (entry == 0 || reg.len % entry != 0) return FDT_ERR_BAD_VALUE;
  if (index >= reg.len / entry) return FDT_ERR_NOT_FOUND;
  const uint8_t *e = reg.data + index * entry;
  *out = (fdt_range){read_cells(e, address_cells), read_cells(e + address_cells * 4, size_cells)};
  return FDT_OK;
}

fdt_status fdt_get_reg(const fdt_blob *blob, fdt_node node, fdt_range *out, size_t cap, size_t *count) {
  if (count == NULL || (out == NULL && cap != 0)) return FDT_ERR_BAD_ARGUMENT;
  fdt_node parent;
  fdt_status st = fdt_parent(blob, node, &parent);
  if (st != FDT_OK) return st == FDT_ERR_NOT_FOUND ? FDT_ERR_BAD_ARGUMENT : st;  // the root has no reg
  uint32_t ac, sc;
  st = fdt_child_cells(blob, parent, &ac, &sc);
  if (st != FDT_OK) return st;
  fdt_prop reg;
  st = fdt_get_prop(blob, node, "reg", &reg);
  if (st != FDT_OK) return st;
  if (ac + sc == 0 || reg.len % ((ac + sc) * 4) != 0) return FDT_ERR_BAD_VALUE;
  size_t n = reg.len / ((ac + sc) * 4);
  if (n > cap) return FDT_ERR_NO_SPACE;
  for (size_t i = 0; i < n; i++) fdt_reg_entry(reg, ac, sc, i, &out[i]);
  *count = n;
  return FDT_OK;
}

fdt_status fdt_memreserve(const fdt_blob *blob, fdt_range *out, size_t cap, size_t *count) {
  if (blob == NULL || count == NULL || (out == NULL && cap != 0)) return FDT_ERR_BAD_ARGUMENT;
  if (blob->rsvmap_count > cap) return FDT_ERR_NO_SPACE;
  for (uint32_t i = 0; i < blob->rsvmap_count; i++) {
    const uint8_t *e = blob->data + blob->rsvmap_off + (size_t)i * RSVMAP_ENTRY_SIZE;
    out[i] = (fdt_range){be64(e), be64(e + 8)};
  }
  *count = blob->rsvmap_count;
  return FDT_OK;
}
