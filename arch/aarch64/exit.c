// exit.c (aarch64): ends the run: QEMU's semihosting exit when asked to, else PSCI SYSTEM_OFF.
//
// Arm "Semihosting for AArch32 and AArch64" (Arm ABI documents), SYS_EXIT_EXTENDED (0x20): X1 points to two
// 64-bit words {reason, subcode}; with reason ADP_Stopped_ApplicationExit (0x20026) the subcode is the exit
// status. QEMU needs -semihosting-config enable=on,target=native; the runner adds it together with `exit=qemu`
// on the kernel command line. Without semihosting HLT #0xF000 is an undefined instruction, so it is executed
// only when the command line asks for it.
//
// The status sent is (status << 1) | 1, what x86's isa-debug-exit produces in hardware, so the runner
// (tools/qemu/run_qemu.sh) decodes both architectures alike and can tell a kernel exit (odd) from a firmware
// reset or PSCI SYSTEM_OFF (0).
//
// Arm PSCI (DEN0022) 5.1.9 SYSTEM_OFF, function ID 0x84000008 (SMC32 convention), no arguments, does not
// return on success. The conduit (SMC Calling Convention DEN0028): HVC from EL1 reaches the hypervisor or the
// emulator's PSCI (QEMU virt without virtualization=on); at EL2 the call must be SMC (QEMU virt with
// virtualization=on implements PSCI as the EL3 firmware would). The platform names its conduit (ACPI FADT
// ARM_BOOT_ARCH PSCI_USE_HVC, devicetree /psci method) through arch_set_psci_conduit, kept in psci.c. When it
// named none and the EL1 guess (HVC) returns or is undefined (no EL2), SMC is tried next, the conduit of machines
// whose PSCI is in EL3 firmware.
//
// Steps: semihosting exit (if asked) -> PSCI SYSTEM_OFF through psci_call (the named conduit, else HVC at EL1 and
// SMC at EL2) -> with no named conduit at EL1, PSCI through SMC -> WFI loop with everything masked. A fault in a step
// (no semihosting, no such conduit) comes back here through the kernel's vectors (trap.c prints no line while the exit
// is in progress), and the next entry starts at the next step: the path never recurses.
#include "arch/aarch64/cpu_ops.h"
#include "arch/aarch64/exit_state.h"
#include "arch/aarch64/psci.h"
#include "arch/arch.h"

#define SEMIHOSTING_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

enum { EXIT_STEP_NONE, EXIT_STEP_SEMIHOSTING, EXIT_STEP_PSCI, EXIT_STEP_PSCI_SMC_AT_EL1, EXIT_STEP_HALT };

static arch_exit_mode g_exit_mode = ARCH_EXIT_POWER_OFF;
static volatile unsigned g_exit_step = EXIT_STEP_NONE;

void arch_exit_set_mode(arch_exit_mode mode) { g_exit_mode = mode; }

bool aarch64_exit_in_progress(void) { return g_exit_step != EXIT_STEP_NONE; }

_Noreturn void arch_exit(uint32_t status) {
  mask_all_interrupts();
  if (g_exit_step < EXIT_STEP_SEMIHOSTING) {
    g_exit_step = EXIT_STEP_SEMIHOSTING;
    if (g_exit_mode == ARCH_EXIT_QEMU) {
      uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, ((uint64_t)status << 1) | 1u};
      semihosting_call(SEMIHOSTING_SYS_EXIT_EXTENDED, block);
    }
  }
  if (g_exit_step < EXIT_STEP_PSCI) {
    g_exit_step = EXIT_STEP_PSCI;
    psci_call(PSCI_FN_SYSTEM_OFF, 0, 0, 0);
  }
  if (g_exit_step < EXIT_STEP_PSCI_SMC_AT_EL1) {
    g_exit_step = EXIT_STEP_PSCI_SMC_AT_EL1;
    if (!psci_conduit_named() && psci_conduit() == ARCH_PSCI_HVC) psci_call_smc(PSCI_FN_SYSTEM_OFF, 0, 0, 0);
  }
  g_exit_step = EXIT_STEP_HALT;
  for (;;) wfi();
}
