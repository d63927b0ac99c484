// arch.h: the one interface every architecture implements (arch/x86_64, arch/aarch64).
//
// Generic code (boot/efi, the kernel's bring-up) includes only this header, never an arch/<name>/ header.
// Implementations: serial.c, exit.c, cpu.c (counters, address width, paging probe and activation: the register
// writes), trap.c (the kernel's exception vectors) and paging.c (table builder, portable C that also compiles
// on the host for tests). Inline asm lives only in arch/<name>/cpu_ops.h (plus trap.c's vector stubs and
// stack.c's trampoline).
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include "mm/mm_types.h"

// "x86_64" or "aarch64", as logged (paging.installed arch=..).
const char *arch_name(void);

// Serial console used after ExitBootServices: x86_64 COM1 16550 at I/O port 0x3F8, AArch64 PL011 at the
// virt machine's 0x09000000. arch_serial_init is idempotent. arch_serial_write sends the bytes as they are,
// waiting (bounded) for the transmitter; line endings are the caller's business.
void arch_serial_init(void);
void arch_serial_write(const char *text, uint64_t len);

// How arch_exit ends the run. The default, before and unless the kernel command line says otherwise, is
// ARCH_EXIT_POWER_OFF: a machine without an emulator's exit device must not execute its instruction
// (AArch64's semihosting HLT #0xF000 is undefined there).
typedef enum arch_exit_mode {
  ARCH_EXIT_POWER_OFF = 0,  // AArch64: PSCI SYSTEM_OFF; x86: halt with interrupts masked (no ACPI here)
  ARCH_EXIT_QEMU = 1,       // the emulator's exit device first (`exit=qemu` on the kernel command line)
} arch_exit_mode;

void arch_exit_set_mode(arch_exit_mode mode);

// Ends the run with `status`. With ARCH_EXIT_QEMU: x86 writes it to isa-debug-exit (port 0xf4), AArch64 makes
// a semihosting SYS_EXIT_EXTENDED call; QEMU then exits with (status << 1) | 1. Otherwise, or when that
// did not end the run: AArch64 calls PSCI SYSTEM_OFF (the status is only in the log's `boot.done status=N`
// or panic line); x86 halts with interrupts masked. A second entry (a fault inside the exit path, which the
// kernel's vectors turn into another arch_exit) skips the steps already tried and never recurses: the last
// resort is a halt with interrupts masked.
_Noreturn void arch_exit(uint32_t status);

// A free-running counter for the logs' `cycles=` values: x86 RDTSC (TSC ticks), AArch64 CNTVCT_EL0 (generic timer
// ticks, CNTFRQ_EL0 per second). The unit differs between architectures; compare values of one architecture only.
uint64_t arch_cycles(void);

// A spin-wait hint for one iteration of a busy-wait loop (x86: PAUSE; AArch64: YIELD). No memory effect
// beyond a compiler barrier; the kernel installs it as the runtime allocator's relax function
// (mm_runtime_set_relax_fn).
void arch_cpu_relax(void);

// The CPU's physical address width in bits (x86: CPUID 0x80000008 EAX[7:0]; AArch64: ID_AA64MMFR0_EL1.PARange),
// capped at what the kernel's identity tables can map, so it is the bound arch_paging_build enforces: x86 47 bits
// with 4-level paging, 56 with CR4.LA57; AArch64 48 bits. The firmware map is clipped to it (a counted
// beyond_phys_width repair), since the allocator must hand out only frames the kernel can map.
unsigned arch_phys_addr_bits(void);

// Switches to the stack whose top is `stack_top` (16-byte aligned, kernel-owned) and calls fn(arg), which
// must not return. Used once, right after ExitBootServices, to leave the firmware's stack behind.
_Noreturn void arch_call_on_stack(phys_addr_t stack_top, void (*fn)(void *arg), void *arg);

// Masks interrupts (x86: CLI; AArch64: DAIFSet #0xf) and installs exception vectors that live in the kernel
// image (x86: a GDT with a 64-bit code, a data and a 32-bit code descriptor, loaded first with every segment register
// reloaded, then an IDT of 32 interrupt gates; AArch64: a 16-entry table in VBAR_EL1 or VBAR_EL2, by CurrentEL),
// replacing the firmware's, whose memory is reclaimed later. Any exception then logs one line
// `panic stage=exception arch=<name> vector=N ...` with the useful registers (x86: error code, RIP, CR2;
// AArch64: EL, ESR, ELR, FAR) and ends the run with arch_exit(3). Call once, after the log sink is set.
void arch_trap_init(void);

// What arch_trap_init left in the CPU, for the `boot.trap` debug line and the boot tests (which check that
// the tables lie inside the kernel image).
typedef struct arch_cpu_state {
  phys_addr_t vectors;  // x86: IDTR base; AArch64: VBAR of the running exception level
  phys_addr_t gdt;      // x86: GDTR base; AArch64: 0 (no descriptor tables)
  unsigned el;          // AArch64: the exception level the kernel runs at (1 or 2); x86: 0 (none)
} arch_cpu_state;

arch_cpu_state arch_cpu_state_read(void);

// ---- Identity paging -------------------------------------------------------------------------------------

typedef enum arch_mem_type {
  ARCH_MEM_NORMAL = 0,       // RAM: write-back cacheable
  ARCH_MEM_DEVICE = 1,       // MMIO: uncached (x86 UC) / Device-nGnRE (AArch64)
  ARCH_MEM_FRAMEBUFFER = 2,  // write-combining where the installer supports it, else uncached
} arch_mem_type;

typedef struct arch_map_range {
  phys_addr_t base;  // frame aligned
  phys_addr_t end;   // exclusive, frame aligned
  arch_mem_type type;
  bool executable;  // false => NX (x86, when supported) / PXN+UXN (AArch64)
  // true => no writes at any privilege level: x86 leaves R/W (bit 1) clear, which binds the kernel because
  // arch_paging_activate sets CR0.WP; AArch64 sets AP[2]. false (zero-init) => writable, as before the flag.
  bool read_only;
} arch_map_range;

// Where page-table frames come from (the runtime allocator, through with_runtime_allocator). The builder
// zeroes each frame through the window before use.
typedef struct arch_frame_source {
  mm_status (*alloc_frame)(void *ctx, phys_addr_t *out);
  void *ctx;
} arch_frame_source;

// CPU features the builder may use; arch_paging_probe fills them from the running CPU, tests set them.
typedef struct arch_paging_features {
  unsigned phys_addr_bits;
  bool nx;        // x86: EFER.NXE usable (CPUID 0x80000001 EDX[20]); AArch64: always true (XN bits)
  bool huge_1g;   // x86: 1 GiB pages (CPUID 0x80000001 EDX[26]); AArch64: level-1 blocks, always true
  // AArch64: the tables are for the EL2 translation regime with HCR_EL2.E2H == 0 (one VA range, so descriptor
  // bit 54 is XN, PXN is RES0 and AP[1] is RES1). The EL1&0 and EL2&0 (VHE) regimes share the other format.
  // The probe sets it from CurrentEL and HCR_EL2; x86: unused, false.
  bool el2_regime;
  // AArch64: the VA bits the tables translate (TCR.T0SZ = 64 - va_bits, which sets the start level), 32 up to
  // the mappable width; every range must end at or below 2^va_bits. 0: the default, the physical width capped
  // at 48 (EDK2's choice). The probe reports arch_paging_requested_va_bits(). x86: unused, 0.
  unsigned va_bits;
  // Non-NULL when arch_paging_activate cannot run on this CPU as the firmware handed it over: one word naming
  // what was found (AArch64: aarch64_regime_unsupported in vmsa.h, e.g. "cpu_has_no_4k_granule"). The UEFI
  // entry refuses to boot with it before ExitBootServices, while ConOut can still say why. x86: NULL.
  const char *unsupported;
  // x86: CR4.LA57 = 1, the CPU runs 5-level paging: the tables get a PML5 on top and may reach 2^56 instead of
  // 2^47 (the identity map stays in the canonical lower half, Intel SDM Vol. 3A 4.5). The probe reads CR4;
  // AArch64: unused, false.
  bool la57;
} arch_paging_features;

typedef struct arch_paging_info {
  phys_addr_t root;       // CR3 / TTBR0 value (the root table's physical address)
  uint64_t mapped_bytes;  // total bytes mapped
  uint64_t tables;        // page-table frames used, root included
  unsigned levels;        // translation levels from the root down (x86: 4 or 5); 0 if the builder does not say
} arch_paging_info;

arch_paging_features arch_paging_probe(void);

// Test-hooks builds only (efi_main, `selftest.va_bits_32`): from then on the AArch64 probe reports this
// features.va_bits, so the kernel's tables start at another level than the firmware's and the boot test
// switches between two regimes of different geometry. Kept by arch/paging_common.c; 0 (the default) is no
// request; x86 ignores it.
void arch_paging_request_va_bits(unsigned va_bits);
unsigned arch_paging_requested_va_bits(void);

// MMIO the arch code itself touches after paging is on (AArch64: the PL011 page; x86_64 uses port I/O and
// reports none). Writes up to `max` ranges to `out` and returns how many there are.
uint64_t arch_identity_mmio(arch_map_range *out, uint64_t max);

// Builds identity tables (virtual == physical) for `ranges` (sorted, disjoint) using the largest page sizes
// alignment allows (x86: 1 GiB/2 MiB/4 KiB; AArch64 4 KiB granule: 1 GiB/2 MiB blocks, 4 KiB pages).
// Never touches the currently active tables. Errors: MM_ERR_INVALID_ARGUMENT (unsorted, misaligned, or above
// phys_addr_bits), whatever alloc_frame returns, MM_ERR_NO_MEMORY when the window cannot map a frame.
mm_status arch_paging_build(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                            const arch_frame_source *source, const mm_phys_window *window, arch_paging_info *out);

// Switches the CPU to the tables in `info` (x86: enable NXE if used, load CR3; AArch64: MMU off, MAIR/TCR/TTBR0
// at the current exception level, TLB invalidation, MMU on, with the required barriers). Kernel only.
void arch_paging_activate(const arch_paging_info *info, const arch_paging_features *features);

// ---- Test builds only ------------------------------------------------------------------------------------

// Linked into the test-hooks images only (x86: //arch/x86_64:test_paging; an architecture without one gets
// //boot:no_arch_test_paging). Before the memory bring-up, switches the CPU into the deeper paging mode the
// firmware did not enable, keeping the identity map it runs on, so the kernel receives the CPU as a firmware
// handing over in that mode would give it (x86: 5-level paging, CR4.LA57, through a 32-bit trampoline).
// Returns NULL once switched, else a short reason and nothing changed (e.g. "cpu_has_no_la57", "unsupported").
const char *arch_test_raise_paging_levels(void);

#endif  // ARCH_ARCH_H
