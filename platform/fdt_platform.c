// fdt_platform.c: the platform facts the kernel takes from a devicetree (console, reservations, PSCI, CPUs,
// memory), each as plain C data. Built on the reader in fdt.c; contracts in fdt.h.
#include "platform/fdt.h"

static bool str_equal(const char *a, const char *b) {
  while (*a != 0 && *a == *b) a++, b++;
  return *a == *b;
}

// DT 2.3.4: a node without `status`, or with "okay" (or the older "ok"), is in use.
static bool node_enabled(const fdt_blob *blob, fdt_node node) {
  const char *status;
  if (fdt_get_string(blob, node, "status", &status) != FDT_OK) return true;
  return str_equal(status, "okay") || str_equal(status, "ok");
}

// The property of `node` whose name is the `len` bytes at `name` (an alias name cut out of a longer string).
static fdt_status get_prop_n(const fdt_blob *blob, fdt_node node, const char *name, size_t len, fdt_prop *out) {
  char buf[64];  // alias names are short (DT 3.3: 1 to 31 characters)
  if (len == 0 || len >= sizeof buf) return FDT_ERR_NOT_FOUND;
  for (size_t i = 0; i < len; i++) buf[i] = name[i];
  buf[len] = 0;
  return fdt_get_prop(blob, node, buf, out);
}

fdt_status fdt_stdout_console(const fdt_blob *blob, fdt_console *out) {
  if (blob == NULL || out == NULL) return FDT_ERR_BAD_ARGUMENT;
  fdt_node chosen, uart;
  fdt_status st = fdt_find_path(blob, "/chosen", &chosen);
  if (st != FDT_OK) return st;
  const char *path;
  st = fdt_get_string(blob, chosen, "stdout-path", &path);
  if (st != FDT_OK) return st;
  // DT 3.6: "path[:options]"; the options (baud rate and so on) are the console driver's business.
  size_t len = 0;
  while (path[len] != 0 && path[len] != ':') len++;
  if (len > 0 && path[0] != '/') {
    // DT 3.3: not a path but the name of a property of /aliases whose value is the path.
    fdt_node aliases;
    fdt_prop alias;
    st = fdt_find_path(blob, "/aliases", &aliases);
    if (st == FDT_OK) st = get_prop_n(blob, aliases, path, len, &alias);
    if (st != FDT_OK) return st;
    if (alias.len == 0 || alias.data[alias.len - 1] != 0) return FDT_ERR_BAD_VALUE;
    path = (const char *)alias.data;
    len = alias.len - 1;
  }
  st = fdt_find_path_n(blob, path, len, &uart);
  if (st == FDT_ERR_BAD_ARGUMENT) return FDT_ERR_BAD_VALUE;  // not an absolute path
  if (st != FDT_OK) return st;

  fdt_console c = {0};
  if (fdt_prop_has_string(blob, uart, "compatible", "arm,pl011")) {
    c.kind = FDT_CONSOLE_PL011;  // 32-bit registers 4 bytes apart (PL011 TRM), offsets given as-is
    c.reg_shift = 0;
    c.io_width = 4;
  } else if (fdt_prop_has_string(blob, uart, "compatible", "ns16550a") ||
             fdt_prop_has_string(blob, uart, "compatible", "ns16550") ||
             fdt_prop_has_string(blob, uart, "compatible", "snps,dw-apb-uart")) {
    // The 8250/16550 binding: register i is at base + (i << reg-shift), accessed reg-io-width bytes wide.
    c.kind = FDT_CONSOLE_NS16550;
    c.reg_shift = 0;
    c.io_width = 1;
    st = fdt_get_u32(blob, uart, "reg-shift", &c.reg_shift);
    if (st != FDT_OK && st != FDT_ERR_NOT_FOUND) return st;
    st = fdt_get_u32(blob, uart, "reg-io-width", &c.io_width);
    if (st != FDT_OK && st != FDT_ERR_NOT_FOUND) return st;
    if (c.reg_shift > 3 || (c.io_width != 1 && c.io_width != 2 && c.io_width != 4)) return FDT_ERR_BAD_VALUE;
  } else {
    return FDT_ERR_UNSUPPORTED;
  }
  fdt_range reg[4];
  size_t n;
  st = fdt_get_reg(blob, uart, reg, 4, &n);
  if (st == FDT_ERR_NO_SPACE) st = FDT_ERR_BAD_VALUE;
  if (st != FDT_OK) return st;
  if (n == 0) return FDT_ERR_BAD_VALUE;
  c.base = reg[0].base;
  *out = c;
  return FDT_OK;
}

// Entry `i` of `node`'s `reg`, decoded with the parent's cells. FDT_ERR_NOT_FOUND past the end or without reg.
static fdt_status reg_entry(const fdt_blob *blob, fdt_node node, uint32_t ac, uint32_t sc, size_t i, fdt_range *out) {
  fdt_prop reg;
  fdt_status st = fdt_get_prop(blob, node, "reg", &reg);
  if (st != FDT_OK) return st;
  return fdt_reg_entry(reg, ac, sc, i, out);
}

fdt_status fdt_reserved_memory(const fdt_blob *blob, fdt_reserved *out, size_t cap, size_t *count) {
  if (blob == NULL || count == NULL || (out == NULL && cap != 0)) return FDT_ERR_BAD_ARGUMENT;
  fdt_node rm, child;
  fdt_status st = fdt_find_path(blob, "/reserved-memory", &rm);
  if (st == FDT_ERR_NOT_FOUND) {
    *count = 0;
    return FDT_OK;
  }
  if (st != FDT_OK) return st;
  uint32_t ac, sc;
  st = fdt_child_cells(blob, rm, &ac, &sc);
  if (st != FDT_OK) return st;
  // Two passes: count (and validate) first, so a short array or a bad entry writes nothing.
  for (int pass = 0; pass < 2; pass++) {
    size_t n = 0;
    for (st = fdt_first_child(blob, rm, &child); st == FDT_OK; st = fdt_next_sibling(blob, child, &child)) {
      if (!node_enabled(blob, child)) continue;
      fdt_prop no_map;
      bool nomap = fdt_get_prop(blob, child, "no-map", &no_map) == FDT_OK;
      fdt_range r;
      fdt_status est;
      for (size_t i = 0; (est = reg_entry(blob, child, ac, sc, i, &r)) == FDT_OK; i++, n++) {
        if (pass == 1) out[n] = (fdt_reserved){r, fdt_node_name(blob, child), nomap};
      }
      if (est != FDT_ERR_NOT_FOUND) return est;  // a reg that does not decode
    }
    if (st != FDT_ERR_NOT_FOUND) return st;
    if (pass == 0 && n > cap) return FDT_ERR_NO_SPACE;
    if (pass == 1) *count = n;
  }
  return FDT_OK;
}

fdt_status fdt_psci(const fdt_blob *blob, fdt_psci_method *out) {
  if (blob == NULL || out == NULL) return FDT_ERR_BAD_ARGUMENT;
  fdt_node psci;
  const char *method;
  fdt_status st = fdt_find_path(blob, "/psci", &psci);
  if (st == FDT_OK) st = fdt_get_string(blob, psci, "method", &method);
  if (st != FDT_OK) return st;
  // The Arm PSCI binding (Linux Documentation/devicetree/bindings/arm/psci.yaml): "hvc" or "smc".
  if (str_equal(method, "hvc")) {
    *out = FDT_PSCI_HVC;
  } else if (str_equal(method, "smc")) {
    *out = FDT_PSCI_SMC;
  } else {
    return FDT_ERR_UNSUPPORTED;
  }
  return FDT_OK;
}

static bool device_type_is(const fdt_blob *blob, fdt_node node, const char *type) {
  const char *t;
  return fdt_get_string(blob, node, "device_type", &t) == FDT_OK && str_equal(t, type);
}

fdt_status fdt_cpus_walk(const fdt_blob *blob, fdt_cpu_fn fn, void *ctx, size_t *count) {
  if (blob == NULL || fn == NULL) return FDT_ERR_BAD_ARGUMENT;
  fdt_node cpus, cpu;
  fdt_status st = fdt_find_path(blob, "/cpus", &cpus);
  if (st != FDT_OK) return st;
  uint32_t ac, sc;
  st = fdt_child_cells(blob, cpus, &ac, &sc);
  if (st != FDT_OK) return st;
  // DT 3.7: /cpus has #address-cells 1 or 2 and #size-cells 0.
  if (ac == 0 || sc != 0) return FDT_ERR_BAD_VALUE;
  // Pass 0 checks every cpu node, so a bad one is reported before the first call.
  for (int pass = 0; pass < 2; pass++) {
    size_t n = 0;
    for (st = fdt_first_child(blob, cpus, &cpu); st == FDT_OK; st = fdt_next_sibling(blob, cpu, &cpu)) {
      if (!device_type_is(blob, cpu, "cpu")) continue;  // cpu-map and the like
      fdt_range r;
      fdt_status est = reg_entry(blob, cpu, ac, sc, 0, &r);
      if (est != FDT_OK) return FDT_ERR_BAD_VALUE;  // DT 3.8.1: reg is required
      if (pass == 1) {
        fdt_cpu c = {r.base, node_enabled(blob, cpu)};
        fn(ctx, &c);
      }
      n++;
    }
    if (st != FDT_ERR_NOT_FOUND) return st;
    if (pass == 1 && count != NULL) *count = n;
  }
  return FDT_OK;
}

typedef struct cpus_into {
  fdt_cpu *out;
  size_t n;
} cpus_into;

static void cpu_into(void *ctx, const fdt_cpu *cpu) {
  cpus_into *c = ctx;
  c->out[c->n++] = *cpu;
}

static void cpu_count(void *ctx, const fdt_cpu *cpu) {
  (void)cpu;
  (*(size_t *)ctx)++;
}

fdt_status fdt_cpus(const fdt_blob *blob, fdt_cpu *out, size_t cap, size_t *count) {
  if (blob == NULL || count == NULL || (out == NULL && cap != 0)) return FDT_ERR_BAD_ARGUMENT;
  size_t n = 0;
  fdt_status st = fdt_cpus_walk(blob, cpu_count, &n, NULL);
  if (st != FDT_OK) return st;
  if (n > cap) return FDT_ERR_NO_SPACE;
  cpus_into into = {out, 0};
  st = fdt_cpus_walk(blob, cpu_into, &into, count);
  return st;
}

fdt_status fdt_memory(const fdt_blob *blob, fdt_range *out, size_t cap, size_t *count) {
  if (blob == NULL || count == NULL || (out == NULL && cap != 0)) return FDT_ERR_BAD_ARGUMENT;
  fdt_node root = fdt_root(blob), mem;
  uint32_t ac, sc;
  fdt_status st = fdt_child_cells(blob, root, &ac, &sc);
  if (st != FDT_OK) return st;
  for (int pass = 0; pass < 2; pass++) {
    size_t n = 0;
    for (st = fdt_first_child(blob, root, &mem); st == FDT_OK; st = fdt_next_sibling(blob, mem, &mem)) {
      if (!device_type_is(blob, mem, "memory") || !node_enabled(blob, mem)) continue;
      fdt_range r;
      fdt_status est;
      for (size_t i = 0; (est = reg_entry(blob, mem, ac, sc, i, &r)) == FDT_OK; i++, n++) {
        if (pass == 1) out[n] = r;
      }
      if (est != FDT_ERR_NOT_FOUND) return est;
    }
    if (st != FDT_ERR_NOT_FOUND) return st;
    if (pass == 0 && n > cap) return FDT_ERR_NO_SPACE;
    if (pass == 1) *count = n;
  }
  return FDT_OK;
}

fdt_status fdt_memory_numa(const fdt_blob *blob, fdt_memory_range_fn fn, void *arg) {
  if (blob == NULL || fn == NULL) return FDT_ERR_BAD_ARGUMENT;
  fdt_node root = fdt_root(blob), mem;
  uint32_t ac, sc;
  fdt_status st = fdt_child_cells(blob, root, &ac, &sc);
  if (st != FDT_OK) return st;
  // Pass 0 checks every node, pass 1 calls `fn`: a broken node means no call at all.
  for (int pass = 0; pass < 2; pass++) {
    for (st = fdt_first_child(blob, root, &mem); st == FDT_OK; st = fdt_next_sibling(blob, mem, &mem)) {
      if (!device_type_is(blob, mem, "memory") || !node_enabled(blob, mem)) continue;
      // numa-node-id: one u32 cell (Linux Documentation/devicetree/bindings/numa.txt, section 2).
      uint32_t id = 0;
      fdt_status ist = fdt_get_u32(blob, mem, "numa-node-id", &id);
      if (ist != FDT_OK && ist != FDT_ERR_NOT_FOUND) return ist;
      fdt_range r;
      fdt_status est;
      for (size_t i = 0; (est = reg_entry(blob, mem, ac, sc, i, &r)) == FDT_OK; i++) {
        if (pass == 1) {
          fdt_memory_range m = {r, id, ist == FDT_OK};
          fn(arg, &m);
        }
      }
      if (est != FDT_ERR_NOT_FOUND) return est;
    }
    if (st != FDT_ERR_NOT_FOUND) return st;
  }
  return FDT_OK;
}
