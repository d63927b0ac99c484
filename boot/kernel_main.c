// kernel_main.c: the kernel after ExitBootServices. It owns the machine from here: serial console, the
// structured log, the command line, then the memory bring-up (boot/memory_bringup.c), then the EFI runtime
// services (boot/efi/runtime.h: GetTime, and ResetSystem as the power-off), then a clean exit.
#include "arch/arch.h"
#include "boot/efi/runtime.h"
#include "boot/framebuffer_console.h"
#include "boot/handoff.h"
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/test_hooks.h"
#include "mm/firmware_map.h"
#include "mm/log.h"
#include "mm/runtime.h"

// The log's sink: one line at a time to the serial port, each "\n" sent as "\r\n" for terminals, and to the
// framebuffer console when there is one.
static void serial_sink(void *ctx, const char *text, uint64_t len) {
  (void)ctx;
  framebuffer_console_write(text, len);
  uint64_t start = 0;
  for (uint64_t i = 0; i < len; i++) {
    if (text[i] != '\n') continue;
    arch_serial_write(text + start, i - start);
    arch_serial_write("\r\n", 2);
    start = i + 1;
  }
  arch_serial_write(text + start, len - start);
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
    } else if (word_eq(w, len, "selftest.paging_levels")) {
      opt.raise_paging_levels = true;
    } else if (word_eq(w, len, "selftest.hold_screen")) {
      opt.hold_screen = true;
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
  arch_serial_init();
  log_set_sink(serial_sink, 0);
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
  // The platform description the firmware named in its configuration table (ACPI, devicetree, SMBIOS 3).
  static platform_info platform;
  platform_tables tables = {handoff->acpi_rsdp, handoff->devicetree, handoff->devicetree_bytes, handoff->smbios3};
  platform_discover(&platform, &tables, kernel_window);
  platform_log(&platform);
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
