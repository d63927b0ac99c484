// cpus.h: the processors the kernel may start, from the platform description (issue 11 item 1).
//
// Source: the ACPI MADT (5.2.12: local APIC, x2APIC and GICC entries) when ACPI opened and has one, else the
// devicetree /cpus node (DT 3.7, 3.8). An entry is usable when it is enabled (MADT flags bit 0, DT `status`
// absent or "okay"); a disabled entry that is only online-capable (MADT flags bit 1 / GICC bit 3: a CPU the
// platform could hot-add, e.g. QEMU's `-smp 2,maxcpus=4`) and a plain disabled one are skipped, as is a second
// entry with a hardware id already listed (x86 firmware may list a CPU as both local APIC and x2APIC). Every
// skipped entry is reported through the caller's callback, so the kernel logs one line each.
//
// Storage is the caller's, sized to this machine: platform_cpus_count gives the number of processor entries
// (an upper bound on the usable ones), the caller allocates that many platform_cpu, platform_cpus_list fills
// them. The boot CPU (the caller's own hardware id) is always cpus[0]; the others follow in table order.
// Portable C11, host-tested (cpus_test.cc).
#ifndef PLATFORM_CPUS_H
#define PLATFORM_CPUS_H

#include "platform/discover.h"

typedef enum platform_cpus_status {
  PLATFORM_CPUS_OK = 0,
  PLATFORM_CPUS_INVALID_ARGUMENT,    // NULL info/out pointer
  PLATFORM_CPUS_NO_SOURCE,           // neither a MADT nor a devicetree /cpus node
  PLATFORM_CPUS_BAD_TABLE,           // the MADT or /cpus failed the reader's checks (nothing was listed)
  PLATFORM_CPUS_STORAGE_TOO_SMALL,   // capacity below the number of usable entries (count() always suffices)
  PLATFORM_CPUS_BOOT_CPU_NOT_LISTED, // no usable entry carries the boot CPU's hardware id
} platform_cpus_status;

// Stable lowercase name, e.g. "boot_cpu_not_listed", for log lines.
const char *platform_cpus_status_name(platform_cpus_status status);

typedef struct platform_cpu {
  uint64_t hw_id;  // x86: local APIC / x2APIC ID; Arm: MPIDR affinity (GICC MPIDR, DT `reg`)
  uint32_t uid;    // ACPI Processor UID; devicetree: the node's index among the cpu nodes
} platform_cpu;

// What the list was made of. `source` is "madt" or "devicetree" (NULL before a successful call).
typedef struct platform_cpus_census {
  const char *source;
  uint32_t entries;         // processor entries in the table
  uint32_t usable;          // written to the list
  uint32_t disabled;        // skipped: disabled, not online-capable
  uint32_t online_capable;  // skipped: disabled but online-capable (possible, not present)
  uint32_t duplicates;      // skipped: hardware id listed before
} platform_cpus_census;

// Why an entry was skipped: "disabled", "online_capable" or "duplicate".
typedef void (*platform_cpu_skip_fn)(void *ctx, const platform_cpu *cpu, const char *reason);

// The number of processor entries of the source platform_cpus_list will read: the capacity it needs.
// Errors: PLATFORM_CPUS_INVALID_ARGUMENT, PLATFORM_CPUS_NO_SOURCE, PLATFORM_CPUS_BAD_TABLE.
platform_cpus_status platform_cpus_count(const platform_info *info, uint32_t *entries);

// Fills cpus[0..census.usable) with the usable processors, the one whose hw_id is `boot_hw_id` first. `skip`
// (may be NULL) is called once per skipped entry, in table order. On any error `cpus` and `census` are
// untouched and `skip` has not been called.
platform_cpus_status platform_cpus_list(const platform_info *info, uint64_t boot_hw_id, platform_cpu *cpus,
                                        uint32_t capacity, platform_cpus_census *census, platform_cpu_skip_fn skip,
                                        void *ctx);

#endif  // PLATFORM_CPUS_H
