// fdt.h: a small reader of flattened devicetree blobs (DTB), and the platform facts the kernel takes from one.
//
// Portable C11, no libc, no allocation: every result points into the caller's blob or is plain data written to
// caller-supplied storage. Citations are to the Devicetree Specification v0.4 ("DT 5.2" = section 5.2).
//
// fdt_open validates the whole blob once: the header (DT 5.2), the memory reservation block (DT 5.3), every
// token of the structure block (DT 5.4) and every string a token names (DT 5.5), each offset and length against
// totalsize and its block. Only an opened blob is given to the other functions, and they still bounds-check
// everything they read, so no input makes the reader read outside [data, data + totalsize).
//
// Errors are values. A function that fails leaves its outputs untouched.
#ifndef PLATFORM_FDT_H
#define PLATFORM_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum fdt_status {
  FDT_OK = 0,
  FDT_ERR_BAD_MAGIC,    // the first word is not 0xd00dfeed (DT 5.2)
  FDT_ERR_TRUNCATED,    // the blob, a block, a token, a property value or the reservation list runs past its end
  FDT_ERR_BAD_VERSION,  // version < 16 or last_comp_version > 17 (DT 5.2)
  FDT_ERR_BAD_LAYOUT,   // a block misaligned or overlapping the header (DT 5.1, 5.2)
  FDT_ERR_BAD_TOKEN,    // an unknown structure token, or one where it may not be (DT 5.4.1)
  FDT_ERR_BAD_NESTING,  // END_NODE without BEGIN_NODE, nodes left open at FDT_END, nesting beyond FDT_MAX_DEPTH
  FDT_ERR_BAD_STRING,   // a node name or property name not NUL-terminated inside its block
  FDT_ERR_NOT_FOUND,    // no such node or property (or iteration reached its end)
  FDT_ERR_BAD_VALUE,    // a property's length or content does not fit what it must hold
  FDT_ERR_UNSUPPORTED,  // well formed but not something this reader handles (e.g. an unknown console type)
  FDT_ERR_NO_SPACE,     // the caller's output array is too small; nothing was written
  FDT_ERR_BAD_ARGUMENT, // a NULL pointer or a node handle that does not start a node
} fdt_status;

// Stable lowercase name, e.g. "bad_magic", for logs.
const char *fdt_status_name(fdt_status status);

#define FDT_MAGIC 0xd00dfeedu
#define FDT_HEADER_SIZE 40u  // ten big-endian 32-bit fields, version 17 (DT 5.2)
#define FDT_MAX_DEPTH 16     // deepest node nesting accepted (the root is depth 1)

// An opened blob. Fields are the validated header facts; treat as read-only.
typedef struct fdt_blob {
  const uint8_t *data;
  uint32_t total_size;
  uint32_t struct_off, struct_size;    // structure block
  uint32_t strings_off, strings_size;  // strings block
  uint32_t rsvmap_off;                 // memory reservation block
  uint32_t rsvmap_count;               // /memreserve/ entries before the terminating (0, 0)
  uint32_t root_off;                   // the root node's BEGIN_NODE, inside the structure block
  uint32_t boot_cpuid_phys;
} fdt_blob;

// A node: the offset of its BEGIN_NODE token inside the structure block.
typedef struct fdt_node {
  uint32_t offset;
} fdt_node;

// A property value: `len` bytes at `data`, inside the blob.
typedef struct fdt_prop {
  const uint8_t *data;
  uint32_t len;
} fdt_prop;

// A physical range [base, base + size).
typedef struct fdt_range {
  uint64_t base;
  uint64_t size;
} fdt_range;

// --- The reader ---

// Validates `len` bytes at `data` as a devicetree blob and fills *out. `len` may exceed totalsize (the rest is
// ignored); totalsize larger than `len` is FDT_ERR_TRUNCATED.
fdt_status fdt_open(fdt_blob *out, const void *data, size_t len);

// The root node.
fdt_node fdt_root(const fdt_blob *blob);

// The node's name with its unit address ("cpu@1"); "" for the root. NUL-terminated, inside the blob. NULL when
// `node` does not start a node.
const char *fdt_node_name(const fdt_blob *blob, fdt_node node);

// Children in blob order: the first child of `parent`, then each next sibling. FDT_ERR_NOT_FOUND at the end.
fdt_status fdt_first_child(const fdt_blob *blob, fdt_node parent, fdt_node *child);
fdt_status fdt_next_sibling(const fdt_blob *blob, fdt_node node, fdt_node *sibling);

// The parent of `node` (FDT_ERR_NOT_FOUND for the root).
fdt_status fdt_parent(const fdt_blob *blob, fdt_node node, fdt_node *parent);

// Looks a node up by its absolute path, "/cpus/cpu@1" (DT 2.2.3). A component with a unit address matches the
// node name exactly; one without ("memory") matches the first child whose name before '@' is equal (DT 2.2.1).
// fdt_find_path_n takes the path's length (the path need not be NUL-terminated).
fdt_status fdt_find_path(const fdt_blob *blob, const char *path, fdt_node *out);
fdt_status fdt_find_path_n(const fdt_blob *blob, const char *path, size_t path_len, fdt_node *out);

// The property `name` of `node` (DT 2.2.4).
fdt_status fdt_get_prop(const fdt_blob *blob, fdt_node node, const char *name, fdt_prop *out);

// A property that is a NUL-terminated string (DT 2.2.4.1 <string>); FDT_ERR_BAD_VALUE when it is not.
fdt_status fdt_get_string(const fdt_blob *blob, fdt_node node, const char *name, const char **out);

// A one-cell property (<u32>); FDT_ERR_BAD_VALUE when its length is not 4.
fdt_status fdt_get_u32(const fdt_blob *blob, fdt_node node, const char *name, uint32_t *out);

// True when the <stringlist> property `name` holds `value` as one of its strings (e.g. "compatible").
bool fdt_prop_has_string(const fdt_blob *blob, fdt_node node, const char *name, const char *value);

// The #address-cells and #size-cells a node gives its children (DT 2.3.5: absent means 2 and 1).
// FDT_ERR_BAD_VALUE when either is present but not one cell, or #address-cells > 2, or #size-cells > 2.
fdt_status fdt_child_cells(const fdt_blob *blob, fdt_node node, uint32_t *address_cells, uint32_t *size_cells);

// The node's `reg` (DT 2.3.6) decoded with its parent's cells: writes up to `cap` ranges, sets *count to the
// number of entries. FDT_ERR_NO_SPACE when there are more than `cap`; FDT_ERR_BAD_VALUE when the length is not a
// multiple of one entry. A node without `reg` is FDT_ERR_NOT_FOUND.
fdt_status fdt_get_reg(const fdt_blob *blob, fdt_node node, fdt_range *out, size_t cap, size_t *count);

// Entry `index` of a `reg` value whose entries are (address, size), `address_cells` and `size_cells` cells wide
// (each at most 2). FDT_ERR_NOT_FOUND past the last entry; FDT_ERR_BAD_VALUE when the length is not a multiple
// of one entry (or an entry is 0 cells).
fdt_status fdt_reg_entry(fdt_prop reg, uint32_t address_cells, uint32_t size_cells, size_t index, fdt_range *out);

// The /memreserve/ entries (DT 5.3), in blob order, up to `cap`; *count set to the number. FDT_ERR_NO_SPACE when
// there are more than `cap`.
fdt_status fdt_memreserve(const fdt_blob *blob, fdt_range *out, size_t cap, size_t *count);

// --- What the kernel takes from a devicetree (fdt_platform.c) ---

typedef enum fdt_console_kind {
  FDT_CONSOLE_PL011 = 1,  // "arm,pl011"
  FDT_CONSOLE_NS16550,    // "ns16550a", "ns16550" or "snps,dw-apb-uart"
} fdt_console_kind;

typedef struct fdt_console {
  fdt_console_kind kind;
  uint64_t base;       // the first `reg` entry's base
  uint32_t reg_shift;  // registers are (1 << reg_shift) bytes apart ("reg-shift", default 0)
  uint32_t io_width;   // access width in bytes ("reg-io-width", default 1; 4 for a PL011)
} fdt_console;

// The console named by /chosen/stdout-path (DT 3.6): ":options" stripped, an alias resolved through /aliases
// (DT 3.3), then the node's `compatible` and `reg`. FDT_ERR_NOT_FOUND without /chosen/stdout-path or when the
// path or alias names no node; FDT_ERR_UNSUPPORTED for an unknown compatible.
fdt_status fdt_stdout_console(const fdt_blob *blob, fdt_console *out);

// One /reserved-memory range (DT 3.5.2): the child node's name labels it, `no-map` says the OS must not map it.
// A child with several `reg` entries gives one entry each; children without `reg` (dynamic placement) are
// skipped.
typedef struct fdt_reserved {
  fdt_range range;
  const char *name;  // the node name, inside the blob
  bool no_map;
} fdt_reserved;

// The /reserved-memory ranges, up to `cap`; *count set. A blob without /reserved-memory gives none (FDT_OK).
fdt_status fdt_reserved_memory(const fdt_blob *blob, fdt_reserved *out, size_t cap, size_t *count);

typedef enum fdt_psci_method {
  FDT_PSCI_HVC = 1,
  FDT_PSCI_SMC,
} fdt_psci_method;

// The conduit of /psci's `method` ("hvc" or "smc"). FDT_ERR_NOT_FOUND without /psci or `method`;
// FDT_ERR_UNSUPPORTED for another value.
fdt_status fdt_psci(const fdt_blob *blob, fdt_psci_method *out);

typedef struct fdt_cpu {
  uint64_t mpidr;  // `reg` (DT 3.8.1, with /cpus #address-cells of 1 or 2)
  bool enabled;    // `status` absent or "okay" (DT 2.3.4); "disabled" and anything else is false
} fdt_cpu;

// The /cpus children whose device_type is "cpu" (DT 3.7, 3.8), up to `cap`; *count set. FDT_ERR_NOT_FOUND
// without /cpus; FDT_ERR_BAD_VALUE for a cpu without a one-entry `reg`.
fdt_status fdt_cpus(const fdt_blob *blob, fdt_cpu *out, size_t cap, size_t *count);

// The same /cpus children, one call of `fn` each in blob order, without storage (the SMP bring-up counts them
// before it allocates). Every cpu node is checked first, so on an error `fn` has not been called. `count` (may be
// NULL) receives the number of calls.
typedef void (*fdt_cpu_fn)(void *ctx, const fdt_cpu *cpu);
fdt_status fdt_cpus_walk(const fdt_blob *blob, fdt_cpu_fn fn, void *ctx, size_t *count);

// The `reg` ranges of every root child whose device_type is "memory" (DT 3.4), in blob order, up to `cap`;
// *count set.
fdt_status fdt_memory(const fdt_blob *blob, fdt_range *out, size_t cap, size_t *count);

// One /memory `reg` range with its node's `numa-node-id` (a u32; Linux Documentation/devicetree/bindings/numa.txt
// section 2), for the NUMA node table.
typedef struct fdt_memory_range {
  fdt_range range;
  uint32_t node_id;  // 0 when absent
  bool has_node_id;
} fdt_memory_range;

typedef void (*fdt_memory_range_fn)(void *arg, const fdt_memory_range *range);

// Calls `fn` for each range fdt_memory gives, in blob order, with its node's numa-node-id. Everything is checked
// before the first call: FDT_ERR_BAD_VALUE (a numa-node-id that is not one cell, a bad `reg`) means no call.
fdt_status fdt_memory_numa(const fdt_blob *blob, fdt_memory_range_fn fn, void *arg);

#endif  // PLATFORM_FDT_H
