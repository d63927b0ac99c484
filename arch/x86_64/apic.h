// apic.h (x86_64): the calling CPU's local APIC as the secondary-CPU start needs it (its ID, INIT and STARTUP
// IPIs) and the time-stamp counter's rate for the waits between them. Private to arch/x86_64 (kernel only).
//
// Intel SDM Vol. 3A chapter 11 ("Advanced Programmable Interrupt Controller (APIC)"): 11.4 the xAPIC (MMIO
// registers, IA32_APIC_BASE), 11.6 the interrupt command register, 11.12 x2APIC mode (the same registers as
// MSRs 0x800 + offset / 16). The mode is whichever the firmware left on (IA32_APIC_BASE.EXTD); never switched.
#ifndef ARCH_X86_64_APIC_H
#define ARCH_X86_64_APIC_H

#include <stdbool.h>
#include <stdint.h>

typedef struct x86_apic {
  bool enabled;   // IA32_APIC_BASE.EN
  bool x2apic;    // IA32_APIC_BASE.EXTD (with EN): MSR interface, 32-bit IDs
  uint64_t mmio;  // xAPIC register page (IA32_APIC_BASE bits 12 up), also reported by a disabled/x2APIC one
} x86_apic;

// Reads IA32_APIC_BASE (SDM Vol. 3A 11.4.4).
x86_apic x86_apic_probe(void);

// The calling CPU's APIC ID: x2APIC MSR 0x802 (32 bits, 11.12.5.1); xAPIC ID register at MMIO + 0x20, bits
// 31:24 (11.4.6). The xAPIC page must be mapped (the identity tables do, arch_identity_mmio), or still be the
// firmware's identity mapping.
uint32_t x86_apic_id(const x86_apic *apic);

// Interrupt command register low dword (SDM Vol. 3A 11.6.1, Figure 11-12): delivery mode bits 10:8 (INIT 101b,
// Start-Up 110b), bit 12 delivery status (xAPIC only), bit 14 level (1 = assert), bit 15 trigger mode (0 =
// edge); for Start-Up the vector bits 7:0 are the page number of the real-mode start address.
#define X86_ICR_INIT 0x00000500u
#define X86_ICR_STARTUP 0x00000600u
#define X86_ICR_DELIVERY_PENDING 0x00001000u
#define X86_ICR_LEVEL_ASSERT 0x00004000u

// Sends one IPI with ICR low dword `icr_low` to the APIC with ID `dest` (physical destination mode, no
// shorthand). xAPIC: ICR high (0x310) bits 31:24 = dest, then ICR low (0x300), which sends; then waits,
// bounded, for the delivery status to go idle. x2APIC: one WRMSR of MSR 0x830 with dest in bits 63:32
// (11.12.9), fenced before (WRMSR there is not serializing, 11.12.3). Returns NULL once sent, else
// "apic_disabled", "hw_id_out_of_range" (above 0xFF in xAPIC mode) or "ipi_not_delivered"; nothing is sent
// on the first two.
const char *x86_apic_send_ipi(const x86_apic *apic, uint64_t dest, uint32_t icr_low);

// TSC ticks per microsecond of the calling CPU, from CPUID 0x15/0x16 (x86_tsc_rate_from_cpuid, ap_boot.h).
uint64_t x86_tsc_ticks_per_us(void);

// Busy-waits at least `us` microseconds by the TSC (PAUSE in the loop).
void x86_delay_us(uint64_t us);

#endif  // ARCH_X86_64_APIC_H
