// runtime.c: GetTime and ResetSystem after ExitBootServices, in physical mode (see runtime.h).
#include "boot/efi/runtime.h"

#include "arch/arch.h"
#include "boot/efi/efi.h"
#include "boot/efi/runtime_check.h"
#include "mm/log.h"

static const efi_runtime_services *g_rt;

// arch_exit's power-off step (arch_exit_set_power_off). ResetStatus carries whether the run succeeded
// (8.5.1: "the status code for the reset"); it does not return when the platform powers off.
static void efi_power_off(uint32_t status) {
  debug_structured(LOG_INFO, "efi.runtime", KV_S("reset", "shutdown"), KV_U("status", status));
  g_rt->reset_system(EFI_RESET_SHUTDOWN, status == 0 ? EFI_SUCCESS : EFI_ABORTED, 0, 0);
  // ResetSystem does not return (8.5.1); if it did, say so before arch_exit's fallback.
  debug_structured(LOG_WARN, "efi.runtime", KV_S("reset", "returned"));
}

// EFI_TIME's ranges (8.3): a firmware that reports success with a date outside them is not believed.
static bool time_valid(const efi_time *t) {
  return t->year >= 1900 && t->year <= 9999 && t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31 &&
         t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

bool efi_runtime_start(const boot_handoff *handoff, const mm_firmware_map *map) {
  const char *why = efi_runtime_check(map, handoff->runtime_services);
  if (why) {
    debug_structured(LOG_WARN, "efi.runtime", KV_S("result", "unavailable"), KV_S("reason", why));
    return false;
  }
  g_rt = (const efi_runtime_services *)(uintptr_t)handoff->runtime_services;
  efi_time now = {0};
  efi_status s = g_rt->get_time(&now, 0);
  if (s == EFI_SUCCESS && time_valid(&now)) {
    debug_structured(LOG_INFO, "efi.runtime", KV_S("get_time", "ok"), KV_U("year", now.year), KV_U("month", now.month),
                     KV_U("day", now.day), KV_U("hour", now.hour), KV_U("minute", now.minute),
                     KV_U("second", now.second));
  } else {
    debug_structured(LOG_WARN, "efi.runtime", KV_S("get_time", "error"), KV_X("status", s));
  }
  arch_exit_set_power_off(efi_power_off);
  return true;
}
