// acpi.h: a small reader of the ACPI tables the kernel uses (issue 10 item 2).
//
// Portable C11, freestanding, like mm/: compiled unchanged for the host tests and both UEFI targets. Every table
// is input: the reader reaches memory only through the caller's mm_phys_window, never reads past a table's Length
// (nor trusts an entry count or an entry length), and reports each problem as an acpi_status value. A table that
// fails its checks is skipped, never half-trusted. Byte layouts are little endian and unaligned (ACPI 6.5 5.2.3),
// so fields are read byte by byte.
//
// Flow: acpi_root_init (RSDP -> XSDT) -> acpi_root_find (a table by signature) -> one parser per table
// (acpi_spcr_parse, acpi_madt_cpus, acpi_srat_walk, acpi_fadt_arm_boot). Section numbers are ACPI 6.5's.
#ifndef PLATFORM_ACPI_H
#define PLATFORM_ACPI_H

#include "mm/mm_types.h"

// Every reason the reader refuses something. A function returning an error has written nothing to its outputs.
typedef enum acpi_status {
  ACPI_OK = 0,
  ACPI_ERR_INVALID_ARGUMENT,   // NULL pointer or a NULL window map
  ACPI_ERR_UNMAPPED,           // the window cannot map [phys, phys + bytes) (or it wraps past 2^64)
  ACPI_ERR_BAD_SIGNATURE,      // "RSD PTR " / the expected 4-character table signature is not there
  ACPI_ERR_BAD_CHECKSUM,       // the bytes covered by a checksum do not sum to 0 (mod 256)
  ACPI_ERR_TRUNCATED,          // a Length smaller than the structure it must hold, or not a whole number of entries
  ACPI_ERR_NO_XSDT,            // RSDP revision < 2 (ACPI 1.0: RSDT only) or an XsdtAddress of 0
  ACPI_ERR_BAD_REVISION,       // the table's revision predates the field asked for
  ACPI_ERR_NOT_FOUND,          // no valid table with that signature / instance
  ACPI_ERR_BAD_ENTRY_LENGTH,   // a MADT/SRAT entry Length of 0, 1, shorter than its type, or past the table
  ACPI_ERR_RANGE_OVERFLOW,     // an SRAT memory range whose base + length wraps past 2^64
  ACPI_ERR_UNKNOWN_INTERFACE,  // SPCR interface type the reader does not drive
  ACPI_ERR_STORAGE_TOO_SMALL,  // caller array smaller than the number of entries
} acpi_status;

// Stable lowercase name of a status, e.g. "bad_checksum", for log lines and test messages.
const char *acpi_status_name(acpi_status status);

// A table that passed the common header checks (5.2.6): Length >= 36, all Length bytes mapped, checksum 0.
// `bytes` points at the mapped table (valid as long as the window's mapping is) and `length` is its Length.
typedef struct acpi_table {
  phys_addr_t phys;
  const uint8_t *bytes;
  uint32_t length;
  char signature[4];
  uint8_t revision;
} acpi_table;

#define ACPI_HEADER_SIZE 36u

// Maps and checks the table at `phys` (any signature). ACPI_ERR_UNMAPPED when the header or the Length bytes
// cannot be mapped, ACPI_ERR_TRUNCATED when Length < 36, ACPI_ERR_BAD_CHECKSUM.
acpi_status acpi_table_load(mm_phys_window window, phys_addr_t phys, acpi_table *out);

// The root of the tables: the RSDP (5.2.5) and its XSDT (5.2.8), checked once.
typedef struct acpi_root {
  mm_phys_window window;
  uint8_t rsdp_revision;
  acpi_table xsdt;
  uint32_t entry_count;  // (XSDT Length - 36) / 8
} acpi_root;

// Checks the RSDP at `rsdp_phys` (signature "RSD PTR ", checksum of the first 20 bytes, revision >= 2 with its
// Length >= 36 and extended checksum over Length bytes, XsdtAddress != 0) and the XSDT it names (header checks,
// signature "XSDT", entries a whole number of 8-byte addresses). `root` is written only on ACPI_OK.
acpi_status acpi_root_init(acpi_root *root, mm_phys_window window, phys_addr_t rsdp_phys);

// The table named by XSDT entry `index` (< entry_count), loaded with acpi_table_load; its status says why an entry
// is unusable, so a caller can log one line per skipped table.
acpi_status acpi_root_table(const acpi_root *root, uint32_t index, acpi_table *out);

// The `instance`-th (0-based) valid table whose signature is `signature` (4 characters, e.g. "APIC"), in XSDT
// order; entries that fail acpi_table_load are skipped and do not count. ACPI_ERR_NOT_FOUND when there is none.
// `skipped` (may be NULL) receives the reason the last unusable entry was skipped, ACPI_OK when none was: an
// unusable entry's signature may itself be unreadable, so any skip is reported.
acpi_status acpi_root_find(const acpi_root *root, const char *signature, uint32_t instance, acpi_table *out,
                           acpi_status *skipped);

// Generic Address Structure (5.2.3.2).
typedef struct acpi_gas {
  uint8_t address_space;  // 0 system memory, 1 system I/O, ...
  uint8_t bit_width;      // Register Bit Width
  uint8_t bit_offset;     // Register Bit Offset
  uint8_t access_size;    // 0 undefined (legacy), 1 byte, 2 word, 3 dword, 4 qword
  uint64_t address;
} acpi_gas;

#define ACPI_GAS_SYSTEM_MEMORY 0u
#define ACPI_GAS_SYSTEM_IO 1u

// The UART families the kernel drives.
typedef enum acpi_uart_kind {
  ACPI_UART_16550,  // 16550 register set (I/O or MMIO; register width from the GAS)
  ACPI_UART_PL011,  // Arm PL011 or its SBSA Generic UART subset
} acpi_uart_kind;

// Serial Port Console Redirection table ("SPCR", Microsoft SPCR specification revisions 2 and 4).
typedef struct acpi_spcr {
  acpi_uart_kind kind;
  uint8_t interface_type;  // the raw DBG2 serial port subtype (e.g. 0x03 PL011, 0x0E SBSA generic UART)
  acpi_gas base;           // Base Address
  uint32_t baud;           // 0: use the UART as the firmware configured it
} acpi_spcr;

// Parses an SPCR table. Interface types read: 0x00 16550, 0x01 16450, 0x12 16550 with GAS-described registers
// (kind 16550); 0x03 PL011, 0x0D SBSA 32-bit-only, 0x0E SBSA generic (kind pl011). Others are
// ACPI_ERR_UNKNOWN_INTERFACE. Baud from Configured Baud Rate (3: 9600, 4: 19200, 6: 57600, 7: 115200, other: 0),
// replaced by Precise Baud Rate when revision >= 4, the table holds it and it is non-zero.
// ACPI_ERR_BAD_SIGNATURE, ACPI_ERR_TRUNCATED (Length < 80, the revision 2 size) are the other errors.
acpi_status acpi_spcr_parse(const acpi_table *table, acpi_spcr *out);

// One processor from the MADT (5.2.12), whatever its interrupt controller.
typedef enum acpi_cpu_kind {
  ACPI_CPU_LOCAL_APIC,    // type 0 (5.2.12.2): hw_id = APIC ID
  ACPI_CPU_LOCAL_X2APIC,  // type 9 (5.2.12.12): hw_id = x2APIC ID
  ACPI_CPU_GICC,          // type 0xB (5.2.12.14): hw_id = MPIDR (affinity fields)
} acpi_cpu_kind;

typedef struct acpi_cpu {
  acpi_cpu_kind kind;
  uint32_t uid;         // ACPI Processor UID
  uint64_t hw_id;       // see acpi_cpu_kind
  bool enabled;         // flags bit 0 (all three types)
  bool online_capable;  // flags bit 1 for local APIC/x2APIC (5.2.12.2 Table 5.23), bit 3 for GICC (Table 5.37)
} acpi_cpu;

typedef void (*acpi_cpu_fn)(void *arg, const acpi_cpu *cpu);

// Walks the MADT's entries (from offset 44) and calls `fn` once per processor entry, in table order. The whole
// entry list is checked first (each Length >= 2, >= its type's size: 8 local APIC, 16 x2APIC, 76 GICC through
// MPIDR, and inside the table), so on any error `fn` has not been called. Errors: ACPI_ERR_BAD_SIGNATURE (not
// "APIC"), ACPI_ERR_TRUNCATED (Length < 44), ACPI_ERR_BAD_ENTRY_LENGTH. `count` (may be NULL) gets the number of
// processors.
acpi_status acpi_madt_cpus(const acpi_table *table, acpi_cpu_fn fn, void *arg, uint32_t *count);

// The same into `cpus[0..capacity)`; `count` receives the number of processors in the table.
// ACPI_ERR_STORAGE_TOO_SMALL (and `cpus` untouched, `count` set) when it exceeds `capacity`.
acpi_status acpi_madt_cpus_into(const acpi_table *table, acpi_cpu *cpus, uint32_t capacity, uint32_t *count);

// One System Resource Affinity Table entry (5.2.16) the kernel reads.
typedef enum acpi_srat_kind {
  ACPI_SRAT_MEMORY,        // type 1 Memory Affinity (5.2.16.2)
  ACPI_SRAT_CPU_APIC,      // type 0 Processor Local APIC/SAPIC Affinity (5.2.16.1): cpu_id = APIC ID
  ACPI_SRAT_CPU_X2APIC,    // type 2 Processor Local x2APIC Affinity (5.2.16.3): cpu_id = x2APIC ID
  ACPI_SRAT_CPU_GICC,      // type 3 GICC Affinity (5.2.16.4): cpu_id = ACPI Processor UID
} acpi_srat_kind;

typedef struct acpi_srat_entry {
  acpi_srat_kind kind;
  uint32_t domain;  // proximity domain (type 0: bits [7:0] and [31:8] joined)
  bool enabled;     // flags bit 0
  // ACPI_SRAT_MEMORY only:
  phys_addr_t base;
  uint64_t length;
  bool hot_pluggable;  // flags bit 1
  bool non_volatile;   // flags bit 2
  // The CPU kinds only:
  uint32_t cpu_id;
} acpi_srat_entry;

typedef void (*acpi_srat_fn)(void *arg, const acpi_srat_entry *entry);

// Walks the SRAT's entries (from offset 48) and calls `fn` for each entry of the kinds above, in table order;
// other types are stepped over by their Length. Like acpi_madt_cpus, everything is checked before the first call:
// entry sizes 16 (type 0), 40 (1), 24 (2), 18 (3); a memory range whose end wraps is ACPI_ERR_RANGE_OVERFLOW.
// ACPI_ERR_BAD_SIGNATURE (not "SRAT"), ACPI_ERR_TRUNCATED (Length < 48).
acpi_status acpi_srat_walk(const acpi_table *table, acpi_srat_fn fn, void *arg);

// The FADT's (5.2.9, signature "FACP") ARM_BOOT_ARCH flags (Table 5.11).
typedef struct acpi_arm_boot {
  bool psci_compliant;  // bit 0 PSCI_COMPLIANT
  bool psci_use_hvc;    // bit 1 PSCI_USE_HVC (else SMC)
} acpi_arm_boot;

// ARM_BOOT_ARCH (offset 129) exists from FADT 5.1 on: ACPI_ERR_BAD_REVISION when the header revision (the FADT
// major version) is < 5, or 5 with FADT Minor Version (offset 131) < 1. ACPI_ERR_TRUNCATED when Length < 132.
acpi_status acpi_fadt_arm_boot(const acpi_table *table, acpi_arm_boot *out);

#endif  // PLATFORM_ACPI_H
