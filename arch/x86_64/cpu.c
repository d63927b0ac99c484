// cpu.c (x86_64): name, cycle counter, address width, paging feature probe and paging activation.
//
// Kernel only: everything here executes privileged or CPUID instructions through cpu_ops.h.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/smp.h"

// CPUID extended leaves (Intel SDM Vol. 2A, CPUID): 0x80000000 EAX = highest extended leaf;
// 0x80000001 EDX[20] = XD/NX, EDX[26] = 1 GiB pages; 0x80000008 EAX[7:0] = physical address bits.
#define CPUID_EXT_MAX 0x80000000u
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_ADDR_SIZES 0x80000008u
#define CPUID_EDX_NX ((uint32_t)1 << 20)
#define CPUID_EDX_PAGE1GB ((uint32_t)1 << 26)

// Without leaf 0x80000008 the SDM says to assume 36 bits when PAE is present (Vol. 3A 4.1.4).
#define X86_DEFAULT_PHYS_BITS 36u

// Returns "x86_64", the name logged with paging.installed.
const char *arch_name(void) { return "x86_64"; }

// Returns the time-stamp counter (RDTSC): monotonic on every CPU QEMU models, not calibrated to seconds.
uint64_t arch_cycles(void) { return rdtsc(); }

// PAUSE: the spin-wait hint (installed as the runtime allocator cell's relax function).
static uint32_t highest_extended_leaf(void) { return cpuid(CPUID_EXT_MAX, 0).eax; }

// MAXPHYADDR from CPUID 0x80000008 EAX[7:0], or 36 if the leaf does not exist.
static unsigned max_phys_addr(void) {
  if (highest_extended_leaf() < CPUID_EXT_ADDR_SIZES) return X86_DEFAULT_PHYS_BITS;
  unsigned bits = cpuid(CPUID_EXT_ADDR_SIZES, 0).eax & 0xFFu;
  return bits != 0 ? bits : X86_DEFAULT_PHYS_BITS;
}

// CR4.LA57 (SDM Vol. 3A 2.5, 4.1.1): the firmware handed over in 5-level paging mode. It cannot change while
// paging is on, so the kernel's tables must match it.
static bool la57_active(void) { return (read_cr4() & X86_CR4_LA57) != 0; }

// min(MAXPHYADDR, identity-map limit of the running paging mode): see arch.h.
unsigned arch_phys_addr_bits(void) {
  unsigned bits = max_phys_addr();
  unsigned limit = x86_identity_limit_bits(la57_active());
  return bits < limit ? bits : limit;
}

// Reports what the running CPU supports: NX (CPUID 0x80000001 EDX[20]), 1 GiB pages (EDX[26]) and whether
// 5-level paging is on (CR4.LA57).
arch_paging_features arch_paging_probe(void) {
  arch_paging_features f = {.phys_addr_bits = arch_phys_addr_bits(),
                            .nx = false,
                            .huge_1g = false,
                            .el2_regime = false,
                            .la57 = la57_active()};
  if (highest_extended_leaf() >= CPUID_EXT_FEATURES) {
    uint32_t edx = cpuid(CPUID_EXT_FEATURES, 0).edx;
    f.nx = (edx & CPUID_EDX_NX) != 0;
    f.huge_1g = (edx & CPUID_EDX_PAGE1GB) != 0;
  }
  return f;
}

// Switches to the tables in `info`. EFER.NXE goes on first when the tables may hold NX bits: with NXE = 0,
// bit 63 is reserved and every walk through such an entry faults (SDM Vol. 3A 4.5.4, 4.6). The CR3 load
// flushes non-global TLB entries (4.10.4.1); toggling CR4.PGE, when set, flushes the firmware's global ones
// too. CR0.WP is set once the kernel's tables are live: the UEFI spec (2.3.4) does not promise it, and without
// it supervisor writes ignore R/W = 0 (SDM Vol. 3A 4.6.1), so read-only ranges (arch_map_range.read_only)
// would not be. It is set after the CR3 load so the firmware's tables, which may hold read-only entries the
// firmware itself writes through, are never walked with it. The rest of CR0/CR4 is left as the firmware set it.
void arch_paging_activate(const arch_paging_info *info, const arch_paging_features *features) {
  if (features->nx) {
    uint64_t efer = rdmsr(X86_MSR_EFER);
    if ((efer & X86_EFER_NXE) == 0) wrmsr(X86_MSR_EFER, efer | X86_EFER_NXE);
  }
  write_cr3(info->root);
  x86_kernel_root = info->root;  // what secondaries load (smp.c)
  uint64_t cr0 = read_cr0();
  if ((cr0 & X86_CR0_WP) == 0) write_cr0(cr0 | X86_CR0_WP);
  uint64_t cr4 = read_cr4();
  if ((cr4 & X86_CR4_PGE) != 0) {
    write_cr4(cr4 & ~X86_CR4_PGE);
    write_cr4(cr4);
  }
}

// Parks this CPU: CLI, then HLT forever (with IF clear only NMI, SMI, INIT or reset end a HLT, Intel SDM
// Vol. 2A "HLT"; the loop takes it back after an NMI).
_Noreturn void arch_cpu_park(void) {
  cli();
  for (;;) hlt();
}
