// serial.c (aarch64): raw register access for the portable serial console (boot/serial_console.c), and the
// fallback UART when the platform describes none.
//
// AArch64 has no I/O port space: every device register is memory mapped. Accesses go through cpu_ops.h's
// explicit LDR/STR forms (a hypervisor can emulate them) in the width asked for.
#include "arch/aarch64/cpu_ops.h"
#include "arch/arch.h"

#define QEMU_VIRT_PL011 0x09000000u  // QEMU hw/arm/virt.c memmap VIRT_UART

uint32_t arch_io_read(arch_io_space space, phys_addr_t addr, unsigned width) {
  if (space != ARCH_IO_MMIO) return 0xFFFFFFFFu;
  switch (width) {
    case 1:
      return mmio_read8((uintptr_t)addr);
    case 2:
      return mmio_read16((uintptr_t)addr);
    case 4:
      return mmio_read32((uintptr_t)addr);
  }
  return 0xFFFFFFFFu;
}

void arch_io_write(arch_io_space space, phys_addr_t addr, unsigned width, uint32_t value) {
  if (space != ARCH_IO_MMIO) return;
  switch (width) {
    case 1:
      mmio_write8((uintptr_t)addr, (uint8_t)value);
      break;
    case 2:
      mmio_write16((uintptr_t)addr, (uint16_t)value);
      break;
    case 4:
      mmio_write32((uintptr_t)addr, value);
      break;
  }
}

bool arch_has_port_io(void) { return false; }

// QEMU virt's PL011 (already configured by the firmware), the last resort: nothing probes it first, since a read
// of an address nothing decodes may be an external abort on real hardware.
arch_uart arch_serial_default(bool *needs_probe) {
  if (needs_probe) *needs_probe = false;
  return (arch_uart){
      .kind = ARCH_UART_PL011, .space = ARCH_IO_MMIO, .base = QEMU_VIRT_PL011, .reg_shift = 0, .width = 4};
}

// The console page comes from its description now (boot/serial_console.h); the arch code touches no MMIO of its
// own. Returns 0 and writes nothing.
uint64_t arch_identity_mmio(arch_map_range *out, uint64_t max) {
  (void)out;
  (void)max;
  return 0;
}
