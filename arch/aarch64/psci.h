// psci.h (aarch64): the one place that knows the PSCI conduit, private to this package (exit.c's SYSTEM_OFF,
// the secondary-CPU start's CPU_ON).
//
// Arm PSCI (DEN0022) is reached through the SMC Calling Convention (DEN0028): HVC when PSCI lives in the
// hypervisor (or the emulator standing in for EL2), SMC when it lives in EL3 firmware. The platform names the
// conduit (ACPI FADT ARM_BOOT_ARCH PSCI_USE_HVC, ACPI 6.5 5.2.9 Table 5.11; devicetree /psci `method`); the kernel
// hands it over through arch_set_psci_conduit (arch.h). Until then, or when the platform names none, the
// exception level decides: SMC at EL2 (there is no HVC target above the kernel), HVC at EL1.
#ifndef ARCH_AARCH64_PSCI_H
#define ARCH_AARCH64_PSCI_H

#include "arch/arch.h"

// PSCI function IDs (DEN0022 5.1, SMC64 where an argument is an address).
#define PSCI_FN_CPU_ON_64 0xC4000003u
#define PSCI_FN_SYSTEM_OFF 0x84000008u

// PSCI return codes (DEN0022 5.2.2), as the signed 32-bit values X0 holds.
#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMETERS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_RET_INVALID_ADDRESS (-9)

// The conduit psci_call uses (never UNKNOWN): SMC at EL2 (an HVC there would be taken by the kernel itself), else
// the one the platform named, else HVC.
arch_psci_conduit psci_conduit(void);

// True when the conduit came from the platform (arch_set_psci_conduit with HVC or SMC), false for the guess.
bool psci_conduit_named(void);

// Calls PSCI function `fn` with up to three arguments through psci_conduit(); returns X0. A conduit with nothing
// behind it traps as an undefined instruction (the caller's vectors decide what that means).
uint64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

#endif  // ARCH_AARCH64_PSCI_H
