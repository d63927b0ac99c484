// exit.c (x86_64): ends the run, through QEMU's isa-debug-exit device only when asked to.
//
// QEMU started with -device isa-debug-exit,iobase=0xf4,iosize=0x04 exits with (status << 1) | 1 on a 32-bit
// write of `status` there, which the runner maps back; the runner asks for it with `exit=qemu` on the kernel
// command line. Without ACPI (which this kernel does not interpret) x86 has no firmware-independent power-off,
// and UEFI's ResetSystem is not callable after ExitBootServices here, so otherwise the kernel halts with
// interrupts masked after its last line; a runner without the exit device ends QEMU when it sees that line.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

#define ISA_DEBUG_EXIT_PORT 0xF4u

static arch_exit_mode g_exit_mode = ARCH_EXIT_POWER_OFF;
static volatile bool g_exit_entered;

void arch_exit_set_mode(arch_exit_mode mode) { g_exit_mode = mode; }

_Noreturn void arch_exit(uint32_t status) {
  cli();
  // Port output cannot fault at CPL 0, but the rule is the same on both architectures: a second entry only halts.
  if (!g_exit_entered) {
    g_exit_entered = true;
    if (g_exit_mode == ARCH_EXIT_QEMU) outl(ISA_DEBUG_EXIT_PORT, status);
  }
  for (;;) hlt();
}

// x86 has no PSCI: the conduit the platform names is ignored (arch.h).
void arch_set_psci_conduit(arch_psci_conduit conduit) { (void)conduit; }
