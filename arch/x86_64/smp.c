// smp.c (x86_64): the secondary-CPU half of arch.h: arch_cpu_start (INIT-SIPI-SIPI and a real-mode
// trampoline), the per-CPU block behind arch_cpu_number, arch_cpu_hw_id, arch_cpu_relax.
//
// How a secondary gets from its start-up IPI to entry(arg) (Intel SDM Vol. 3A 8.4 "Multiple-Processor (MP)
// Initialization", 9.9 "Mode Switching", 10.8.5 "Initializing IA-32e Mode"):
//
//   trampoline page (< 1 MiB, copied from x86_ap_tramp_start..end, its data block patched at copy time)
//     16-bit real mode, CS:IP = (vector << 8):0000 (8.4.4.1 / 8.4.3): DS = CS, EBX = the page's linear address;
//         LGDT of the page's own GDT (a copy of the kernel's 4 descriptors), CR0.PE = 1, far jump (m16:32) to
//         the 32-bit code selector (9.9.1);
//     32-bit protected mode, flat segments: CR4 = the boot CPU's (PAE, LA57 as it has it; the bits that need
//         IA-32e mode or CR0.WP left out, X86_CR4_SET_IN_LONG_MODE), the transit root (below) in CR3, EFER = LME (+ NXE
//         as the boot CPU has it), CR0 = the boot CPU's (PG, WP, caches on): IA-32e mode, compatibility submode
//         (10.8.5); far jump to the 64-bit code selector;
//     64-bit mode, still in the page: jump to x86_ap_long_entry in the kernel image.
//   kernel image
//     x86_ap_long_entry: CR3 = the kernel's root, full CR4, the kernel's GDT and IDT (the boot CPU's tables),
//         CS/DS/ES/SS/FS/GS reloaded, RSP = the CPU's stack; calls x86_ap_main (C): GS base = the per-CPU block,
//         XCR0 as the boot CPU's, the "arrived" flag, entry(arg).
//
// Why transit tables: the 32-bit leg can load only a 32-bit CR3 (10.8.5: the root used to enter IA-32e mode
// lies below 4 GiB), while the kernel's root, and the image, may lie above (OVMF loads the image at its
// preferred 0x140000000 when there is RAM there); and the kernel's identity map makes RAM outside the image
// non-executable, so the trampoline page could not fetch its next instruction once paging is on. The transit
// tables identity-map, with 2 MiB pages, writable and executable, just the 2 MiB regions the CPU touches before
// it loads the kernel's root: the one holding the trampoline page (below 1 MiB), the one holding
// x86_ap_long_entry's first instructions and the one holding the boot block (both in the image, below 512 GiB).
// Their root is the trampoline page itself: once the 32-bit leg no longer needs its first 8 bytes (the 16-bit
// code already run), it writes entry 0 there (PML4E, or PML5E with LA57; SDM Vol. 3A 4.5, Tables 4-14/4-15),
// pointing at the lower levels in the image. Entries 1..511 are never used for a translation: every address the
// CPU touches on the transit tables lies below 512 GiB, in entry 0. The image's code is executable in both the
// transit and the kernel's tables, so the switch to the kernel's root happens there.
//
// One start at a time (arch.h): the boot block x86_ap_boot is shared, and the boot CPU waits until the new CPU
// has copied what it needs (the "arrived" flag) before it returns. A CPU that does not arrive in time gets an
// INIT IPI, which puts it back into wait-for-SIPI (8.4.1), so it cannot wander into a later CPU's boot block.
// Interrupts stay masked throughout: the trampoline starts with CLI, the boot CPU ran arch_trap_init.
#include "arch/x86_64/smp.h"
#include "arch/arch.h"
#include "arch/spin_wait.h"
#include "arch/x86_64/ap_boot.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu_ops.h"

#define FRAME 4096u
// CR4 bits the 32-bit leg leaves clear and x86_ap_long_entry sets, in 64-bit mode with CR0.WP on (SDM Vol. 3A
// 2.5): PCIDE (17) may be set only in IA-32e mode; CET (23) only with CR0.WP = 1, which INIT clears; PKE (22) and
// PKS (24) only govern IA-32e paging. Everything else (PAE, LA57, PGE, OSFXSR, ...) goes in before paging is on.
#define X86_CR4_SET_IN_LONG_MODE (((uint64_t)1 << 17) | ((uint64_t)1 << 22) | ((uint64_t)1 << 23) | ((uint64_t)1 << 24))

// Waits of the start-up sequence (SDM Vol. 3A 8.4.4.1, "Typical BSP Initialization Sequence": INIT, 10 ms,
// SIPI, 200 us, SIPI, 200 us) and how long the new CPU gets to reach the kernel: generous, since multi-threaded
// TCG on a loaded 2-core host runs a vCPU thread only when the host schedules it.
#define INIT_DELAY_US 10000u
#define SIPI_DELAY_US 200u
#define ARRIVAL_TIMEOUT_US 2000000u

phys_addr_t x86_kernel_root;

// ---- Per-CPU block ---------------------------------------------------------------------------------------

// What GS base points at on each CPU. The boot CPU's is static; a secondary's sits in the top
// X86_PERCPU_RESERVE bytes of its own stack (kernel-owned for the CPU's lifetime, so no fixed CPU maximum).
typedef struct x86_percpu {
  struct x86_percpu *self;
  uint32_t cpu_number;
  uint32_t reserved;
} x86_percpu;

#define X86_PERCPU_RESERVE 64u
_Static_assert(sizeof(x86_percpu) <= X86_PERCPU_RESERVE, "the per-CPU block fits its stack reserve");
_Static_assert(X86_PERCPU_RESERVE % 16 == 0, "the stack below it stays 16-byte aligned");

static x86_percpu g_boot_percpu;
static volatile bool g_percpu_ready;

void x86_percpu_install_boot(void) {
  g_boot_percpu = (x86_percpu){.self = &g_boot_percpu, .cpu_number = 0, .reserved = 0};
  wrmsr(X86_MSR_GS_BASE, (uint64_t)(uintptr_t)&g_boot_percpu);
  g_percpu_ready = true;
}

uint32_t arch_cpu_number(void) {
  if (!g_percpu_ready) return 0;
  return gs_read32(__builtin_offsetof(x86_percpu, cpu_number));
}

uint64_t arch_cpu_hw_id(void) {
  x86_apic apic = x86_apic_probe();
  return x86_apic_id(&apic);
}

void arch_cpu_relax(void) { cpu_relax(); }

// ---- Boot block (in the image; read by x86_ap_long_entry and x86_ap_main) ----------------------------------

typedef struct x86_ap_boot {
  uint64_t cr3;  // 0: the kernel's root
  uint64_t cr4;  // 8: the boot CPU's CR4, X86_CR4_SET_IN_LONG_MODE included
  uint64_t stack;  // 16: initial RSP, just below the per-CPU block
  x86_desc_ptr gdtr;  // 24: the kernel's GDT (10 bytes)
  uint8_t pad0[6];
  x86_desc_ptr idtr;  // 40: the kernel's IDT
  uint8_t pad1[6];
  uint64_t xcr0;  // the boot CPU's XCR0 (valid with CR4.OSXSAVE)
  uint64_t percpu;
  void (*entry)(void *arg);
  void *arg;
  uint32_t cpu_number;
  uint64_t arrived;  // 0 -> 1 by the new CPU once it no longer reads this block (atomics; arch_spin_wait_flag)
} x86_ap_boot;

_Static_assert(__builtin_offsetof(x86_ap_boot, cr3) == 0, "x86_ap_long_entry's offsets");
_Static_assert(__builtin_offsetof(x86_ap_boot, cr4) == 8, "x86_ap_long_entry's offsets");
_Static_assert(__builtin_offsetof(x86_ap_boot, stack) == 16, "x86_ap_long_entry's offsets");
_Static_assert(__builtin_offsetof(x86_ap_boot, gdtr) == 24, "x86_ap_long_entry's offsets");
_Static_assert(__builtin_offsetof(x86_ap_boot, idtr) == 40, "x86_ap_long_entry's offsets");

// External linkage: the asm below refers to both by name.
x86_ap_boot x86_ap_boot_block;
_Noreturn void x86_ap_main(void);

// Transit tables below the root (the trampoline page), filled by x86_ap_transit_build (ap_boot.h).
static x86_ap_table x86_ap_tables[X86_AP_TRANSIT_TABLES] __attribute__((aligned(4096)));

// ---- Trampoline --------------------------------------------------------------------------------------------

// The data block at the trampoline's end, filled in the copy (packed: the asm uses these offsets).
typedef struct __attribute__((packed)) x86_tramp_data {
  uint64_t gdt[4];  // 0: the kernel's descriptors: null, 0x08 code64, 0x10 data, 0x18 code32
  uint16_t gdtr_limit;  // 32: LGDT operand (32-bit base form, loaded with operand size 32: 9.9.1)
  uint32_t gdtr_base;  // 34
  uint16_t pad0;
  uint32_t far32_offset;  // 40: m16:32 far pointer to the 32-bit leg
  uint16_t far32_selector;
  uint16_t pad1;
  uint32_t far64_offset;  // 48: m16:32 far pointer to the 64-bit leg
  uint16_t far64_selector;
  uint16_t pad2;
  uint32_t cr0;  // 56
  uint32_t cr4;  // 60
  uint32_t efer;  // 64: low half of IA32_EFER (LME, NXE)
  uint32_t pad3;
  uint64_t long_entry;  // 72: x86_ap_long_entry
  uint64_t root_entry;  // 80: entry 0 of the transit root, written over the page's first 8 bytes
} x86_tramp_data;

_Static_assert(sizeof(x86_tramp_data) == 88, "the .space in the trampoline");
_Static_assert(__builtin_offsetof(x86_tramp_data, gdtr_limit) == 32, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, far32_offset) == 40, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, far64_offset) == 48, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, cr0) == 56, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, cr4) == 60, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, efer) == 64, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, long_entry) == 72, "trampoline offsets");
_Static_assert(__builtin_offsetof(x86_tramp_data, root_entry) == 80, "trampoline offsets");

extern const char x86_ap_tramp_start[], x86_ap_tramp_32[], x86_ap_tramp_64[], x86_ap_tramp_data[], x86_ap_tramp_end[];
extern const char x86_ap_long_entry[];

// Position independent: every address is either CS-relative (16-bit leg, CS base = the page) or EBX/RBX-relative
// (EBX = the page's linear address), and the absolute ones (far pointers, GDT base, long_entry) are patched into
// the data block by arch_cpu_start. D = the data block's offset in the page.
#define TRAMP_D "(x86_ap_tramp_data - x86_ap_tramp_start)"
// One instruction per line; the formatter would split the TRAMP_D concatenations.
// clang-format off
__asm__(
    ".text\n\t"
    ".balign 16\n\t"
    ".globl x86_ap_tramp_start\n"
    "x86_ap_tramp_start:\n\t"
    ".code16\n\t"
    "cli\n\t"
    "cld\n\t"
    "mov %cs, %ax\n\t"
    "mov %ax, %ds\n\t"
    "movzwl %ax, %ebx\n\t"
    "shll $4, %ebx\n\t"
    "lgdtl " TRAMP_D " + 32\n\t"
    "mov %cr0, %eax\n\t"
    "orl $1, %eax\n\t"  // CR0.PE
    "mov %eax, %cr0\n\t"
    "ljmpl *" TRAMP_D " + 40\n\t"
    ".code32\n\t"
    ".globl x86_ap_tramp_32\n"
    "x86_ap_tramp_32:\n\t"
    "mov $0x10, %ax\n\t"
    "mov %ax, %ds\n\t"
    "mov %ax, %es\n\t"
    "mov %ax, %ss\n\t"
    "mov %ax, %fs\n\t"
    "mov %ax, %gs\n\t"
    "mov " TRAMP_D " + 60(%ebx), %eax\n\t"
    "mov %eax, %cr4\n\t"
    "mov " TRAMP_D " + 80(%ebx), %eax\n\t"  // the page becomes the transit root: entry 0
    "mov %eax, 0(%ebx)\n\t"
    "mov " TRAMP_D " + 84(%ebx), %eax\n\t"
    "mov %eax, 4(%ebx)\n\t"
    "mov %ebx, %cr3\n\t"
    "mov $0xC0000080, %ecx\n\t"  // IA32_EFER
    "mov " TRAMP_D " + 64(%ebx), %eax\n\t"
    "xor %edx, %edx\n\t"
    "wrmsr\n\t"
    "mov " TRAMP_D " + 56(%ebx), %eax\n\t"
    "mov %eax, %cr0\n\t"  // PG: IA-32e mode, compatibility submode
    "ljmpl *" TRAMP_D " + 48(%ebx)\n\t"
    ".code64\n\t"
    ".globl x86_ap_tramp_64\n"
    "x86_ap_tramp_64:\n\t"
    "mov %ebx, %ebx\n\t"  // zero-extend: upper halves are undefined after the 32-bit leg (Vol. 1 3.4.1.1)
    "jmp *" TRAMP_D " + 72(%rbx)\n\t"
    ".balign 16\n\t"
    ".globl x86_ap_tramp_data\n"
    "x86_ap_tramp_data:\n\t"
    ".space 88\n\t"
    ".globl x86_ap_tramp_end\n"
    "x86_ap_tramp_end:\n\t"
    // In the image, on the transit tables, CS = the trampoline's 64-bit selector.
    ".balign 16\n\t"
    ".globl x86_ap_long_entry\n"
    "x86_ap_long_entry:\n\t"
    "lea x86_ap_boot_block(%rip), %rbx\n\t"
    "mov 0(%rbx), %rax\n\t"
    "mov %rax, %cr3\n\t"
    "mov 8(%rbx), %rax\n\t"
    "mov %rax, %cr4\n\t"
    "lgdt 24(%rbx)\n\t"
    "lidt 40(%rbx)\n\t"
    "mov 16(%rbx), %rsp\n\t"
    "pushq $0x08\n\t"  // X86_SEL_CODE
    "lea 1f(%rip), %rax\n\t"
    "pushq %rax\n\t"
    "lretq\n"
    "1:\n\t"
    "mov $0x10, %eax\n\t"  // X86_SEL_DATA
    "mov %eax, %ds\n\t"
    "mov %eax, %es\n\t"
    "mov %eax, %ss\n\t"
    "mov %eax, %fs\n\t"
    "mov %eax, %gs\n\t"
    "sub $32, %rsp\n\t"  // shadow space (UEFI 2.10 2.3.4.2)
    "call x86_ap_main\n\t"
    "ud2\n\t");
// clang-format on

_Static_assert(X86_SEL_CODE == 0x08 && X86_SEL_DATA == 0x10 && X86_SEL_CODE32 == 0x18,
               "the trampoline's selectors are the kernel GDT's");

// On the new CPU, on its stack, with the kernel's tables: installs its per-CPU block, then reports arrival.
// Everything it needs from the boot block is read before the flag: the boot CPU reuses the block after it.
_Noreturn void x86_ap_main(void) {
  x86_ap_boot *b = &x86_ap_boot_block;
  x86_percpu *self = (x86_percpu *)(uintptr_t)b->percpu;
  *self = (x86_percpu){.self = self, .cpu_number = b->cpu_number, .reserved = 0};
  wrmsr(X86_MSR_GS_BASE, (uint64_t)(uintptr_t)self);
  // XCR0 is not part of what INIT leaves as the boot CPU set it (SDM Vol. 3A 9.1.1, Table 9-1).
  if ((b->cr4 & X86_CR4_OSXSAVE) != 0) xsetbv0(b->xcr0);
  void (*entry)(void *) = b->entry;
  void *arg = b->arg;
  __atomic_store_n(&b->arrived, 1, __ATOMIC_RELEASE);
  entry(arg);
  for (;;) {
    cli();
    hlt();
  }
}

// Copies the trampoline into `page`, zeroes the rest of the page (it becomes the transit root, whose other
// entries must not point anywhere) and fills the data block.
static void install_trampoline(phys_addr_t page, uint64_t root_entry) {
  uint64_t bytes = (uint64_t)(x86_ap_tramp_end - x86_ap_tramp_start);
  volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)page;
  for (uint64_t i = 0; i < FRAME; i++) dst[i] = i < bytes ? (uint8_t)x86_ap_tramp_start[i] : 0;
  uint64_t d = (uint64_t)(x86_ap_tramp_data - x86_ap_tramp_start);
  x86_tramp_data *data = (x86_tramp_data *)(uintptr_t)(page + d);
  const uint64_t *kernel_gdt = (const uint64_t *)(uintptr_t)sgdt().base;
  for (unsigned i = 0; i < 4; i++) data->gdt[i] = kernel_gdt[i];
  data->gdtr_limit = (uint16_t)(sizeof(data->gdt) - 1);
  data->gdtr_base = (uint32_t)(page + d);
  data->far32_offset = (uint32_t)(page + (uint64_t)(x86_ap_tramp_32 - x86_ap_tramp_start));
  data->far32_selector = X86_SEL_CODE32;
  data->far64_offset = (uint32_t)(page + (uint64_t)(x86_ap_tramp_64 - x86_ap_tramp_start));
  data->far64_selector = X86_SEL_CODE;
  data->cr0 = (uint32_t)read_cr0();
  data->cr4 = (uint32_t)(read_cr4() & ~X86_CR4_SET_IN_LONG_MODE);
  data->pad3 = 0;
  data->root_entry = root_entry;
  data->efer = (uint32_t)(X86_EFER_LME | (rdmsr(X86_MSR_EFER) & X86_EFER_NXE));
  data->long_entry = (uint64_t)(uintptr_t)x86_ap_long_entry;
}

static bool arrived(void) { return __atomic_load_n(&x86_ap_boot_block.arrived, __ATOMIC_ACQUIRE) != 0; }

// Waits up to `us` microseconds for the new CPU's flag (arch_cycles is the TSC).
static bool wait_arrival(uint64_t us) {
  return arch_spin_wait_flag(&x86_ap_boot_block.arrived, us * x86_tsc_ticks_per_us());
}

// The Start-Up IPI names a 4 KiB page below 1 MiB by its page number (Intel SDM Vol. 3A 8.4.4.1).
bool arch_secondary_needs_trampoline(void) { return true; }

const char *arch_cpu_start(const arch_secondary_start *start) {
  if (start == 0 || start->entry == 0 || start->stack_top == 0 || (start->stack_top & 15) != 0 ||
      start->stack_top < X86_PERCPU_RESERVE) {
    return "invalid_parameters";
  }
  if (x86_kernel_root == 0) return "paging_not_active";
  // The trampoline copies the kernel's GDT and the new CPU loads its IDT: arch_trap_init must have installed them.
  if (!g_percpu_ready) return "traps_not_installed";
  phys_addr_t page = start->trampoline;
  const char *bad = x86_ap_trampoline_check(page, (uint64_t)(x86_ap_tramp_end - x86_ap_tramp_start));
  if (bad) return bad;
  x86_apic apic = x86_apic_probe();
  if (!apic.enabled) return "apic_disabled";
  if (start->hw_id == x86_apic_id(&apic)) return "invalid_parameters";  // that is the calling CPU
  if (!apic.x2apic && start->hw_id > 0xFF) return "hw_id_out_of_range";

  uint64_t cr4 = read_cr4();
  x86_ap_boot *b = &x86_ap_boot_block;
  uint64_t top = start->stack_top;
  b->cr3 = x86_kernel_root;
  b->cr4 = cr4;
  b->stack = top - X86_PERCPU_RESERVE;
  b->gdtr = sgdt();
  b->idtr = sidt();
  b->xcr0 = (cr4 & X86_CR4_OSXSAVE) != 0 ? xgetbv0() : 0;
  b->percpu = top - X86_PERCPU_RESERVE;
  b->entry = start->entry;
  b->arg = start->arg;
  b->cpu_number = start->cpu_number;
  __atomic_store_n(&b->arrived, 0, __ATOMIC_RELEASE);
  // The regions touched before the kernel's root is loaded: the trampoline page, x86_ap_long_entry's first
  // instructions (16-byte aligned, under 16 bytes up to the CR3 load) and the boot block's cr3 field.
  const uint64_t transit[] = {page, (uint64_t)(uintptr_t)x86_ap_long_entry, (uint64_t)(uintptr_t)&b->cr3};
  uint64_t root_entry = x86_ap_transit_build(x86_ap_tables, transit, 3, (cr4 & X86_CR4_LA57) != 0);
  if (root_entry == 0) return "image_out_of_reach";
  install_trampoline(page, root_entry);
  mfence();

  // INIT (assert, edge), 10 ms, then Start-Up with the page number, 200 us, and a second Start-Up if the CPU
  // has not arrived yet (a Start-Up is ignored by a CPU not in wait-for-SIPI: 8.4.4.1, 11.6.1). Modern CPUs
  // need no INIT level de-assert, and x2APIC mode does not support it (11.12.10.1 / 11.6.1).
  const char *why = x86_apic_send_ipi(&apic, start->hw_id, X86_ICR_INIT | X86_ICR_LEVEL_ASSERT);
  if (why) return why;
  x86_delay_us(INIT_DELAY_US);
  uint32_t sipi = X86_ICR_STARTUP | X86_ICR_LEVEL_ASSERT | (uint32_t)(page >> 12);
  for (unsigned i = 0; i < 2 && !arrived(); i++) {
    why = x86_apic_send_ipi(&apic, start->hw_id, sipi);
    if (why) break;
    wait_arrival(SIPI_DELAY_US);
  }
  if (!why && wait_arrival(ARRIVAL_TIMEOUT_US)) return 0;
  // Back to wait-for-SIPI, so a late CPU cannot run into the next CPU's boot block.
  x86_apic_send_ipi(&apic, start->hw_id, X86_ICR_INIT | X86_ICR_LEVEL_ASSERT);
  return why ? why : "timeout";
}
