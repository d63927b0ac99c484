// apic.c (x86_64): the local APIC's ID and IPIs (apic.h), the TSC rate for the start-up waits, and
// arch_identity_mmio, which maps the xAPIC register page when the firmware left the APIC in xAPIC mode.
#include "arch/x86_64/apic.h"

#include "arch/arch.h"
#include "arch/x86_64/ap_boot.h"
#include "arch/x86_64/cpu_ops.h"

#define XAPIC_ID 0x20u        // SDM Vol. 3A 11.4.6, Table 11-1
#define XAPIC_ICR_LOW 0x300u  // Table 11-1: ICR bits 31:0
#define XAPIC_ICR_HIGH 0x310u // Table 11-1: ICR bits 63:32 (destination in 31:24)
#define X2APIC_MSR_ID 0x802u  // SDM Vol. 3A 11.12.1, Table 11-6
#define X2APIC_MSR_ICR 0x830u // Table 11-6: the whole 64-bit ICR, destination in 63:32
#define XAPIC_MAX_ID 0xFFu    // xAPIC physical destination is 8 bits (11.6.2.1)
#define ICR_IDLE_TIMEOUT_US 100000u  // 100 ms: delivery takes microseconds; a stuck status is an error

// CPUID leaves (SDM Vol. 2A, CPUID): 0 EAX = highest basic leaf; 0x15 and 0x16 are decoded by ap_boot.c.
#define CPUID_LEAF_TSC 0x15u
#define CPUID_LEAF_FREQ 0x16u

x86_apic x86_apic_probe(void) {
  uint64_t base = rdmsr(X86_MSR_APIC_BASE);
  bool en = (base & X86_APIC_BASE_EN) != 0;
  return (x86_apic){.enabled = en, .x2apic = en && (base & X86_APIC_BASE_EXTD) != 0, .mmio = base & X86_APIC_BASE_ADDR};
}

uint32_t x86_apic_id(const x86_apic *apic) {
  if (apic->x2apic) return (uint32_t)rdmsr(X2APIC_MSR_ID);
  return mmio_read32(apic->mmio + XAPIC_ID) >> 24;
}

const char *x86_apic_send_ipi(const x86_apic *apic, uint64_t dest, uint32_t icr_low) {
  if (!apic->enabled) return "apic_disabled";
  if (apic->x2apic) {
    if (dest > 0xFFFFFFFFull) return "hw_id_out_of_range";
    mfence();
    wrmsr(X2APIC_MSR_ICR, (dest << 32) | icr_low);
    return 0;
  }
  if (dest > XAPIC_MAX_ID) return "hw_id_out_of_range";
  mmio_write32(apic->mmio + XAPIC_ICR_HIGH, (uint32_t)dest << 24);
  mmio_write32(apic->mmio + XAPIC_ICR_LOW, icr_low);
  uint64_t limit = ICR_IDLE_TIMEOUT_US * x86_tsc_ticks_per_us(), start = rdtsc();
  while ((mmio_read32(apic->mmio + XAPIC_ICR_LOW) & X86_ICR_DELIVERY_PENDING) != 0) {
    if (rdtsc() - start > limit) return "ipi_not_delivered";
    cpu_relax();
  }
  return 0;
}

uint64_t x86_tsc_ticks_per_us(void) {
  static uint64_t cached;
  if (cached != 0) return cached;
  uint32_t max_leaf = cpuid(0, 0).eax;
  x86_cpuid_regs tsc = max_leaf >= CPUID_LEAF_TSC ? cpuid(CPUID_LEAF_TSC, 0) : (x86_cpuid_regs){0, 0, 0, 0};
  uint32_t freq = max_leaf >= CPUID_LEAF_FREQ ? cpuid(CPUID_LEAF_FREQ, 0).eax : 0;
  cached = x86_tsc_rate_from_cpuid(max_leaf, tsc.eax, tsc.ebx, tsc.ecx, freq);
  return cached;
}

void x86_delay_us(uint64_t us) {
  uint64_t ticks = us * x86_tsc_ticks_per_us(), start = rdtsc();
  while (rdtsc() - start < ticks) cpu_relax();
}

// The xAPIC register page, from IA32_APIC_BASE (the address the CPU actually decodes; the MADT's Local
// Interrupt Controller Address names the same page, ACPI 6.5 5.2.12), mapped uncached for the kernel's tables
// and reserved so the allocator never hands it out: only while the APIC is enabled in xAPIC mode. x2APIC mode
// reaches the registers through MSRs and needs no mapping (SDM Vol. 3A 11.12). COM1 and isa-debug-exit are port
// I/O, which paging does not translate.
uint64_t arch_identity_mmio(arch_map_range *out, uint64_t max) {
  x86_apic apic = x86_apic_probe();
  if (!apic.enabled || apic.x2apic || apic.mmio == 0) return 0;
  if (max >= 1) {
    out[0] = (arch_map_range){
        .base = apic.mmio, .end = apic.mmio + 4096u, .type = ARCH_MEM_DEVICE, .executable = false, .read_only = false};
  }
  return 1;
}
