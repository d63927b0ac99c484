// arch.h: the one interface every architecture implements (arch/x86_64, arch/aarch64).
//
// Generic code (boot/efi, the kernel's bring-up) includes only this header, never an arch/<name>/ header.
// Implementations: serial.c, exit.c, cpu.c (counters, address width, paging probe and activation: the register
// writes), trap.c (the kernel's exception vectors), paging.c (table builder, portable C that also compiles
// on the host for tests) and smp.c (secondary CPUs). Inline asm lives only in arch/<name>/cpu_ops.h (plus
// trap.c's vector stubs, stack.c's trampoline and the secondary-CPU entry code in smp.c).
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include "mm/mm_types.h"

// "x86_64" or "aarch64", as logged (paging.installed arch=..).
const char *arch_name(void);

// ---- Raw device access for the serial console ---------------------------------------------------------------
//
// The console's driver is portable (boot/serial_console.c: PL011 and 16550) and the UART it drives is described
// by the platform (ACPI SPCR, devicetree /chosen/stdout-path); the architecture supplies only the register
// access and the fallback when nothing is described.

typedef enum arch_io_space {
  ARCH_IO_MMIO = 0,  // memory-mapped registers (identity mapped as device memory once the kernel's tables are on)
  ARCH_IO_PORT = 1,  // x86 I/O ports (IN/OUT); AArch64 has none
} arch_io_space;

// Reads / writes one device register `width` bytes wide (1, 2 or 4) at `addr`. A space the architecture lacks
// (AArch64 ports) or another width reads as all ones and drops writes, like an unclaimed bus cycle.
uint32_t arch_io_read(arch_io_space space, phys_addr_t addr, unsigned width);
void arch_io_write(arch_io_space space, phys_addr_t addr, unsigned width, uint32_t value);

// True when arch_io_read/arch_io_write reach ARCH_IO_PORT (x86).
bool arch_has_port_io(void);

typedef enum arch_uart_kind {
  ARCH_UART_PL011 = 1,  // Arm PL011 (or SBSA generic UART): 32-bit registers, the firmware's configuration kept
  ARCH_UART_16550 = 2,  // 16550 family: register i at base + (i << reg_shift), `width` bytes wide
} arch_uart_kind;

// One UART, as the platform (or arch_serial_default) describes it.
typedef struct arch_uart {
  arch_uart_kind kind;
  arch_io_space space;
  phys_addr_t base;
  uint8_t reg_shift;  // 16550: log2 of the register stride; PL011: 0
  uint8_t width;      // access width in bytes: 1 or 4 (PL011: 4)
} arch_uart;

// The console to use when the platform describes none: x86 COM1 (16550 at I/O port 0x3F8), used only when the
// caller's scratch-register probe finds a UART there (*needs_probe = true); AArch64 the PL011 of QEMU's virt
// machine at 0x09000000, the last resort (*needs_probe = false: an MMIO probe of an undescribed address could
// fault).
arch_uart arch_serial_default(bool *needs_probe);

// How arch_exit ends the run. The default, before and unless the kernel command line says otherwise, is
// ARCH_EXIT_POWER_OFF: a machine without an emulator's exit device must not execute its instruction
// (AArch64's semihosting HLT #0xF000 is undefined there).
typedef enum arch_exit_mode {
  ARCH_EXIT_POWER_OFF = 0,  // the registered power-off, then AArch64: PSCI SYSTEM_OFF; x86: halt, interrupts masked
  ARCH_EXIT_QEMU = 1,       // the emulator's exit device first (`exit=qemu` on the kernel command line)
} arch_exit_mode;

void arch_exit_set_mode(arch_exit_mode mode);

// A power-off the kernel found for this machine: EFI ResetSystem(EfiResetShutdown) once runtime services are
// usable (boot/efi/runtime.h). It receives arch_exit's status and does not return when it works.
typedef void (*arch_power_off_fn)(uint32_t status);

// Registers the power-off arch_exit tries before the architecture's own (NULL: none, the default). Call it
// after the services it uses have been checked: a fault inside it becomes a step of arch_exit that failed.
void arch_exit_set_power_off(arch_power_off_fn fn);

// Ends the run with `status`, in steps. 1: with ARCH_EXIT_QEMU, x86 writes it to isa-debug-exit (port 0xf4),
// AArch64 makes a semihosting SYS_EXIT_EXTENDED call; QEMU then exits with (status << 1) | 1. 2: the registered
// power-off, if any (the status is then only in the log's `boot.done status=N` or panic line). 3: AArch64 calls
// PSCI SYSTEM_OFF; x86 has no firmware-independent power-off and halts with interrupts masked. A second entry
// (a fault inside a step, which the kernel's vectors turn into another arch_exit) skips the steps already tried
// and never recurses: the last resort is a halt with interrupts masked. Later entries keep the first entry's
// status (the vectors re-enter with 3).
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

// MMIO the arch code itself touches after paging is on: x86_64 the local APIC's register page from IA32_APIC_BASE
// while the APIC is in xAPIC mode (none in x2APIC mode, whose registers are MSRs; its serial port and exit device
// are port I/O); AArch64 none (the console's page comes from its description, boot/serial_console.h). The
// bring-up (kernel_device_ranges) reserves and maps each one uncached. Writes up to `max` ranges to `out` and
// returns how many there are.
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

// ---- Secondary CPUs (issue 11) -----------------------------------------------------------------------------

// The PSCI conduit the platform names (ACPI FADT ARM_BOOT_ARCH PSCI_USE_HVC, ACPI 6.5 5.2.9 Table 5.11; devicetree
// /psci `method`), used for CPU_ON and SYSTEM_OFF (Arm DEN0022 PSCI, DEN0028 SMCCC). ARCH_PSCI_UNKNOWN keeps the
// exception-level guess (HVC at EL1, SMC at EL2). x86: ignored.
typedef enum arch_psci_conduit {
  ARCH_PSCI_UNKNOWN = 0,
  ARCH_PSCI_HVC = 1,
  ARCH_PSCI_SMC = 2,
} arch_psci_conduit;

void arch_set_psci_conduit(arch_psci_conduit conduit);

// One secondary CPU to start. The new CPU runs with the boot CPU's page tables (the ones arch_paging_activate
// installed last), the kernel's exception vectors (and, x86, GDT/IDT), interrupts masked, at the boot CPU's
// exception level (AArch64), and arch_cpu_number() == cpu_number; then it calls entry(arg) on `stack_top`.
// x86 keeps the CPU's per-CPU block (its GS base, behind arch_cpu_number) in the top 64 bytes of that stack.
typedef struct arch_secondary_start {
  uint64_t hw_id;            // x86: local APIC ID (xAPIC or x2APIC); AArch64: MPIDR_EL1 affinity (Aff3..Aff0)
  uint32_t cpu_number;       // the kernel's number for this CPU (the boot CPU is 0)
  phys_addr_t stack_top;     // 16-byte aligned top of the CPU's kernel-owned stack
  // x86: a 4 KiB frame below 1 MiB, not page 0 nor 0xA0000-0xBFFFF (its page number is the Start-Up vector),
  // which arch_cpu_start overwrites and no longer needs once it returns; AArch64: unused (0)
  phys_addr_t trampoline;
  void (*entry)(void *arg);  // must not return
  void *arg;
} arch_secondary_start;

// Starts one secondary CPU and waits (bounded, by the architecture's counter, never forever) until it has reached
// the kernel. Returns NULL once it has, else one word naming why not (e.g. "timeout", "psci_denied",
// "psci_already_on", "psci_invalid_parameters" for an MPIDR PSCI does not know, "invalid_parameters" for a bad
// `start`); the CPU is then not used. Call after arch_paging_activate, one CPU
// at a time, from the boot CPU.
const char *arch_cpu_start(const arch_secondary_start *start);

// True when arch_cpu_start needs `start->trampoline` (x86: the real-mode Start-Up page below 1 MiB); false when
// secondaries enter the image directly (AArch64: PSCI CPU_ON takes the entry address), so no page is taken.
bool arch_secondary_needs_trampoline(void);

// The hardware id of the calling CPU (x86: local APIC ID; AArch64: MPIDR_EL1 affinity fields).
uint64_t arch_cpu_hw_id(void);

// The kernel's number for the calling CPU: 0 on the boot CPU, `cpu_number` on a started secondary. Cheap (no
// lock, no search: a per-CPU register), so it can serve as the allocator cell's owner function.
uint32_t arch_cpu_number(void);

// A spin-wait hint for loops that poll shared memory (x86 PAUSE; AArch64 YIELD).
void arch_cpu_relax(void);

// Parks the calling CPU for good: interrupts masked, then a low-power wait in a loop (x86 CLI; HLT, AArch64
// DAIFSet; WFI). What a secondary CPU does once its work is over, so it costs the machine (or the emulator's
// host thread) nothing while the boot CPU finishes. Implemented in cpu.c of each architecture.
_Noreturn void arch_cpu_park(void);

// ---- Test builds only ------------------------------------------------------------------------------------

// Linked into the test-hooks images only (x86: //arch/x86_64:test_paging; an architecture without one gets
// //boot:no_arch_test_paging). Before the memory bring-up, switches the CPU into the deeper paging mode the
// firmware did not enable, keeping the identity map it runs on, so the kernel receives the CPU as a firmware
// handing over in that mode would give it (x86: 5-level paging, CR4.LA57, through a 32-bit trampoline).
// Returns NULL once switched, else a short reason and nothing changed (e.g. "cpu_has_no_la57", "unsupported").
const char *arch_test_raise_paging_levels(void);

#endif  // ARCH_ARCH_H
