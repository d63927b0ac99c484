// memmap_text.h: reads a physical memory map out of a boot log, as Linux or this kernel printed it.
//
// Host only (C11 + libc); used by mmreplay and its tests. Independent of mm/: it turns text into ranges and
// type numbers, nothing more. Converting the entries into EFI descriptors and running mm/ on them is the
// replay engine's job (replay.h).
//
// Formats (each line may carry a `[    0.000000] ` timestamp or any other prefix; lines that are not map
// lines are ignored):
//   kernel     this kernel's log: `mm.desc idx=N type=N phys=0x.. pages=N attr=0x..` and
//              `mm.reserve phys=0x.. end=0x.. kind=NAME label=NAME` (plus mm.plan / mm.stats / mm.firmware_map,
//              kept for comparison)
//   linux-efi  `efi: mem07: type=7, attr=0xf, range=[0x..-0x..) (1MB)`,
//              `efi: mem07: [Conventional Memory|   |..|UC] range=[0x..-0x..) (1MB)` or with an inclusive `]` end,
//              `efi: mem41: [Reserved |attr=0x0700..0f] range=[..]` (undefined attribute bits),
//              the arm64 form `efi:   0x000080000000-0x0000809fffff [Conventional|  |..|UC]` (inclusive)
//   e820       `BIOS-e820: [mem 0x..-0x..] usable` (inclusive) and the 2.6-era
//              ` BIOS-e820: 0000000000100000 - 000000007fff0000 (usable)` (exclusive, not always page aligned)
#ifndef TOOLS_HOSTLIB_MEMMAP_TEXT_H
#define TOOLS_HOSTLIB_MEMMAP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum memmap_format {
  MEMMAP_FORMAT_AUTO = 0,  // only as a request: pick the format from the text
  MEMMAP_FORMAT_KERNEL,
  MEMMAP_FORMAT_LINUX_EFI,
  MEMMAP_FORMAT_E820,
} memmap_format;

// "auto", "kernel", "linux-efi", "e820".
const char *memmap_format_name(memmap_format format);
// The format named `name` (one of the above); false if there is none.
bool memmap_format_from_name(const char *name, memmap_format *out);

// What the bytes of an entry count as in the report's "bytes" object (e820 `usable` is conventional).
typedef enum memmap_class {
  MEMMAP_CLASS_CONVENTIONAL = 0,
  MEMMAP_CLASS_BOOT_SERVICES,
  MEMMAP_CLASS_LOADER,
  MEMMAP_CLASS_RUNTIME_SERVICES,
  MEMMAP_CLASS_ACPI_RECLAIM,
  MEMMAP_CLASS_ACPI_NVS,
  MEMMAP_CLASS_MMIO,
  MEMMAP_CLASS_RESERVED,
  MEMMAP_CLASS_PERSISTENT,
  MEMMAP_CLASS_UNUSABLE,
  MEMMAP_CLASS_OTHER,  // PAL code, unaccepted, unknown / OEM / e820 "type N"
  MEMMAP_CLASS_COUNT,
} memmap_class;

// "conventional", "boot_services", ... (the JSON keys).
const char *memmap_class_name(memmap_class cls);
// The class of an EFI_MEMORY_TYPE value (UEFI 2.10, table 7-5); values past the table are "other".
memmap_class memmap_class_of_efi_type(uint32_t efi_type);

// e820 types that are not EFI types are carried as EFI OEM values (0x70000000 | e820 type), which mm/ treats as
// unknown (reserved) and counts as a repair. See memmap_efi_type_of_e820.
#define MEMMAP_E820_OEM_BASE 0x70000000u

// The EFI memory type a Linux e820 type stands for: 1 usable -> 7 conventional, 2 reserved -> 0,
// 3 ACPI data -> 9, 4 ACPI NVS -> 10, 5 unusable -> 8, 7 and 12 persistent -> 14,
// 0xefffffff soft reserved -> 0; any other type N -> MEMMAP_E820_OEM_BASE | N.
uint32_t memmap_efi_type_of_e820(uint32_t e820_type);
// The EFI attribute bits an e820 type stands for: usable (1) is write-back RAM, EFI_MEMORY_WB (0x8); others 0.
uint64_t memmap_efi_attribute_of_e820(uint32_t e820_type);

typedef struct memmap_entry {
  uint64_t base;  // as printed
  uint64_t end;   // exclusive (inclusive ends are converted), as printed: may be unaligned for e820
  uint32_t efi_type;   // EFI_MEMORY_TYPE (e820 types converted by memmap_efi_type_of_e820)
  uint32_t raw_type;   // the number the line carried (e820 type for e820, EFI type otherwise)
  uint64_t attribute;  // EFI attribute bits (for e820: memmap_efi_attribute_of_e820)
  memmap_class cls;
  unsigned line;  // 1-based line number in the input
} memmap_entry;

#define MEMMAP_NAME_MAX 24  // kind / label text, NUL included (longer values are truncated)

// A `mm.reserve` line of this kernel's log.
typedef struct memmap_reservation {
  uint64_t base;
  uint64_t end;  // exclusive
  char kind[MEMMAP_NAME_MAX];
  char label[MEMMAP_NAME_MAX];
  unsigned line;
} memmap_reservation;

// The summary lines of this kernel's log; has_* says whether the line was seen. The first of each counts: the
// kernel prints its reservation table and mm.stats right after the hand-off and may print them again later
// (after paging and reclaim), so only mm.reserve lines before the first mm.stats are kept.
typedef struct memmap_kernel_summary {
  bool has_firmware_map;
  uint64_t fw_descriptors, fw_descriptor_size;
  bool has_plan;
  uint64_t plan_free_slots, plan_reserved_slots, plan_conventional_regions, plan_reservations;
  bool has_stats;
  uint64_t stats_free_frames, stats_reserved_frames, stats_free_runs;
  bool has_stats_bookkeeping_bytes;  // newer logs print mm.stats ... bookkeeping_bytes=N
  uint64_t stats_bookkeeping_bytes;
} memmap_kernel_summary;

typedef struct memmap {
  memmap_format format;  // what was parsed (never AUTO after a successful parse)
  memmap_entry *entries;  // in input order
  size_t count;
  memmap_reservation *reservations;  // kernel format only, in input order
  size_t reservation_count;
  memmap_kernel_summary kernel;  // kernel format only
} memmap;

typedef struct memmap_error {
  unsigned line;  // 1-based; 0 when the error is about the whole input
  char message[200];
} memmap_error;

// Parses `len` bytes of `text`. With MEMMAP_FORMAT_AUTO the format is the one whose lines the text carries;
// when several are present the richest wins (kernel, then linux-efi, then e820) and the others' lines are
// ignored. A line's kind comes from its markers alone, first match in the order mm.desc, mm.reserve, mm.plan,
// mm.stats, mm.firmware_map, BIOS-e820:, efi:, whatever format is asked for; lines of kinds not asked for are
// skipped unparsed. So an auto parse that chose format F returns the same entries as a parse asking for F.
// `text` need not be NUL-terminated: nothing past text + len is read.
// Returns true with *out filled (free it with memmap_free), or false with *err filled and *out empty:
// a line that looks like a map line but does not parse (truncated, reversed range, number or end past 2^64,
// unknown type name, garbage; err->line names it), or an input with no map line at all (err->line 0, message
// "no ... memory map lines found"). Never returns a partial map.
bool memmap_parse(const char *text, size_t len, memmap_format format, memmap *out, memmap_error *err);

void memmap_free(memmap *map);

// Bytes per class of the input as given: usable (conventional) entries trimmed inward to whole 4 KiB pages,
// every other entry counted exactly as printed. Overlapping entries are each counted.
void memmap_class_bytes(const memmap *map, uint64_t bytes[MEMMAP_CLASS_COUNT]);

#endif  // TOOLS_HOSTLIB_MEMMAP_TEXT_H
