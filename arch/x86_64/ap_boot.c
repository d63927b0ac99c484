// ap_boot.c (x86_64): portable C behind arch_cpu_start; see ap_boot.h.
#include "arch/x86_64/ap_boot.h"

#define FRAME 4096ull
#define ONE_MIB 0x100000ull
#define TWO_MIB 0x200000ull
#define REACH_512_GIB 0x8000000000ull
#define PTE_P_RW 0x3ull
#define PTE_PS 0x80ull  // in a PD entry: maps a 2 MiB page (SDM Vol. 3A Table 4-17)
#define PTE_ADDR 0x000FFFFFFFFFF000ull
#define SIPI_RESERVED_FIRST 0xA0u
#define SIPI_RESERVED_LAST 0xBFu
#define CPUID_LEAF_TSC 0x15u
#define CPUID_LEAF_FREQ 0x16u

const char *x86_ap_trampoline_check(uint64_t page, uint64_t code_bytes) {
  if (page == 0 || (page & (FRAME - 1)) != 0 || page >= ONE_MIB || code_bytes > FRAME) return "bad_trampoline";
  uint64_t vector = page >> 12;
  if (vector >= SIPI_RESERVED_FIRST && vector <= SIPI_RESERVED_LAST) return "bad_trampoline";
  return 0;
}

// Maps the 2 MiB region holding `addr`, taking the next page directory when its GiB has none yet.
static bool transit_map(x86_ap_table *tables, uint64_t addr, unsigned *next_pd) {
  if (addr >= REACH_512_GIB) return false;
  uint64_t *pdpt = tables[1];
  unsigned gib = (unsigned)(addr >> 30);
  if ((pdpt[gib] & PTE_P_RW) == 0) {
    if (*next_pd == X86_AP_TRANSIT_TABLES) return false;
    pdpt[gib] = (uint64_t)(uintptr_t)tables[(*next_pd)++] | PTE_P_RW;
  }
  uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[gib] & PTE_ADDR);
  pd[(addr >> 21) & 511u] = (addr & ~(TWO_MIB - 1)) | PTE_P_RW | PTE_PS;
  return true;
}

uint64_t x86_ap_transit_build(x86_ap_table *tables, const uint64_t *addrs, unsigned n, bool la57) {
  for (unsigned t = 0; t < X86_AP_TRANSIT_TABLES; t++) {
    for (unsigned i = 0; i < 512; i++) tables[t][i] = 0;
  }
  unsigned next_pd = 2;
  for (unsigned i = 0; i < n; i++) {
    if (!transit_map(tables, addrs[i], &next_pd)) return 0;
  }
  if (la57) tables[0][0] = (uint64_t)(uintptr_t)tables[1] | PTE_P_RW;
  return (uint64_t)(uintptr_t)(la57 ? tables[0] : tables[1]) | PTE_P_RW;
}

uint64_t x86_tsc_rate_from_cpuid(uint32_t max_leaf, uint32_t eax15, uint32_t ebx15, uint32_t ecx15, uint32_t eax16) {
  uint64_t rate = 0;
  if (max_leaf >= CPUID_LEAF_TSC && eax15 != 0 && ebx15 != 0 && ecx15 != 0) {
    rate = (uint64_t)ecx15 * ebx15 / eax15 / 1000000u;
  } else if (max_leaf >= CPUID_LEAF_FREQ) {
    rate = eax16 & 0xFFFFu;
  }
  return rate != 0 ? rate : X86_TSC_FALLBACK_TICKS_PER_US;
}
