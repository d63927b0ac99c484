// cpus.c: the processor list from the MADT or the devicetree (see cpus.h).
#include "platform/cpus.h"

const char *platform_cpus_status_name(platform_cpus_status status) {
  switch (status) {
    case PLATFORM_CPUS_OK:
      return "ok";
    case PLATFORM_CPUS_INVALID_ARGUMENT:
      return "invalid_argument";
    case PLATFORM_CPUS_NO_SOURCE:
      return "no_source";
    case PLATFORM_CPUS_BAD_TABLE:
      return "bad_table";
    case PLATFORM_CPUS_STORAGE_TOO_SMALL:
      return "storage_too_small";
    case PLATFORM_CPUS_BOOT_CPU_NOT_LISTED:
      return "boot_cpu_not_listed";
  }
  return "unknown";
}

// One entry of either source, as the passes below see it.
typedef struct cpu_entry {
  platform_cpu cpu;
  bool enabled;
  bool online_capable;
} cpu_entry;

typedef void (*entry_fn)(void *ctx, const cpu_entry *e);

typedef struct source_walk {
  entry_fn fn;
  void *ctx;
  uint32_t index;
} source_walk;

static void from_madt(void *arg, const acpi_cpu *c) {
  source_walk *w = arg;
  cpu_entry e = {{c->hw_id, c->uid}, c->enabled, c->online_capable};
  w->index++;
  w->fn(w->ctx, &e);
}

static void from_dt(void *arg, const fdt_cpu *c) {
  source_walk *w = arg;
  // The devicetree has no online-capable notion: a cpu with status "disabled" is simply not there (DT 2.3.4).
  cpu_entry e = {{c->mpidr, w->index}, c->enabled, false};
  w->index++;
  w->fn(w->ctx, &e);
}

// Calls fn once per processor entry of the chosen source. Both readers check the whole table before their first
// call, so a bad table makes no call.
static platform_cpus_status walk(const platform_info *info, entry_fn fn, void *ctx, const char **source) {
  source_walk w = {fn, ctx, 0};
  if (platform_has_acpi(info)) {
    acpi_table madt;
    if (acpi_root_find(&info->acpi, "APIC", 0, &madt, 0) == ACPI_OK) {
      *source = "madt";
      return acpi_madt_cpus(&madt, from_madt, &w, 0) == ACPI_OK ? PLATFORM_CPUS_OK : PLATFORM_CPUS_BAD_TABLE;
    }
  }
  if (platform_has_devicetree(info)) {
    fdt_status st = fdt_cpus_walk(&info->dt, from_dt, &w, 0);
    if (st == FDT_ERR_NOT_FOUND) return PLATFORM_CPUS_NO_SOURCE;
    *source = "devicetree";
    return st == FDT_OK ? PLATFORM_CPUS_OK : PLATFORM_CPUS_BAD_TABLE;
  }
  return PLATFORM_CPUS_NO_SOURCE;
}

static void count_entry(void *ctx, const cpu_entry *e) {
  (void)e;
  (*(uint32_t *)ctx)++;
}

platform_cpus_status platform_cpus_count(const platform_info *info, uint32_t *entries) {
  if (info == 0 || entries == 0) return PLATFORM_CPUS_INVALID_ARGUMENT;
  uint32_t n = 0;
  const char *source = 0;
  platform_cpus_status st = walk(info, count_entry, &n, &source);
  if (st == PLATFORM_CPUS_OK) *entries = n;
  return st;
}

// The list pass. Two walks: the first only checks (the boot CPU is listed, the storage suffices), the second
// writes, so an error leaves the caller's storage as it was.
typedef struct list_pass {
  bool write;
  uint64_t boot_hw_id;
  platform_cpu *cpus;
  uint32_t capacity;
  uint32_t entries;
  bool boot_seen;
  platform_cpus_census census;
  platform_cpu_skip_fn skip;
  void *ctx;
} list_pass;

static bool listed(const list_pass *p, uint64_t hw_id) {
  for (uint32_t i = 0; i < p->census.usable; i++) {
    if (p->cpus[i].hw_id == hw_id) return true;
  }
  return false;
}

static void skip_entry(list_pass *p, const cpu_entry *e, const char *reason, uint32_t *counter) {
  (*counter)++;
  if (p->write && p->skip) p->skip(p->ctx, &e->cpu, reason);
}

static void list_entry(void *ctx, const cpu_entry *e) {
  list_pass *p = ctx;
  p->entries++;
  if (!e->enabled) {
    if (e->online_capable) {
      skip_entry(p, e, "online_capable", &p->census.online_capable);
    } else {
      skip_entry(p, e, "disabled", &p->census.disabled);
    }
    return;
  }
  bool boot = e->cpu.hw_id == p->boot_hw_id;
  // Duplicates: the check pass only counts the boot CPU once (it cannot look at storage it must not write).
  if ((boot && p->boot_seen) || (p->write && !boot && listed(p, e->cpu.hw_id))) {
    skip_entry(p, e, "duplicate", &p->census.duplicates);
    return;
  }
  if (boot) p->boot_seen = true;
  if (!p->write) {
    p->census.usable++;
    return;
  }
  // cpus[0] is the boot CPU, written when it is met; the others fill slots 1.. in table order.
  if (boot) {
    p->cpus[0] = e->cpu;
  } else {
    p->cpus[p->census.usable++] = e->cpu;
  }
}

platform_cpus_status platform_cpus_list(const platform_info *info, uint64_t boot_hw_id, platform_cpu *cpus,
                                        uint32_t capacity, platform_cpus_census *census, platform_cpu_skip_fn skip,
                                        void *ctx) {
  if (info == 0 || census == 0 || (cpus == 0 && capacity != 0)) return PLATFORM_CPUS_INVALID_ARGUMENT;
  list_pass check = {false, boot_hw_id, 0, 0, 0, false, {0}, 0, 0};
  const char *source = 0;
  platform_cpus_status st = walk(info, list_entry, &check, &source);
  if (st != PLATFORM_CPUS_OK) return st;
  if (!check.boot_seen) return PLATFORM_CPUS_BOOT_CPU_NOT_LISTED;
  if (check.census.usable > capacity) return PLATFORM_CPUS_STORAGE_TOO_SMALL;
  // Slot 0 is the boot CPU's from the start (so the duplicate check sees it): the others fill 1.. in order.
  list_pass fill = {true, boot_hw_id, cpus, capacity, 0, false, {0}, skip, ctx};
  fill.census.usable = 1;
  cpus[0] = (platform_cpu){boot_hw_id, 0};
  walk(info, list_entry, &fill, &source);
  fill.census.source = source;
  fill.census.entries = fill.entries;
  *census = fill.census;
  return PLATFORM_CPUS_OK;
}
