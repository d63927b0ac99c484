// discover.h: the platform description the firmware handed over, opened once after ExitBootServices.
//
// The UEFI entry records where the configuration table (UEFI 2.10 section 4.6) put the ACPI RSDP, the devicetree
// blob and the SMBIOS 3 entry point (boot/handoff.h). platform_discover opens what is there with the readers in
// acpi.h and fdt.h and keeps the result for the consumers (console, CPU list, NUMA, reservations): each source is
// either opened (its checks passed) or recorded with the reason it was not, and never used half-checked. Portable
// C11 like the readers; host-tested with real QEMU tables and broken ones (discover_test.cc).
#ifndef PLATFORM_DISCOVER_H
#define PLATFORM_DISCOVER_H

#include "platform/acpi.h"
#include "platform/fdt.h"

// A devicetree larger than this is refused (FDT_ERR_TRUNCATED, "bad length"), so a corrupt totalsize cannot make
// the reader walk megabytes of memory that is not the blob. QEMU's are 1 MiB, real boards' well under that.
#define PLATFORM_DTB_MAX_BYTES (8u << 20)

// Where the firmware's tables are (0: absent), as the UEFI entry found them.
typedef struct platform_tables {
  phys_addr_t acpi_rsdp;
  phys_addr_t devicetree;
  uint64_t devicetree_bytes;  // the blob header's totalsize, 0 when its magic was wrong
  phys_addr_t smbios3;
} platform_tables;

typedef struct platform_info {
  platform_tables tables;
  mm_phys_window window;
  // ACPI: present when tables.acpi_rsdp != 0; usable when acpi_status == ACPI_OK (then `acpi` is the checked root).
  acpi_status acpi_status;
  acpi_root acpi;
  // Devicetree: present when tables.devicetree != 0; usable when dt_status == FDT_OK (then `dt` is opened).
  fdt_status dt_status;
  fdt_blob dt;
} platform_info;

// Opens the ACPI root and the devicetree named by `tables` through `window`. Never fails as a whole: an absent
// source gets ACPI_ERR_NOT_FOUND / FDT_ERR_NOT_FOUND, a broken one the reader's status (a devicetree whose size is
// 0 or above PLATFORM_DTB_MAX_BYTES: FDT_ERR_BAD_MAGIC / FDT_ERR_TRUNCATED without reading it).
void platform_discover(platform_info *out, const platform_tables *tables, mm_phys_window window);

static inline bool platform_has_acpi(const platform_info *p) { return p->acpi_status == ACPI_OK; }
static inline bool platform_has_devicetree(const platform_info *p) { return p->dt_status == FDT_OK; }

// Logs what was found: one LOG_INFO line
//   platform.firmware acpi=0x.. acpi_status=ok|<reason>|absent devicetree=0x.. devicetree_bytes=N
//                     dt_status=ok|<reason>|absent smbios3=0x..
// and at LOG_DEBUG one `acpi.table index=I sig=XXXX phys=0x.. length=N revision=R status=ok|<reason>` per XSDT
// entry (a table failing its checks is named by its status and never used).
void platform_log(const platform_info *info);

// Debugging and test-data capture (`acpi.dump` on the kernel command line): the XSDT and every table it lists that
// passed its checks, as LOG_INFO lines of at most ACPI_DUMP_BYTES_PER_LINE bytes each:
//   acpi.dump sig=XXXX phys=0x.. length=N offset=N hex=<2 hex digits per byte>
// tools/acpi_dump.py turns a serial log back into one file per table (platform/testdata/qemu/).
#define ACPI_DUMP_BYTES_PER_LINE 64u
void platform_dump_acpi(const platform_info *info);

// The PSCI conduit the platform names (Arm DEN0022 PSCI through DEN0028 SMCCC): ACPI FADT ARM_BOOT_ARCH (ACPI 6.5
// 5.2.9 Table 5.11: PSCI_COMPLIANT, PSCI_USE_HVC) when the FADT is usable, else devicetree /psci `method` (the
// Arm PSCI binding), else none. A FADT that is not PSCI-compliant (every x86 FADT) names no conduit.
typedef enum platform_psci_conduit {
  PLATFORM_PSCI_UNKNOWN = 0,
  PLATFORM_PSCI_HVC,
  PLATFORM_PSCI_SMC,
} platform_psci_conduit;

typedef enum platform_psci_source {
  PLATFORM_PSCI_SOURCE_NONE = 0,
  PLATFORM_PSCI_SOURCE_FADT,
  PLATFORM_PSCI_SOURCE_DEVICETREE,
} platform_psci_source;

typedef struct platform_psci {
  platform_psci_conduit conduit;
  platform_psci_source source;
} platform_psci;

platform_psci platform_find_psci(const platform_info *info);

// "hvc", "smc", "unknown"; "fadt", "devicetree", "none".
const char *platform_psci_conduit_name(platform_psci_conduit conduit);
const char *platform_psci_source_name(platform_psci_source source);

#endif  // PLATFORM_DISCOVER_H
