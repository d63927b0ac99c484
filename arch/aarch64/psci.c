// psci.c (aarch64): the PSCI conduit and the call through it (psci.h).
#include "arch/aarch64/psci.h"

#include "arch/aarch64/cpu_ops.h"

static volatile arch_psci_conduit g_conduit = ARCH_PSCI_UNKNOWN;

void arch_set_psci_conduit(arch_psci_conduit conduit) {
  if (conduit == ARCH_PSCI_HVC || conduit == ARCH_PSCI_SMC || conduit == ARCH_PSCI_UNKNOWN) g_conduit = conduit;
}

bool psci_conduit_named(void) { return g_conduit != ARCH_PSCI_UNKNOWN; }

// At EL2 an HVC is taken to EL2 itself (Arm ARM DDI 0487 D1.10, "HVC": the target is EL2), i.e. to the kernel's
// own vectors, so the only conduit out of EL2 is SMC whatever the tables say.
arch_psci_conduit psci_conduit(void) {
  if (((r_currentel() >> 2) & 3u) == 2u) return ARCH_PSCI_SMC;
  return g_conduit != ARCH_PSCI_UNKNOWN ? g_conduit : ARCH_PSCI_HVC;
}

uint64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  return psci_conduit() == ARCH_PSCI_SMC ? psci_call_smc(fn, a1, a2, a3) : psci_call_hvc(fn, a1, a2, a3);
}
