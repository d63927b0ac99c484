// cpu_ops.h (x86_64): the only place with inline asm for this architecture. One tiny named helper per
// instruction, in the style of xv6's riscv.h, so the logic in cpu.c, serial.c and exit.c reads as C.
//
// Kernel only (UEFI target): never include this from paging.c or anything compiled for the host tests.
#ifndef ARCH_X86_64_CPU_OPS_H
#define ARCH_X86_64_CPU_OPS_H

#include <stdint.h>

// IA32_EFER (Intel SDM Vol. 3A 2.2.1, Vol. 4 MSR list): bit 11 NXE enables the XD/NX bit in paging entries.
#define X86_MSR_EFER 0xC0000080u
#define X86_EFER_NXE ((uint64_t)1 << 11)

// CR0.WP (SDM Vol. 3A 2.5): when set, supervisor writes to read-only pages fault (4.6.1); when clear, the
// kernel may write through R/W = 0 entries.
#define X86_CR0_WP ((uint64_t)1 << 16)

// CR4.PGE (SDM Vol. 3A 2.5): global pages. A MOV to CR4 that changes PGE invalidates every TLB entry, global
// ones included (SDM Vol. 3A 4.10.4.1).
#define X86_CR4_PGE ((uint64_t)1 << 7)
// CR4.LA57 (SDM Vol. 3A 2.5, 4.1.1): 5-level paging; only changeable while IA-32e mode is inactive (paging off).
#define X86_CR4_LA57 ((uint64_t)1 << 12)
// CR4.PCIDE (SDM Vol. 3A 2.5): clearing CR0.PG while it is set faults (#GP), so the LA57 trampoline refuses it.
#define X86_CR4_PCIDE ((uint64_t)1 << 17)

// The kernel GDT's selectors (trap.c builds the table; SDM Vol. 3A 3.4.2: index << 3, TI = 0, RPL = 0).
#define X86_SEL_CODE 0x08u    // 64-bit ring-0 code
#define X86_SEL_DATA 0x10u    // ring-0 data, flat 4 GiB, D/B = 1
#define X86_SEL_CODE32 0x18u  // 32-bit ring-0 code (compatibility mode), used only by the test LA57 trampoline

typedef struct x86_cpuid_regs {
  uint32_t eax, ebx, ecx, edx;
} x86_cpuid_regs;

// CPUID with leaf in EAX and subleaf in ECX.
static inline x86_cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf) {
  x86_cpuid_regs r;
  __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value) {
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

// PAUSE (Intel SDM Vol. 2B, PAUSE): a spin-wait hint that saves power and avoids the memory-order
// mis-speculation penalty when the loop exits.

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr3(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}

// Loads a new paging root. "memory": every table write before this must be done first.
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }

static inline uint64_t read_cr0(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }

static inline uint64_t read_cr4(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint16_t inw(uint16_t port) {
  uint16_t v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline uint32_t inl(uint16_t port) {
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }

// Control-register and descriptor-table helpers for trap.c (Intel SDM Vol. 3A 2.4, 2.5, 3.5.1, 6.10).
static inline uint64_t read_cr2(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

// LGDT/LIDT take a 10-byte pseudo-descriptor: 16-bit limit, then the 64-bit linear base (SDM Vol. 3A 3.5.1,
// 6.10); SGDT/SIDT store the same form.
typedef struct __attribute__((packed)) x86_desc_ptr {
  uint16_t limit;
  uint64_t base;
} x86_desc_ptr;

static inline void lidt(const x86_desc_ptr *idtr) { __asm__ volatile("lidt %0" : : "m"(*idtr) : "memory"); }

static inline x86_desc_ptr sgdt(void) {
  x86_desc_ptr d;
  __asm__ volatile("sgdt %0" : "=m"(d));
  return d;
}

static inline x86_desc_ptr sidt(void) {
  x86_desc_ptr d;
  __asm__ volatile("sidt %0" : "=m"(d));
  return d;
}

// Loads a GDT and makes it the one in use: a far return reloads CS with `code_sel` (MOV cannot load CS; SDM
// Vol. 3A 3.4.3), then DS, ES, SS, FS and GS get `data_sel`. The segment registers cache their descriptors, so
// without the reloads the CPU would keep running on the firmware's entries (SDM Vol. 3A 3.4.3).
static inline void load_gdt(const x86_desc_ptr *gdtr, uint16_t code_sel, uint16_t data_sel) {
  __asm__ volatile(
      "lgdt %0\n\t"
      "pushq %1\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "mov %w2, %%ds\n\t"
      "mov %w2, %%es\n\t"
      "mov %w2, %%ss\n\t"
      "mov %w2, %%fs\n\t"
      "mov %w2, %%gs\n\t"
      :
      : "m"(*gdtr), "i"((uint64_t)code_sel), "r"((uint32_t)data_sel)
      : "rax", "memory");
}

static inline void cli(void) { __asm__ volatile("cli" : : : "memory"); }

static inline void hlt(void) { __asm__ volatile("hlt" : : : "memory"); }

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

// ---- Local APIC and per-CPU helpers (arch/x86_64/apic.c, smp.c) ----

// IA32_APIC_BASE (SDM Vol. 3A 11.4.4, Figure 11-5): bit 8 BSP, bit 10 EXTD (x2APIC mode), bit 11 EN (APIC
// globally enabled), bits 12..MAXPHYADDR-1 the xAPIC MMIO page.
#define X86_MSR_APIC_BASE 0x1Bu
#define X86_APIC_BASE_EXTD ((uint64_t)1 << 10)
#define X86_APIC_BASE_EN ((uint64_t)1 << 11)
#define X86_APIC_BASE_ADDR 0x000FFFFFFFFFF000ull
// IA32_GS_BASE (SDM Vol. 3A 3.4.4.1, Vol. 4 MSR list): the GS segment base in 64-bit mode. Loading GS with a
// selector rewrites it, so it is written after every GS load.
#define X86_MSR_GS_BASE 0xC0000101u
// EFER.LME (bit 8): IA-32e mode enable; EFER.LMA (bit 10) is the read-only "active" status (SDM Vol. 3A 2.2.1).
#define X86_EFER_LME ((uint64_t)1 << 8)
#define X86_CR0_PE ((uint64_t)1 << 0)
#define X86_CR0_PG ((uint64_t)1 << 31)
#define X86_CR4_PAE ((uint64_t)1 << 5)
// CR4.OSXSAVE (SDM Vol. 3A 2.5): XSETBV/XGETBV usable; XCR0 then says which state components are enabled.
#define X86_CR4_OSXSAVE ((uint64_t)1 << 18)

// Uncached 32-bit MMIO (the xAPIC registers: SDM Vol. 3A 11.4.1, registers are 32 bits on 16-byte boundaries
// and must be accessed with aligned 32-bit loads and stores).
static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)(uintptr_t)addr; }

static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)(uintptr_t)addr = v; }

// Orders every earlier load and store before every later one. WRMSR to the x2APIC ICR is not serializing (SDM
// Vol. 3A 11.12.3), so a store the target CPU must see (the trampoline, the boot block) is fenced first.
static inline void mfence(void) { __asm__ volatile("mfence" : : : "memory"); }

// XCR0 (SDM Vol. 3A 2.6, Vol. 2B XGETBV/XSETBV); only with CR4.OSXSAVE set.
static inline uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
  return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv0(uint64_t v) {
  __asm__ volatile("xsetbv" : : "c"(0u), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

// A 32-bit load at GS base + `offset`: the calling CPU's per-CPU block (smp.c).
static inline uint32_t gs_read32(uint32_t offset) {
  uint32_t v;
  __asm__ volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"((uint64_t)offset));
  return v;
}

#endif  // ARCH_X86_64_CPU_OPS_H
