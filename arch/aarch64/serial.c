// serial.c (aarch64): the PL011 UART of QEMU's virt machine at 0x09000000, polled.
//
// PL011 TRM (Arm DDI 0183): UARTDR at +0x00, UARTFR at +0x18; FR bit 5 TXFF = transmit FIFO full. The
// firmware has already programmed baud rate, format and UARTCR, so nothing is reconfigured here.
#include "arch/aarch64/cpu_ops.h"
#include "arch/arch.h"

#define PL011_BASE 0x09000000u
#define PL011_DR 0x00u
#define PL011_FR 0x18u
#define PL011_FR_TXFF ((uint32_t)1 << 5)
#define TXFF_SPIN_LIMIT 1000000u  // never hang on a wedged UART

// Nothing to do: the firmware initialized the PL011 (and reprogramming it would disturb its console).
// Idempotent.
void arch_serial_init(void) {}

// Waits (bounded) while the transmit FIFO is full, then writes one byte.
static void put_byte(uint8_t byte) {
  for (uint32_t spin = 0; spin < TXFF_SPIN_LIMIT && (mmio_read32(PL011_BASE + PL011_FR) & PL011_FR_TXFF) != 0; spin++) {
    cpu_relax();
  }
  mmio_write32(PL011_BASE + PL011_DR, byte);
}

// Writes `len` bytes of `text` as they are (line-ending policy belongs to the caller, boot/kernel_main.c).
void arch_serial_write(const char *text, uint64_t len) {
  for (uint64_t i = 0; i < len; i++) put_byte((uint8_t)text[i]);
}

// The PL011 register page must stay mapped (Device, never executable) once the kernel's tables are active.
// Writes it to out[0] when max >= 1 and returns 1.
uint64_t arch_identity_mmio(arch_map_range *out, uint64_t max) {
  if (max >= 1 && out != NULL) {
    out[0] = (arch_map_range){
        .base = PL011_BASE, .end = PL011_BASE + MM_FRAME_SIZE, .type = ARCH_MEM_DEVICE, .executable = false};
  }
  return 1;
}
