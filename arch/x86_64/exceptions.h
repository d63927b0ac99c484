// exceptions.h (x86_64): the facts about the 32 architecture-defined exception vectors that trap.c needs,
// kept apart from the asm so a host test can pin them down (arch/x86_64/exceptions_test.cc).
//
// Portable C: compiled for the UEFI kernel and for the host.
#ifndef ARCH_X86_64_EXCEPTIONS_H
#define ARCH_X86_64_EXCEPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define X86_EXCEPTION_VECTORS 32u

// Whether the CPU pushes an error code for `vector` (below X86_EXCEPTION_VECTORS; false for any other):
// #DF(8), #TS(10), #NP(11), #SS(12), #GP(13), #PF(14), #AC(17), #CP(21) per Intel SDM Vol. 3A Table 6-1, plus
// #VC(29) (AMD APM Vol. 2 15.35.5, the VMM Communication exception: the error code is the exit code) and
// #SX(30) (AMD APM Vol. 2 Table 8-1, Security Exception).
bool x86_exception_has_error_code(uint32_t vector);

// The mnemonic without '#' ("PF"), "reserved" for reserved vectors, "unknown" at or above 32.
const char *x86_exception_name(uint32_t vector);

#endif  // ARCH_X86_64_EXCEPTIONS_H
