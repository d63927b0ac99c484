// trap.c (aarch64): arch_trap_init, the kernel's own exception vector table.
//
// After ExitBootServices VBAR_ELx still points at the firmware's vectors, in memory the kernel later reclaims;
// an abort would then branch into freed memory and recurse with no output. This file installs a table inside
// the kernel image: every exception becomes one `panic stage=exception` line and arch_exit(3).
//
// Arm ARM (DDI 0487) references:
//   D1.10.2 "Exception vectors": VBAR_ELx holds the table base, 2 KiB aligned (bits [10:0] RES0); 16 entries
//     of 0x80 bytes: {current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64, lower EL AArch32} x
//     {Synchronous, IRQ, FIQ, SError}. Entry index = offset / 0x80.
//   D1.10.1 / D17: ESR_ELx (syndrome; EC in [31:26]), ELR_ELx (return address), FAR_ELx (faulting address,
//     valid for aborts), SPSR_ELx; CurrentEL[3:2] selects which set (EL1 or EL2) the exception used.
//   The ISB after the VBAR write (in cpu_ops.h) makes the new base visible to later exceptions.
//
// The table is the only asm here besides cpu_ops.h: it runs before any C frame exists.
#include "arch/aarch64/cpu_ops.h"
#include "arch/aarch64/exit_state.h"
#include "arch/arch.h"
#include "mm/log.h"

#define AARCH64_VECTOR_ENTRIES 16
#define AARCH64_TRAP_STACK_BYTES 16384

// The boot CPU's handler runs on its own stack in the image (SP_ELx at the time of the exception may be the
// firmware's, or the fault may be a bad SP). A secondary CPU (TPIDR_ELx, its number, nonzero: smp.c) stays on
// the kernel stack it was started with, so two CPUs faulting at once do not share one. Referenced from the asm
// below, hence external linkage.
uint8_t aarch64_trap_stack[AARCH64_TRAP_STACK_BYTES] __attribute__((aligned(16)));
extern const char aarch64_vectors[];
_Noreturn void aarch64_trap_handler(uint64_t index);

// Entry n: X0 = n, then the common path: switch to the trap stack and call the C handler (AAPCS64: X0 is the
// first argument). Nothing returns, so no registers are saved.
#define VECTOR_ENTRY(n) ".balign 0x80\n\tmov x0, #" #n "\n\tb aarch64_trap_common\n\t"

__asm__(
    ".text\n\t"
    ".balign 2048\n"
    "aarch64_vectors:\n\t"
    VECTOR_ENTRY(0) VECTOR_ENTRY(1) VECTOR_ENTRY(2) VECTOR_ENTRY(3)
    VECTOR_ENTRY(4) VECTOR_ENTRY(5) VECTOR_ENTRY(6) VECTOR_ENTRY(7)
    VECTOR_ENTRY(8) VECTOR_ENTRY(9) VECTOR_ENTRY(10) VECTOR_ENTRY(11)
    VECTOR_ENTRY(12) VECTOR_ENTRY(13) VECTOR_ENTRY(14) VECTOR_ENTRY(15)
    ".balign 0x80\n"
    "aarch64_trap_common:\n\t"
    "mrs x1, CurrentEL\n\t"
    "cmp x1, #8\n\t"
    "b.eq 1f\n\t"
    "mrs x2, TPIDR_EL1\n\t"
    "b 2f\n"
    "1:\n\t"
    "mrs x2, TPIDR_EL2\n"
    "2:\n\t"
    "cbnz x2, 3f\n\t"  // a secondary CPU (number != 0) reports on its own kernel stack
    "adrp x1, aarch64_trap_stack\n\t"
    "add x1, x1, :lo12:aarch64_trap_stack\n\t"
    "add x1, x1, #4, lsl #12\n\t"  // + 16384, the stack's top
    "mov sp, x1\n"
    "3:\n\t"
    "bl aarch64_trap_handler\n\t"
    "brk #2\n\t");

static const char *const kKinds[4] = {"sync", "irq", "fiq", "serror"};
static const char *const kOrigins[4] = {"current_el_sp0", "current_el_spx", "lower_el_a64", "lower_el_a32"};

static unsigned current_el(void) { return (unsigned)((r_currentel() >> 2) & 3u); }

_Noreturn void aarch64_trap_handler(uint64_t index) {
  static volatile bool in_handler;
  if (in_handler) arch_exit(3);  // a fault while reporting one: end the run without another line
  // A step of arch_exit failed (e.g. HLT #0xF000 without semihosting): not a kernel fault, so no line; the
  // next entry tries the next way to end the run.
  if (aarch64_exit_in_progress()) arch_exit(3);
  in_handler = true;
  unsigned el = current_el();
  uint64_t esr, elr, far, spsr;
  if (el == 2u) {
    esr = r_esr_el2(), elr = r_elr_el2(), far = r_far_el2(), spsr = r_spsr_el2();
  } else {
    esr = r_esr_el1(), elr = r_elr_el1(), far = r_far_el1(), spsr = r_spsr_el1();
  }
  debug_structured(LOG_ERROR, "panic", KV_S("stage", "exception"), KV_S("arch", "aarch64"), KV_U("vector", index),
                   KV_S("kind", kKinds[index & 3u]), KV_S("from", kOrigins[(index >> 2) & 3u]), KV_U("el", el),
                   KV_X("esr", esr), KV_X("ec", (esr >> 26) & 0x3Fu), KV_X("elr", elr), KV_X("far", far),
                   KV_X("spsr", spsr), KV_U("cpu", arch_cpu_number()));
  arch_exit(3);
}

// Masks D, A, I and F, then points VBAR of the running exception level (EL1, or EL2 when UEFI handed over
// there) at the table. Also makes this the boot CPU: TPIDR_ELx = 0, the number arch_cpu_number reads (the
// firmware may have left any value there); secondaries get theirs from smp.c's entry stub.
void arch_trap_init(void) {
  mask_all_interrupts();
  uint64_t base = (uint64_t)(uintptr_t)aarch64_vectors;
  if (current_el() == 2u) {
    w_tpidr_el2(0);
    w_vbar_el2(base);
  } else {
    w_tpidr_el1(0);
    w_vbar_el1(base);
  }
}

arch_cpu_state arch_cpu_state_read(void) {
  unsigned el = current_el();
  return (arch_cpu_state){.vectors = el == 2u ? r_vbar_el2() : r_vbar_el1(), .gdt = 0, .el = el};
}
