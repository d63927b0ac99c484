// kernel_main.c: the kernel after ExitBootServices. It owns the machine from here: the platform description
// (opened silently), the serial console it describes and the framebuffer console, the structured log, the command
// line, then the memory bring-up (boot/memory_bringup.c), the other CPUs (boot/smp.h), the EFI runtime services
// (boot/efi/runtime.h: GetTime, and ResetSystem as the power-off), then a clean exit.
#include "arch/arch.h"
#include "boot/efi/runtime.h"
#include "boot/framebuffer_console.h"
#include "boot/handoff.h"
#include "boot/kernel.h"
#include "boot/serial_console.h"
#include "boot/smp.h"
#include "boot/test_hooks.h"
#include "mm/firmware_map.h"
#include "mm/log.h"
#include "mm/runtime.h"

static serial_console g_console;

static uint32_t console_io_read(void *ctx, arch_io_space space, phys_addr_t addr, unsigned width) {
  (void)ctx;
  return arch_io_read(space, addr, width);
}

static void console_io_write(void *ctx, arch_io_space space, phys_addr_t addr, unsigned width, uint32_t value) {
  (void)ctx;
  arch_io_write(space, addr, width, value);
}

// The log's sink: one line at a time to the serial port, each "\n" sent as "\r\n" for terminals, and to the
// framebuffer console when there is one.
static void serial_sink(void *ctx, const char *text, uint64_t len) {
  (void)ctx;
  framebuffer_console_write(text, len);
  uint64_t start = 0;
  for (uint64_t i = 0; i < len; i++) {
    if (text[i] != '\n') continue;
    serial_console_write(&g_console, text + start, i - start);
    serial_console_write(&g_console, "\r\n", 2);
    start = i + 1;
  }
  serial_console_write(&g_console, text + start, len - start);
}

uint64_t kernel_device_ranges(arch_map_range *out, uint64_t max) {
  uint64_t n = arch_identity_mmio(out, max);
  arch_map_range console;
  if (serial_console_mmio(&g_console, &console, 1) == 1) {
    if (n < max) out[n] = console;
    n++;
  }
  return n;
}

// Picks the console from the platform description (serial_console.h) and starts it. Nothing is logged before
// this: the log needs the console, so discovery runs silently first.
static void console_start(const platform_info *platform) {
  serial_io io = {console_io_read, console_io_write, 0, arch_has_port_io()};
  bool needs_probe = false;
  arch_uart fallback = arch_serial_default(&needs_probe);
  serial_console_choose(&g_console, platform, &io, &fallback, needs_probe);
  serial_console_init(&g_console);
  log_set_sink(serial_sink, 0);
}

// What the console choice found, once the log can be read: a source that was present but unusable is one line,
// then `console.serial` (not printed when there is no console: nothing would carry it).
static void console_log(void) {
  const serial_console *c = &g_console;
  if (c->spcr_reason != 0) {
    debug_structured(LOG_WARN, "console.spcr", KV_S("status", c->spcr_reason));
  } else if (c->spcr_status != ACPI_OK && c->spcr_status != ACPI_ERR_NOT_FOUND) {
    debug_structured(LOG_WARN, "console.spcr", KV_S("status", acpi_status_name(c->spcr_status)));
  }
  if (c->dt_status != FDT_OK && c->dt_status != FDT_ERR_NOT_FOUND) {
    debug_structured(LOG_WARN, "console.devicetree", KV_S("status", fdt_status_name(c->dt_status)));
  }
  bool last_resort = c->source == SERIAL_SOURCE_DEFAULT && !c->default_probed;
  debug_structured(LOG_INFO, "console.serial", KV_S("kind", serial_kind_name(c->uart.kind)), KV_X("base", c->uart.base),
                   KV_S("source", serial_source_name(c->source)), KV_S("space", serial_space_name(c->uart.space)),
                   KV_U("reg_shift", c->uart.reg_shift), KV_U("width", c->uart.width), KV_U("baud", c->baud),
                   KV_U("probed", c->default_probed), KV_U("last_resort", last_resort));
}

// The PSCI conduit the platform names goes to the arch code (SYSTEM_OFF, CPU_ON): one line says which and why.
static void psci_from_platform(const platform_info *platform) {
  platform_psci psci = platform_find_psci(platform);
  arch_psci_conduit conduit = psci.conduit == PLATFORM_PSCI_HVC   ? ARCH_PSCI_HVC
                              : psci.conduit == PLATFORM_PSCI_SMC ? ARCH_PSCI_SMC
                                                                  : ARCH_PSCI_UNKNOWN;
  arch_set_psci_conduit(conduit);
  debug_structured(LOG_INFO, "platform.psci", KV_S("conduit", platform_psci_conduit_name(psci.conduit)),
                   KV_S("source", platform_psci_source_name(psci.source)));
}

static bool word_eq(const char *a, uint32_t len, const char *b) {
  uint32_t i = 0;
  for (; i < len; i++) {
    if (b[i] != a[i]) return false;
  }
  return b[i] == 0;
}

kernel_options kernel_parse_cmdline(const char *cmdline) {
  kernel_options opt = {0};
  const char *p = cmdline;
  while (*p) {
    while (*p == ' ') p++;
    const char *w = p;
    while (*p && *p != ' ') p++;
    uint32_t len = (uint32_t)(p - w);
    if (len == 0) break;
    if (word_eq(w, len, "debug")) {
      opt.debug = true;
    } else if (word_eq(w, len, "selftest.corrupt_reservation")) {
      opt.corrupt_reservation = true;
    } else if (word_eq(w, len, "selftest.fault_null")) {
      opt.fault_null = true;
    } else if (word_eq(w, len, "selftest.fault_secondary")) {
      opt.fault_secondary = true;
    } else if (word_eq(w, len, "selftest.ap_absent")) {
      opt.ap_absent = true;
    } else if (word_eq(w, len, "selftest.paging_levels")) {
      opt.raise_paging_levels = true;
    } else if (word_eq(w, len, "selftest.hold_screen")) {
      opt.hold_screen = true;
    } else if (word_eq(w, len, "acpi.dump")) {
      opt.acpi_dump = true;
    } else if (word_eq(w, len, "exit=qemu")) {
      opt.exit_qemu = true;
    } else if (word_eq(w, len, "efi.stale_map_key") || word_eq(w, len, "efi.bad_mat")) {
      // Handled before ExitBootServices by efi_main in test builds.
    } else {
      opt.unknown_words++;
    }
  }
  return opt;
}

// The firmware map the runtime allocator keeps (it lives as long as the kernel).
static mm_status firmware_map_of(mm_phys_allocator *a, void *ctx) {
  *(const mm_firmware_map **)ctx = mm_phys_firmware_map(a);
  return MM_OK;
}

_Noreturn void kernel_main(const boot_handoff *handoff) {
  // The platform description the firmware named in its configuration table (ACPI, devicetree, SMBIOS 3), opened
  // without a log line: the console it describes comes first.
  static platform_info platform;
  platform_tables tables = {handoff->acpi_rsdp, handoff->devicetree, handoff->devicetree_bytes, handoff->smbios3};
  platform_discover(&platform, &tables, kernel_window);
  console_start(&platform);
  // The firmware's vectors live in memory reclaimed later: from here on faults are ours (one panic line).
  arch_trap_init();
  framebuffer_console_start(handoff);  // before the first line, so the screen shows the whole log
  kernel_options opt = kernel_parse_cmdline(handoff->cmdline);
  arch_exit_set_mode(opt.exit_qemu ? ARCH_EXIT_QEMU : ARCH_EXIT_POWER_OFF);
  log_set_level(opt.debug ? LOG_DEBUG : LOG_INFO);
  arch_cpu_state cpu = arch_cpu_state_read();
  // AArch64 adds the exception level the firmware handed over at (el=1 or el=2); x86 has none to report.
  if (cpu.el != 0) {
    debug_structured(LOG_INFO, "boot.start", KV_S("arch", arch_name()), KV_S("cmdline_source", handoff->cmdline_source),
                     KV_U("debug", opt.debug), KV_U("exit_attempts", handoff->exit_attempts),
                     KV_X("image_base", handoff->image_base), KV_U("image_bytes", handoff->image_size),
                     KV_U("el", cpu.el));
  } else {
    debug_structured(LOG_INFO, "boot.start", KV_S("arch", arch_name()), KV_S("cmdline_source", handoff->cmdline_source),
                     KV_U("debug", opt.debug), KV_U("exit_attempts", handoff->exit_attempts),
                     KV_X("image_base", handoff->image_base), KV_U("image_bytes", handoff->image_size));
  }
  framebuffer_console_report();
  // Where the exception tables live: the boot tests check they are inside the image (not the firmware's).
  debug_structured(LOG_DEBUG, "boot.trap", KV_X("vectors", cpu.vectors), KV_X("gdt", cpu.gdt));
  if (opt.unknown_words) debug_structured(LOG_WARN, "boot.cmdline", KV_U("unknown_words", opt.unknown_words));
  console_log();
  platform_log(&platform);
  if (opt.acpi_dump) platform_dump_acpi(&platform);
  psci_from_platform(&platform);
  test_hooks_before_bringup(&opt);
  uint32_t status = memory_bringup(handoff, &platform, &opt);
  // Every other CPU, on the memory and tables just set up; they park once the concurrent self-test is over.
  if (status == 0) smp_bringup(&platform, &opt);
  // Runtime services once paging maps them and reclaim is done, outside the allocator's lock.
  const mm_firmware_map *map = 0;
  if (with_runtime_allocator(firmware_map_of, &map) == MM_OK) efi_runtime_start(handoff, map);
  debug_structured(LOG_INFO, "boot.done", KV_U("status", status),
                   KV_U("cycles", arch_cycles() - handoff->cycles_at_entry));
  test_hooks_before_exit(&opt);
  arch_exit(status);
}
