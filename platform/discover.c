// discover.c: opens the firmware's platform tables (discover.h).
#include "platform/discover.h"

#include "mm/log.h"

void platform_discover(platform_info *out, const platform_tables *tables, mm_phys_window window) {
  *out = (platform_info){0};
  out->tables = *tables;
  out->window = window;

  out->acpi_status = ACPI_ERR_NOT_FOUND;
  if (tables->acpi_rsdp != 0) {
    acpi_root root;
    out->acpi_status = acpi_root_init(&root, window, tables->acpi_rsdp);
    if (out->acpi_status == ACPI_OK) out->acpi = root;
  }

  out->dt_status = FDT_ERR_NOT_FOUND;
  if (tables->devicetree != 0) {
    if (tables->devicetree_bytes == 0) {
      out->dt_status = FDT_ERR_BAD_MAGIC;
    } else if (tables->devicetree_bytes > PLATFORM_DTB_MAX_BYTES || window.map == 0) {
      out->dt_status = FDT_ERR_TRUNCATED;
    } else {
      const void *blob = window.map(window.ctx, tables->devicetree, tables->devicetree_bytes);
      fdt_blob dt;
      out->dt_status = blob ? fdt_open(&dt, blob, (size_t)tables->devicetree_bytes) : FDT_ERR_TRUNCATED;
      if (out->dt_status == FDT_OK) out->dt = dt;
    }
  }
}

// A signature as one log token: bytes outside [A-Za-z0-9_] (a corrupt entry's) become '?'.
static void signature_token(const char in[4], char out[5]) {
  for (int i = 0; i < 4; i++) {
    char c = in[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    out[i] = ok ? c : '?';
  }
  out[4] = 0;
}

void platform_log(const platform_info *p) {
  const char *acpi = p->tables.acpi_rsdp == 0 ? "absent" : acpi_status_name(p->acpi_status);
  const char *dt = p->tables.devicetree == 0 ? "absent" : fdt_status_name(p->dt_status);
  debug_structured(LOG_INFO, "platform.firmware", KV_X("acpi", p->tables.acpi_rsdp), KV_S("acpi_status", acpi),
                   KV_X("devicetree", p->tables.devicetree), KV_U("devicetree_bytes", p->tables.devicetree_bytes),
                   KV_S("dt_status", dt), KV_X("smbios3", p->tables.smbios3));
  if (!platform_has_acpi(p) || !log_enabled(LOG_DEBUG)) return;
  for (uint32_t i = 0; i < p->acpi.entry_count; i++) {
    acpi_table t = {0};
    acpi_status s = acpi_root_table(&p->acpi, i, &t);
    char sig[5];
    signature_token(t.signature, sig);
    debug_structured(LOG_DEBUG, "acpi.table", KV_U("index", i), KV_S("sig", s == ACPI_OK ? sig : "????"),
                     KV_X("phys", t.phys), KV_U("length", t.length), KV_U("revision", t.revision),
                     KV_S("status", acpi_status_name(s)));
  }
}

static void dump_table(const acpi_table *t) {
  static const char digits[] = "0123456789abcdef";
  char sig[5], hex[2 * ACPI_DUMP_BYTES_PER_LINE + 1];
  signature_token(t->signature, sig);
  for (uint32_t off = 0; off < t->length; off += ACPI_DUMP_BYTES_PER_LINE) {
    uint32_t n = t->length - off < ACPI_DUMP_BYTES_PER_LINE ? t->length - off : ACPI_DUMP_BYTES_PER_LINE;
    for (uint32_t i = 0; i < n; i++) {
      hex[2 * i] = digits[t->bytes[off + i] >> 4];
      hex[2 * i + 1] = digits[t->bytes[off + i] & 0xf];
    }
    hex[2 * n] = 0;
    debug_structured(LOG_INFO, "acpi.dump", KV_S("sig", sig), KV_X("phys", t->phys), KV_U("length", t->length),
                     KV_U("offset", off), KV_S("hex", hex));
  }
}

void platform_dump_acpi(const platform_info *p) {
  if (!platform_has_acpi(p)) return;
  dump_table(&p->acpi.xsdt);
  for (uint32_t i = 0; i < p->acpi.entry_count; i++) {
    acpi_table t;
    if (acpi_root_table(&p->acpi, i, &t) == ACPI_OK) dump_table(&t);
  }
}

platform_psci platform_find_psci(const platform_info *p) {
  platform_psci out = {PLATFORM_PSCI_UNKNOWN, PLATFORM_PSCI_SOURCE_NONE};
  acpi_table fadt;
  acpi_arm_boot boot;
  if (platform_has_acpi(p) && acpi_root_find(&p->acpi, "FACP", 0, &fadt, 0) == ACPI_OK &&
      acpi_fadt_arm_boot(&fadt, &boot) == ACPI_OK) {
    out.source = PLATFORM_PSCI_SOURCE_FADT;
    if (boot.psci_compliant) out.conduit = boot.psci_use_hvc ? PLATFORM_PSCI_HVC : PLATFORM_PSCI_SMC;
    return out;
  }
  fdt_psci_method method;
  if (platform_has_devicetree(p) && fdt_psci(&p->dt, &method) == FDT_OK) {
    out.source = PLATFORM_PSCI_SOURCE_DEVICETREE;
    out.conduit = method == FDT_PSCI_HVC ? PLATFORM_PSCI_HVC : PLATFORM_PSCI_SMC;
  }
  return out;
}

const char *platform_psci_conduit_name(platform_psci_conduit conduit) {
  return conduit == PLATFORM_PSCI_HVC ? "hvc" : conduit == PLATFORM_PSCI_SMC ? "smc" : "unknown";
}

const char *platform_psci_source_name(platform_psci_source source) {
  return source == PLATFORM_PSCI_SOURCE_FADT         ? "fadt"
         : source == PLATFORM_PSCI_SOURCE_DEVICETREE ? "devicetree"
                                                     : "none";
}
