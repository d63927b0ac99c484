// host_support.c: what the host environment provides to mm/ (tests, fuzzers, the replay tool).
//
// Host only: it uses the C library, so it is deliberately not part of the kernel library //mm:mm. The kernel
// provides its own mm_panic that stops the machine.
#include <stdio.h>
#include <stdlib.h>

#include "mm/mm_types.h"

// Prints `panic: where: why` to stderr and aborts the process (so death tests and fuzzers see it). Never
// returns.
_Noreturn void mm_panic(const char *where, const char *why) {
  fprintf(stderr, "panic: %s: %s\n", where ? where : "(null)", why ? why : "(null)");
  fflush(stderr);
  abort();
}
