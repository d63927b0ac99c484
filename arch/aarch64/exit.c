// exit.c (aarch64): ends the run through semihosting SYS_EXIT_EXTENDED.
//
// Arm "Semihosting for AArch32 and AArch64" (Arm ABI documents), SYS_EXIT_EXTENDED (0x20): X1 points to two
// 64-bit words {reason, subcode}; with reason ADP_Stopped_ApplicationExit (0x20026) the subcode is the exit
// status.
// QEMU needs -semihosting-config enable=on,target=native, and then exits with that status.
//
// The status sent is (status << 1) | 1, what x86's isa-debug-exit produces in hardware, so the runner
// (tools/qemu/run_qemu.sh) decodes both architectures alike and can tell a kernel exit (odd) from a firmware
// reset or PSCI SYSTEM_OFF (0).
#include "arch/aarch64/cpu_ops.h"
#include "arch/arch.h"

#define SEMIHOSTING_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

// Asks the emulator to exit with (status << 1) | 1, then masks interrupts and waits forever. Without
// semihosting the HLT is an undefined instruction and the firmware's exception handler takes over (it reports
// and hangs).
_Noreturn void arch_exit(uint32_t status) {
  uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, ((uint64_t)status << 1) | 1u};
  semihosting_call(SEMIHOSTING_SYS_EXIT_EXTENDED, block);
  mask_all_interrupts();
  for (;;) wfi();
}
