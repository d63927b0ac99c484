// panic.c: mm_panic for the kernel. One `panic` line naming the function, the reason and the CPU it happened on
// (`cpu=`, arch_cpu_number), then the run ends with status 3 (the runner reports it as a kernel panic).
#include "arch/arch.h"
#include "mm/log.h"

_Noreturn void mm_panic(const char *where, const char *why) {
  debug_structured(LOG_ERROR, "panic", KV_S("where", where), KV_S("reason", why), KV_U("cpu", arch_cpu_number()));
  arch_exit(3);
}
