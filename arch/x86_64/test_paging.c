// test_paging.c (x86_64): arch_test_raise_paging_levels for the test-hooks kernel: puts the CPU into 5-level
// paging (CR4.LA57 = 1) after ExitBootServices, so the boot test sees the hand-off a firmware that enables
// LA57 would give (OVMF hands over in 4-level mode even on a CPU with LA57). Never linked into //:kernel_x86_64.
//
// LA57 can change only while IA-32e mode is inactive ("MOV to CR4" faults otherwise; Intel SDM Vol. 3A 2.5,
// 4.1.1, 4.1.2), and IA-32e mode can be left only from compatibility mode (10.8.5.4 "Switching Out of IA-32e
// Mode Operation"). So the switch runs a short trampoline:
//   64-bit mode: far jump (m16:32 pointer) to a 32-bit code segment -> compatibility mode, same linear
//     addresses, still paging through the firmware's PML4;
//   compatibility mode: clear CR0.PG (IA-32e mode off: plain 32-bit protected mode, linear == physical, so the
//     code must be identity mapped below 4 GiB), set CR4.LA57, load CR3 with a PML5 whose entry 0 points at
//     the firmware's PML4, set CR0.PG (EFER.LME is still 1, so IA-32e mode comes back, now 5-level: 10.8.5,
//     4.1.2);
//   far jump back to the 64-bit code segment.
// Entry 0 of a PML5 covers linear addresses below 2^48, exactly what the old PML4 translated (4.5), so the
// identity map the kernel runs on does not change. Linux's EFI stub does the same dance for the opposite
// reason (arch/x86/boot/compressed/pgtable_64.c); this code follows the SDM, not theirs.
//
// The 32-bit leg uses no stack and no memory but the two far pointers. Every address it touches (its own code,
// the PML5, the far pointers) lies in the kernel image, which must therefore sit below 4 GiB: checked first.
// The upper halves of general-purpose registers are undefined after a trip through a 32-bit mode (SDM Vol. 1
// 3.4.1.1), so the trampoline saves RSP and the callee-saved registers of the Microsoft x64 ABI the UEFI
// target uses, and restores them from memory.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

#define X86_CR0_PG ((uint64_t)1 << 31)
#define X86_PTE_PRESENT_WRITABLE 0x3ull
#define X86_CR3_ADDR 0x000FFFFFFFFFF000ull
#define FOUR_GIB ((uint64_t)1 << 32)
// CPUID.(EAX=7,ECX=0):ECX[16] = LA57 supported (SDM Vol. 2A, CPUID).
#define CPUID_LEAF_EXT_FEATURES 7u
#define CPUID_ECX_LA57 ((uint32_t)1 << 16)

// The two m16:32 far pointers (offset, then selector; 8 bytes each, padded) and the saved RSP.
typedef struct x86_trampoline_data {
  uint32_t to32_offset;
  uint16_t to32_selector;
  uint16_t pad0;
  uint32_t to64_offset;
  uint16_t to64_selector;
  uint16_t pad1;
  uint64_t saved_rsp;
} x86_trampoline_data;

_Static_assert(sizeof(x86_trampoline_data) == 24, "the trampoline's offsets 0, 8, 16");

static uint64_t g_pml5[512] __attribute__((aligned(4096)));
static x86_trampoline_data g_trampoline_data;

// void x86_la57_trampoline(uint32_t pml5 /* RCX */, x86_trampoline_data *data /* RDX */), MS x64 ABI.
// The far pointers' selectors are filled in by the caller; the offsets here (RIP-relative labels).
void x86_la57_trampoline(uint32_t pml5, x86_trampoline_data *data);
__asm__(
    ".text\n\t"
    ".globl x86_la57_trampoline\n\t"
    ".balign 16\n"
    "x86_la57_trampoline:\n\t"
    "push %rbx\n\t"
    "push %rbp\n\t"
    "push %rsi\n\t"
    "push %rdi\n\t"
    "push %r12\n\t"
    "push %r13\n\t"
    "push %r14\n\t"
    "push %r15\n\t"
    "mov %rsp, 16(%rdx)\n\t"
    "mov %rdx, %rbx\n\t"
    "lea 1f(%rip), %rax\n\t"
    "mov %eax, 0(%rbx)\n\t"
    "lea 2f(%rip), %rax\n\t"
    "mov %eax, 8(%rbx)\n\t"
    "ljmpl *0(%rbx)\n\t"
    ".code32\n"
    "1:\n\t"
    "mov %cr0, %eax\n\t"
    "btr $31, %eax\n\t"  // CR0.PG = 0: IA-32e mode off
    "mov %eax, %cr0\n\t"
    "mov %cr4, %eax\n\t"
    "bts $12, %eax\n\t"  // CR4.LA57 = 1
    "mov %eax, %cr4\n\t"
    "mov %ecx, %cr3\n\t"  // the PML5
    "mov %cr0, %eax\n\t"
    "bts $31, %eax\n\t"  // CR0.PG = 1: IA-32e mode on, 5-level
    "mov %eax, %cr0\n\t"
    "ljmpl *8(%ebx)\n\t"
    ".code64\n"
    "2:\n\t"
    "mov %ebx, %ebx\n\t"  // zero-extend: the upper half is undefined after the 32-bit leg
    "mov 16(%rbx), %rsp\n\t"
    "pop %r15\n\t"
    "pop %r14\n\t"
    "pop %r13\n\t"
    "pop %r12\n\t"
    "pop %rdi\n\t"
    "pop %rsi\n\t"
    "pop %rbp\n\t"
    "pop %rbx\n\t"
    "ret\n\t");

const char *arch_test_raise_paging_levels(void) {
  if ((read_cr4() & X86_CR4_LA57) != 0) return "already_5_level";
  if ((cpuid(CPUID_LEAF_EXT_FEATURES, 0).ecx & CPUID_ECX_LA57) == 0) return "cpu_has_no_la57";
  if ((read_cr4() & X86_CR4_PCIDE) != 0) return "pcide_set";  // clearing CR0.PG would #GP
  uint64_t code = (uint64_t)(uintptr_t)x86_la57_trampoline;
  uint64_t pml5 = (uint64_t)(uintptr_t)g_pml5;
  uint64_t data = (uint64_t)(uintptr_t)&g_trampoline_data;
  if (code + 256 > FOUR_GIB || pml5 + sizeof(g_pml5) > FOUR_GIB || data + sizeof(g_trampoline_data) > FOUR_GIB) {
    return "image_above_4gib";
  }
  for (unsigned i = 0; i < 512; i++) g_pml5[i] = 0;
  g_pml5[0] = (read_cr3() & X86_CR3_ADDR) | X86_PTE_PRESENT_WRITABLE;
  g_trampoline_data.to32_selector = X86_SEL_CODE32;
  g_trampoline_data.to64_selector = X86_SEL_CODE;
  x86_la57_trampoline((uint32_t)pml5, &g_trampoline_data);
  return (read_cr4() & X86_CR4_LA57) != 0 ? 0 : "la57_did_not_stick";
}
