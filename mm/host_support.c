// host_support.c: what the host environment provides to mm/ (tests, fuzzers, the replay tool).
//
// Host only: it uses the C library, so it is deliberately not part of the kernel library //mm:mm. The kernel
// provides its own mm_panic that stops the machine.
#include <stdio.h>
#include <stdlib.h>

#include "mm/mm_types.h"

// Defined by clang's profile runtime only in binaries built with -fprofile-instr-generate
// (./tools/coverage.sh); weak, so it is NULL everywhere else.
extern int __llvm_profile_write_file(void) __attribute__((weak));

// Prints `panic: where: why` to stderr and aborts the process (so death tests and fuzzers see it). Never
// returns. Under coverage instrumentation it first writes the profile, which abort() would otherwise lose:
// that is what lets death tests measure the panic paths they reach.
_Noreturn void mm_panic(const char *where, const char *why) {
  fprintf(stderr, "panic: %s: %s\n", where ? where : "(null)", why ? why : "(null)");
  fflush(stderr);
  if (__llvm_profile_write_file) {
    (void)__llvm_profile_write_file();
  }
  abort();
}
