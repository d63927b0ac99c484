// paging.h (x86_64): the x86 facts about identity paging that cpu.c (kernel) and the host tests share.
// Portable C, implemented in paging.c.
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stdbool.h>

// How far an identity map reaches in each paging mode (Intel SDM Vol. 3A 4.5: linear addresses are canonical,
// bits 63:47 (4-level) or 63:56 (5-level) equal; virtual == physical uses the lower half only).
#define X86_IDENTITY_BITS_4LEVEL 47u
#define X86_IDENTITY_BITS_5LEVEL 56u

// Returns the identity-map limit in address bits for the paging mode: 56 with CR4.LA57 = 1, else 47.
// Physical memory at or above 2^limit cannot be identity mapped; arch_paging_build refuses it.
unsigned x86_identity_limit_bits(bool la57);

#endif  // ARCH_X86_64_PAGING_H
