// serial.c (x86_64): raw register access for the portable serial console (boot/serial_console.c), and the
// fallback UART when the platform describes none: COM1, a 16550 at I/O port 0x3F8.
//
// Port I/O (IN/OUT, Intel SDM Vol. 1 18.2) is not translated by paging; MMIO goes through volatile accesses of
// the width asked for on the identity map (x86 keeps the order of uncached accesses, SDM Vol. 3A 11.3).
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

#define COM1 0x3F8u

uint32_t arch_io_read(arch_io_space space, phys_addr_t addr, unsigned width) {
  if (space == ARCH_IO_PORT) {
    if (addr > 0xFFFFu) return 0xFFFFFFFFu;
    uint16_t port = (uint16_t)addr;
    switch (width) {
      case 1:
        return inb(port);
      case 2:
        return inw(port);
      case 4:
        return inl(port);
    }
    return 0xFFFFFFFFu;
  }
  switch (width) {
    case 1:
      return *(volatile uint8_t *)(uintptr_t)addr;
    case 2:
      return *(volatile uint16_t *)(uintptr_t)addr;
    case 4:
      return *(volatile uint32_t *)(uintptr_t)addr;
  }
  return 0xFFFFFFFFu;
}

void arch_io_write(arch_io_space space, phys_addr_t addr, unsigned width, uint32_t value) {
  if (space == ARCH_IO_PORT) {
    if (addr > 0xFFFFu) return;
    uint16_t port = (uint16_t)addr;
    switch (width) {
      case 1:
        outb(port, (uint8_t)value);
        break;
      case 2:
        outw(port, (uint16_t)value);
        break;
      case 4:
        outl(port, value);
        break;
    }
    return;
  }
  switch (width) {
    case 1:
      *(volatile uint8_t *)(uintptr_t)addr = (uint8_t)value;
      break;
    case 2:
      *(volatile uint16_t *)(uintptr_t)addr = (uint16_t)value;
      break;
    case 4:
      *(volatile uint32_t *)(uintptr_t)addr = value;
      break;
  }
}

bool arch_has_port_io(void) { return true; }

// COM1, only after the caller's scratch-register probe found a UART there (a PC without a legacy UART reads
// 0xFF from an unclaimed port).
arch_uart arch_serial_default(bool *needs_probe) {
  if (needs_probe) *needs_probe = true;
  return (arch_uart){.kind = ARCH_UART_16550, .space = ARCH_IO_PORT, .base = COM1, .reg_shift = 0, .width = 1};
}
