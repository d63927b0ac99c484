// acpi.c: the ACPI reader (contract in acpi.h). Section numbers are ACPI 6.5's; SPCR is Microsoft's specification.
#include "platform/acpi.h"

// ---- Little-endian, unaligned field reads (5.2.3: all tables are little endian, packed). ----

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (uint16_t)p[1] << 8); }

static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }

static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sig_is(const uint8_t *p, const char *sig, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (p[i] != (uint8_t)sig[i]) return false;
  }
  return true;
}

// 5.2.5.3 / 5.2.6: a checksummed structure's bytes sum to zero modulo 256.
static bool sums_to_zero(const uint8_t *p, uint32_t n) {
  uint8_t sum = 0;
  for (uint32_t i = 0; i < n; i++) sum = (uint8_t)(sum + p[i]);
  return sum == 0;
}

static const uint8_t *map(mm_phys_window window, phys_addr_t phys, uint64_t bytes) {
  if (bytes != 0 && phys + bytes - 1 < phys) return NULL;  // wraps past 2^64
  return (const uint8_t *)window.map(window.ctx, phys, bytes);
}

const char *acpi_status_name(acpi_status status) {
  switch (status) {
    case ACPI_OK:
      return "ok";
    case ACPI_ERR_INVALID_ARGUMENT:
      return "invalid_argument";
    case ACPI_ERR_UNMAPPED:
      return "unmapped";
    case ACPI_ERR_BAD_SIGNATURE:
      return "bad_signature";
    case ACPI_ERR_BAD_CHECKSUM:
      return "bad_checksum";
    case ACPI_ERR_TRUNCATED:
      return "truncated";
    case ACPI_ERR_NO_XSDT:
      return "no_xsdt";
    case ACPI_ERR_BAD_REVISION:
      return "bad_revision";
    case ACPI_ERR_NOT_FOUND:
      return "not_found";
    case ACPI_ERR_BAD_ENTRY_LENGTH:
      return "bad_entry_length";
    case ACPI_ERR_RANGE_OVERFLOW:
      return "range_overflow";
    case ACPI_ERR_UNKNOWN_INTERFACE:
      return "unknown_interface";
    case ACPI_ERR_STORAGE_TOO_SMALL:
      return "storage_too_small";
  }
  return "unknown_status";
}

// ---- System Description Table Header (5.2.6) ----
//   0 Signature[4]  4 Length  8 Revision  9 Checksum  10 OEMID[6]  16 OEM Table ID[8]  24 OEM Revision
//  28 Creator ID   32 Creator Revision   (36 bytes)

acpi_status acpi_table_load(mm_phys_window window, phys_addr_t phys, acpi_table *out) {
  if (window.map == NULL || out == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  const uint8_t *header = map(window, phys, ACPI_HEADER_SIZE);
  if (header == NULL) return ACPI_ERR_UNMAPPED;
  uint32_t length = rd32(header + 4);
  if (length < ACPI_HEADER_SIZE) return ACPI_ERR_TRUNCATED;
  const uint8_t *bytes = map(window, phys, length);
  if (bytes == NULL) return ACPI_ERR_UNMAPPED;
  if (!sums_to_zero(bytes, length)) return ACPI_ERR_BAD_CHECKSUM;
  out->phys = phys;
  out->bytes = bytes;
  out->length = length;
  for (int i = 0; i < 4; i++) out->signature[i] = (char)bytes[i];
  out->revision = bytes[8];
  return ACPI_OK;
}

// ---- Root System Description Pointer (5.2.5.3) ----
//   0 Signature "RSD PTR "  8 Checksum (first 20 bytes)  9 OEMID[6]  15 Revision  16 RsdtAddress
//  20 Length  24 XsdtAddress  32 Extended Checksum (Length bytes)  33 Reserved[3]   (36 bytes, revision >= 2)
#define RSDP_V1_SIZE 20u
#define RSDP_V2_SIZE 36u

// ---- Extended System Description Table (5.2.8): the header, then 8-byte physical addresses. ----

acpi_status acpi_root_init(acpi_root *root, mm_phys_window window, phys_addr_t rsdp_phys) {
  if (root == NULL || window.map == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  const uint8_t *rsdp = map(window, rsdp_phys, RSDP_V1_SIZE);
  if (rsdp == NULL) return ACPI_ERR_UNMAPPED;
  if (!sig_is(rsdp, "RSD PTR ", 8)) return ACPI_ERR_BAD_SIGNATURE;
  if (!sums_to_zero(rsdp, RSDP_V1_SIZE)) return ACPI_ERR_BAD_CHECKSUM;
  uint8_t revision = rsdp[15];
  if (revision < 2) return ACPI_ERR_NO_XSDT;  // ACPI 1.0: RsdtAddress only
  rsdp = map(window, rsdp_phys, RSDP_V2_SIZE);
  if (rsdp == NULL) return ACPI_ERR_UNMAPPED;
  uint32_t length = rd32(rsdp + 20);
  if (length < RSDP_V2_SIZE) return ACPI_ERR_TRUNCATED;
  rsdp = map(window, rsdp_phys, length);
  if (rsdp == NULL) return ACPI_ERR_UNMAPPED;
  if (!sums_to_zero(rsdp, length)) return ACPI_ERR_BAD_CHECKSUM;
  phys_addr_t xsdt_phys = rd64(rsdp + 24);
  if (xsdt_phys == 0) return ACPI_ERR_NO_XSDT;

  acpi_table xsdt;
  acpi_status status = acpi_table_load(window, xsdt_phys, &xsdt);
  if (status != ACPI_OK) return status;
  if (!sig_is(xsdt.bytes, "XSDT", 4)) return ACPI_ERR_BAD_SIGNATURE;
  if ((xsdt.length - ACPI_HEADER_SIZE) % 8 != 0) return ACPI_ERR_TRUNCATED;

  root->window = window;
  root->rsdp_revision = revision;
  root->xsdt = xsdt;
  root->entry_count = (xsdt.length - ACPI_HEADER_SIZE) / 8;
  return ACPI_OK;
}

acpi_status acpi_root_table(const acpi_root *root, uint32_t index, acpi_table *out) {
  if (root == NULL || out == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  if (index >= root->entry_count) return ACPI_ERR_NOT_FOUND;
  phys_addr_t phys = rd64(root->xsdt.bytes + ACPI_HEADER_SIZE + (uint64_t)index * 8);
  return acpi_table_load(root->window, phys, out);
}

acpi_status acpi_root_find(const acpi_root *root, const char *signature, uint32_t instance, acpi_table *out,
                           acpi_status *skipped) {
  if (root == NULL || signature == NULL || out == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  acpi_status last_skip = ACPI_OK;
  acpi_status result = ACPI_ERR_NOT_FOUND;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < root->entry_count; i++) {
    acpi_table table;
    acpi_status status = acpi_root_table(root, i, &table);
    if (status != ACPI_OK) {
      last_skip = status;
      continue;
    }
    if (!sig_is(table.bytes, signature, 4)) continue;
    if (seen++ == instance) {
      *out = table;
      result = ACPI_OK;
      break;
    }
  }
  if (skipped != NULL) *skipped = last_skip;
  return result;
}

// ---- Generic Address Structure (5.2.3.2) ----
//   0 Address Space ID  1 Register Bit Width  2 Register Bit Offset  3 Access Size  4 Address (12 bytes)
static acpi_gas read_gas(const uint8_t *p) {
  acpi_gas gas = {
      .address_space = p[0],
      .bit_width = p[1],
      .bit_offset = p[2],
      .access_size = p[3],
      .address = rd64(p + 4),
  };
  return gas;
}

// ---- SPCR (Microsoft "Serial Port Console Redirection Table", revisions 2 and 4) ----
//  36 Interface Type  37 Reserved[3]  40 Base Address (GAS)  52 Interrupt Type  53 IRQ  54 GSIV
//  58 Configured Baud Rate  59 Parity  60 Stop Bits  61 Flow Control  62 Terminal Type  63 Language
//  64 PCI Device ID ... 76 UART Clock Frequency (rev 3+)  80 Precise Baud Rate (rev 4)  84 Namespace String ...
#define SPCR_REV2_SIZE 80u
#define SPCR_PRECISE_BAUD_END 84u

acpi_status acpi_spcr_parse(const acpi_table *table, acpi_spcr *out) {
  if (table == NULL || table->bytes == NULL || out == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  const uint8_t *t = table->bytes;
  if (!sig_is(t, "SPCR", 4)) return ACPI_ERR_BAD_SIGNATURE;
  if (table->length < SPCR_REV2_SIZE) return ACPI_ERR_TRUNCATED;

  acpi_uart_kind kind;
  uint8_t type = t[36];
  switch (type) {  // Serial port subtypes, Microsoft DBG2 table specification
    case 0x00:     // fully 16550-compatible
    case 0x01:     // 16550 subset compatible with DBGP revision 1 (16450)
    case 0x12:     // 16550-compatible with parameters defined in the Generic Address Structure
      kind = ACPI_UART_16550;
      break;
    case 0x03:  // Arm PL011
    case 0x0D:  // Arm SBSA Generic UART, 32-bit accesses only (deprecated)
    case 0x0E:  // Arm SBSA Generic UART
      kind = ACPI_UART_PL011;
      break;
    default:
      return ACPI_ERR_UNKNOWN_INTERFACE;
  }

  uint32_t baud;
  switch (t[58]) {
    case 3:
      baud = 9600;
      break;
    case 4:
      baud = 19200;
      break;
    case 6:
      baud = 57600;
      break;
    case 7:
      baud = 115200;
      break;
    default:
      baud = 0;
      break;  // 0: as the firmware configured it; other codes are reserved
  }
  if (table->revision >= 4 && table->length >= SPCR_PRECISE_BAUD_END) {
    uint32_t precise = rd32(t + 80);
    if (precise != 0) baud = precise;
  }

  out->kind = kind;
  out->interface_type = type;
  out->base = read_gas(t + 40);
  out->baud = baud;
  return ACPI_OK;
}

// ---- MADT (5.2.12): 36 header, 36 Local Interrupt Controller Address, 40 Flags, 44 entries. ----
// Every entry: 0 Type, 1 Length.
//   Type 0 Processor Local APIC (5.2.12.2, 8 bytes): 2 ACPI Processor UID, 3 APIC ID, 4 Flags
//   Type 9 Processor Local x2APIC (5.2.12.12, 16 bytes): 4 X2APIC ID, 8 Flags, 12 ACPI Processor UID
//   Type 0xB GICC (5.2.12.14, 82 bytes in 6.5): 4 CPU Interface Number, 8 ACPI Processor UID, 12 Flags,
//     ... 68 MPIDR (the reader needs the first 76 bytes)
#define MADT_ENTRIES 44u
#define MADT_LAPIC 0x0u
#define MADT_X2APIC 0x9u
#define MADT_GICC 0xBu

// The minimum Length of an entry of `type` the reader interprets, 2 for types it steps over.
static uint32_t madt_min_length(uint8_t type) {
  switch (type) {
    case MADT_LAPIC:
      return 8;
    case MADT_X2APIC:
      return 16;
    case MADT_GICC:
      return 76;
    default:
      return 2;
  }
}

// Decodes the entry at `e` into `cpu`; false when it is not a processor entry.
static bool madt_cpu(const uint8_t *e, acpi_cpu *cpu) {
  uint32_t flags;
  switch (e[0]) {
    case MADT_LAPIC:
      flags = rd32(e + 4);
      *cpu = (acpi_cpu){.kind = ACPI_CPU_LOCAL_APIC, .uid = e[2], .hw_id = e[3]};
      cpu->online_capable = (flags & 2u) != 0;
      break;
    case MADT_X2APIC:
      flags = rd32(e + 8);
      *cpu = (acpi_cpu){.kind = ACPI_CPU_LOCAL_X2APIC, .uid = rd32(e + 12), .hw_id = rd32(e + 4)};
      cpu->online_capable = (flags & 2u) != 0;
      break;
    case MADT_GICC:
      flags = rd32(e + 12);
      *cpu = (acpi_cpu){.kind = ACPI_CPU_GICC, .uid = rd32(e + 8), .hw_id = rd64(e + 68)};
      cpu->online_capable = (flags & 8u) != 0;
      break;
    default:
      return false;
  }
  cpu->enabled = (flags & 1u) != 0;
  return true;
}

// Checks every entry of an entry list [first, length) of table `t`: each Length is at least 2 and its type's
// minimum (`min_length`) and ends inside the table.
static acpi_status check_entries(const uint8_t *t, uint32_t first, uint32_t length, uint32_t (*min_length)(uint8_t)) {
  uint32_t off = first;
  while (off < length) {
    if (length - off < 2) return ACPI_ERR_BAD_ENTRY_LENGTH;
    uint8_t entry_length = t[off + 1];
    if (entry_length < 2 || entry_length < min_length(t[off])) return ACPI_ERR_BAD_ENTRY_LENGTH;
    if (entry_length > length - off) return ACPI_ERR_BAD_ENTRY_LENGTH;
    off += entry_length;
  }
  return ACPI_OK;
}

static acpi_status madt_check(const acpi_table *table) {
  if (table == NULL || table->bytes == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  if (!sig_is(table->bytes, "APIC", 4)) return ACPI_ERR_BAD_SIGNATURE;
  if (table->length < MADT_ENTRIES) return ACPI_ERR_TRUNCATED;
  return check_entries(table->bytes, MADT_ENTRIES, table->length, madt_min_length);
}

acpi_status acpi_madt_cpus(const acpi_table *table, acpi_cpu_fn fn, void *arg, uint32_t *count) {
  if (fn == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  acpi_status status = madt_check(table);
  if (status != ACPI_OK) return status;
  uint32_t n = 0;
  for (uint32_t off = MADT_ENTRIES; off < table->length; off += table->bytes[off + 1]) {
    acpi_cpu cpu;
    if (madt_cpu(table->bytes + off, &cpu)) {
      fn(arg, &cpu);
      n++;
    }
  }
  if (count != NULL) *count = n;
  return ACPI_OK;
}

acpi_status acpi_madt_cpus_into(const acpi_table *table, acpi_cpu *cpus, uint32_t capacity, uint32_t *count) {
  if (count == NULL || (cpus == NULL && capacity != 0)) return ACPI_ERR_INVALID_ARGUMENT;
  acpi_status status = madt_check(table);
  if (status != ACPI_OK) return status;
  uint32_t n = 0;
  for (uint32_t off = MADT_ENTRIES; off < table->length; off += table->bytes[off + 1]) {
    acpi_cpu cpu;
    if (madt_cpu(table->bytes + off, &cpu)) n++;
  }
  *count = n;
  if (n > capacity) return ACPI_ERR_STORAGE_TOO_SMALL;
  n = 0;
  for (uint32_t off = MADT_ENTRIES; off < table->length; off += table->bytes[off + 1]) {
    if (madt_cpu(table->bytes + off, &cpus[n])) n++;
  }
  return ACPI_OK;
}

// ---- SRAT (5.2.16): 36 header, 36 Reserved (1), 40 Reserved[8], 48 entries. ----
//   Type 0 Processor Local APIC/SAPIC Affinity (5.2.16.1, 16 bytes): 2 Proximity Domain [7:0], 3 APIC ID,
//     4 Flags, 8 Local SAPIC EID, 9 Proximity Domain [31:8] (3 bytes), 12 Clock Domain
//   Type 1 Memory Affinity (5.2.16.2, 40 bytes): 2 Proximity Domain, 8 Base Address (low, high),
//     16 Length (low, high), 28 Flags (bit 0 Enabled, 1 Hot Pluggable, 2 NonVolatile)
//   Type 2 Processor Local x2APIC Affinity (5.2.16.3, 24 bytes): 4 Proximity Domain, 8 X2APIC ID, 12 Flags
//   Type 3 GICC Affinity (5.2.16.4, 18 bytes): 2 Proximity Domain, 6 ACPI Processor UID, 10 Flags
#define SRAT_ENTRIES 48u

static uint32_t srat_min_length(uint8_t type) {
  switch (type) {
    case 0:
      return 16;
    case 1:
      return 40;
    case 2:
      return 24;
    case 3:
      return 18;
    default:
      return 2;
  }
}

static bool srat_entry(const uint8_t *e, acpi_srat_entry *out) {
  acpi_srat_entry entry = {0};
  uint32_t flags;
  switch (e[0]) {
    case 0:
      entry.kind = ACPI_SRAT_CPU_APIC;
      entry.domain = (uint32_t)e[2] | (uint32_t)e[9] << 8 | (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24;
      entry.cpu_id = e[3];
      flags = rd32(e + 4);
      break;
    case 1:
      entry.kind = ACPI_SRAT_MEMORY;
      entry.domain = rd32(e + 2);
      entry.base = rd64(e + 8);
      entry.length = rd64(e + 16);
      flags = rd32(e + 28);
      entry.hot_pluggable = (flags & 2u) != 0;
      entry.non_volatile = (flags & 4u) != 0;
      break;
    case 2:
      entry.kind = ACPI_SRAT_CPU_X2APIC;
      entry.domain = rd32(e + 4);
      entry.cpu_id = rd32(e + 8);
      flags = rd32(e + 12);
      break;
    case 3:
      entry.kind = ACPI_SRAT_CPU_GICC;
      entry.domain = rd32(e + 2);
      entry.cpu_id = rd32(e + 6);
      flags = rd32(e + 10);
      break;
    default:
      return false;
  }
  entry.enabled = (flags & 1u) != 0;
  *out = entry;
  return true;
}

acpi_status acpi_srat_walk(const acpi_table *table, acpi_srat_fn fn, void *arg) {
  if (table == NULL || table->bytes == NULL || fn == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  const uint8_t *t = table->bytes;
  if (!sig_is(t, "SRAT", 4)) return ACPI_ERR_BAD_SIGNATURE;
  if (table->length < SRAT_ENTRIES) return ACPI_ERR_TRUNCATED;
  acpi_status status = check_entries(t, SRAT_ENTRIES, table->length, srat_min_length);
  if (status != ACPI_OK) return status;
  for (uint32_t off = SRAT_ENTRIES; off < table->length; off += t[off + 1]) {
    acpi_srat_entry entry;
    if (srat_entry(t + off, &entry) && entry.kind == ACPI_SRAT_MEMORY && entry.length != 0 &&
        entry.base + entry.length - 1 < entry.base) {
      return ACPI_ERR_RANGE_OVERFLOW;
    }
  }
  for (uint32_t off = SRAT_ENTRIES; off < table->length; off += t[off + 1]) {
    acpi_srat_entry entry;
    if (srat_entry(t + off, &entry)) fn(arg, &entry);
  }
  return ACPI_OK;
}

// ---- FADT (5.2.9, signature "FACP") ----
//  129 ARM_BOOT_ARCH (2 bytes, Table 5.11: bit 0 PSCI_COMPLIANT, bit 1 PSCI_USE_HVC)  131 FADT Minor Version
#define FADT_ARM_BOOT_ARCH 129u
#define FADT_MINOR_VERSION 131u

acpi_status acpi_fadt_arm_boot(const acpi_table *table, acpi_arm_boot *out) {
  if (table == NULL || table->bytes == NULL || out == NULL) return ACPI_ERR_INVALID_ARGUMENT;
  const uint8_t *t = table->bytes;
  if (!sig_is(t, "FACP", 4)) return ACPI_ERR_BAD_SIGNATURE;
  if (table->length < FADT_MINOR_VERSION + 1) return ACPI_ERR_TRUNCATED;
  uint8_t major = t[8];
  uint8_t minor = t[FADT_MINOR_VERSION] & 0xF;  // bits [3:0] minor version, [7:4] errata
  if (major < 5 || (major == 5 && minor < 1)) return ACPI_ERR_BAD_REVISION;
  uint16_t flags = rd16(t + FADT_ARM_BOOT_ARCH);
  out->psci_compliant = (flags & 1u) != 0;
  out->psci_use_hvc = (flags & 2u) != 0;
  return ACPI_OK;
}
