// stack.c (aarch64): arch_call_on_stack. AAPCS64: first argument in X0, SP 16-byte aligned at all times
// (UEFI 2.10 section 2.3.6; Arm IHI 0055 "Procedure Call Standard", 6.4.5.1).
#include "arch/arch.h"

_Noreturn void arch_call_on_stack(phys_addr_t stack_top, void (*fn)(void *arg), void *arg) {
  register void *x0 __asm__("x0") = arg;
  __asm__ volatile(
      "mov sp, %[top]\n\t"
      "blr %[fn]\n\t"
      "brk #1\n\t"
      :
      : [top] "r"(stack_top & ~(phys_addr_t)15), [fn] "r"(fn), "r"(x0)
      : "memory");
  __builtin_unreachable();
}
