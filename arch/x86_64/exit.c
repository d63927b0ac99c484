// exit.c (x86_64): ends the run through QEMU's isa-debug-exit device.
//
// QEMU is started with -device isa-debug-exit,iobase=0xf4,iosize=0x04; a 32-bit write of `status` there makes
// QEMU exit with (status << 1) | 1, which the runner maps back. Without the device the write is ignored.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

#define ISA_DEBUG_EXIT_PORT 0xF4u

// Writes `status` to the exit device, then halts with interrupts off forever (the fallback when there is no
// such device, e.g. on real hardware).
_Noreturn void arch_exit(uint32_t status) {
  outl(ISA_DEBUG_EXIT_PORT, status);
  cli();
  for (;;) hlt();
}
