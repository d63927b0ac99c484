// ap_boot.h (x86_64): the portable decisions behind arch_cpu_start (smp.c), host-tested in ap_boot_test.cc:
// which trampoline pages a Start-Up IPI can name, the transit page tables a secondary crosses into 64-bit mode
// on, and the TSC rate the start-up waits count with.
#ifndef ARCH_X86_64_AP_BOOT_H
#define ARCH_X86_64_AP_BOOT_H

#include <stdbool.h>
#include <stdint.h>

// A Start-Up IPI's vector is the page number of the real-mode start address, CS:IP = (vector << 8):0000, so the
// page lies below 1 MiB, 4 KiB aligned (SDM Vol. 3A 8.4.4.1, 11.6.1); vectors 0xA0..0xBF are reserved (8.4.4.1,
// the MP spec's "do not use"). Page 0 is refused too: the kernel's null page. Returns NULL when `page` can hold
// `code_bytes` of trampoline and be started at, else "bad_trampoline".
const char *x86_ap_trampoline_check(uint64_t page, uint64_t code_bytes);

// The tables below the transit root: [0] a PML4 (used under LA57, where the root is a PML5), [1] the PDPT,
// [2..4] page directories, one per GiB that a mapped 2 MiB region lies in.
#define X86_AP_TRANSIT_TABLES 5u
typedef uint64_t x86_ap_table[512];

// Fills `tables` (zeroing them first) so that a root whose entry 0 is the returned value identity-maps the 2 MiB
// regions holding each of addrs[0..n): 2 MiB pages (PS), present, writable, supervisor, executable (no NX bit,
// so EFER.NXE does not matter), everything else not present (SDM Vol. 3A 4.5, Tables 4-14..4-18). The tables'
// addresses are used as physical addresses (the kernel runs identity mapped; the host test walks host memory).
// `la57`: the root is a PML5 and the returned entry points at tables[0], a PML4; else at tables[1], the PDPT.
// Returns 0 (and the tables are not to be used) when an address lies at or above 512 GiB (outside root entry 0)
// or the regions span more GiBs than there are page directories.
uint64_t x86_ap_transit_build(x86_ap_table *tables, const uint64_t *addrs, unsigned n, bool la57);

// TSC ticks per microsecond from CPUID (SDM Vol. 2A CPUID; Vol. 3B 20.7.3): leaf 0x15 (EAX/EBX = TSC/crystal
// ratio, ECX = crystal Hz, 0 = not enumerated) when max_leaf reaches it and all three are nonzero, else leaf
// 0x16 EAX[15:0] (base frequency in MHz) when nonzero, else X86_TSC_FALLBACK_TICKS_PER_US: the rate of a 5 GHz
// TSC, faster than any such CPU, so a wait counted with it lasts at least as long as asked. Never 0.
#define X86_TSC_FALLBACK_TICKS_PER_US 5000u
uint64_t x86_tsc_rate_from_cpuid(uint32_t max_leaf, uint32_t eax15, uint32_t ebx15, uint32_t ecx15, uint32_t eax16);

#endif  // ARCH_X86_64_AP_BOOT_H
