// stack.c (x86_64): arch_call_on_stack. The UEFI x64 ABI is the Microsoft one: first argument in RCX, 32 bytes
// of shadow space above the return address, RSP 16-byte aligned at the call (UEFI 2.10 section 2.3.4.2).
#include "arch/arch.h"

_Noreturn void arch_call_on_stack(phys_addr_t stack_top, void (*fn)(void *arg), void *arg) {
  __asm__ volatile(
      "mov %[top], %%rsp\n\t"
      "and $-16, %%rsp\n\t"
      "sub $32, %%rsp\n\t"
      "call *%[fn]\n\t"
      "ud2\n\t"
      :
      : [top] "d"(stack_top), [fn] "a"(fn), "c"(arg)
      : "memory");
  __builtin_unreachable();
}
