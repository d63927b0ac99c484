// exit.c (x86_64): ends the run, through QEMU's isa-debug-exit device only when asked to.
//
// QEMU started with -device isa-debug-exit,iobase=0xf4,iosize=0x04 exits with (status << 1) | 1 on a 32-bit
// write of `status` there, which the runner maps back; the runner asks for it with `exit=qemu` on the kernel
// command line. Otherwise the power-off the kernel registered (EFI ResetSystem(EfiResetShutdown), which on
// OVMF writes the ACPI PM1 control register) ends the run; without one (ACPI is not interpreted here, so x86
// has no firmware-independent power-off) the kernel halts with interrupts masked after its last line, and a
// runner without the exit device ends QEMU when it sees that line.
//
// Steps: exit device (if asked) -> registered power-off -> halt. A fault inside a step reaches arch_exit again
// through the kernel's vectors (trap.c, after its panic line); the next entry starts at the next step.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

#define ISA_DEBUG_EXIT_PORT 0xF4u

enum { EXIT_STEP_NONE, EXIT_STEP_DEVICE, EXIT_STEP_POWER_OFF, EXIT_STEP_HALT };

static arch_exit_mode g_exit_mode = ARCH_EXIT_POWER_OFF;
static arch_power_off_fn g_power_off;
static uint32_t g_exit_status;  // the first entry's: a re-entry from the vectors passes 3, not the run's status
static volatile unsigned g_exit_step = EXIT_STEP_NONE;

void arch_exit_set_mode(arch_exit_mode mode) { g_exit_mode = mode; }

void arch_exit_set_power_off(arch_power_off_fn fn) { g_power_off = fn; }

_Noreturn void arch_exit(uint32_t status) {
  cli();
  if (g_exit_step == EXIT_STEP_NONE) g_exit_status = status;
  status = g_exit_status;
  if (g_exit_step < EXIT_STEP_DEVICE) {
    g_exit_step = EXIT_STEP_DEVICE;
    if (g_exit_mode == ARCH_EXIT_QEMU) outl(ISA_DEBUG_EXIT_PORT, status);
  }
  if (g_exit_step < EXIT_STEP_POWER_OFF) {
    g_exit_step = EXIT_STEP_POWER_OFF;
    if (g_power_off) g_power_off(status);
  }
  g_exit_step = EXIT_STEP_HALT;
  for (;;) hlt();
}

// x86 has no PSCI: the conduit the platform names is ignored (arch.h).
void arch_set_psci_conduit(arch_psci_conduit conduit) { (void)conduit; }
