// no_arch_test_paging.c: arch_test_raise_paging_levels (arch/arch.h) for test-hooks images of architectures
// that have no deeper paging mode to switch into before the bring-up (AArch64 today).
#include "arch/arch.h"

const char *arch_test_raise_paging_levels(void) { return "unsupported"; }
