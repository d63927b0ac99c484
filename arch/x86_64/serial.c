// serial.c (x86_64): COM1, a 16550-compatible UART at I/O port 0x3F8, polled, 115200 8N1.
//
// Register map (PC16550D data sheet; QEMU's serial device): +0 THR/DLL, +1 IER/DLM, +2 FCR, +3 LCR, +4 MCR,
// +5 LSR. LSR bit 5 (THRE) = the transmit holding register can take a byte.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

#define COM1 0x3F8u
#define UART_THR 0u
#define UART_DLL 0u
#define UART_IER 1u
#define UART_DLM 1u
#define UART_FCR 2u
#define UART_LCR 3u
#define UART_MCR 4u
#define UART_LSR 5u
#define LCR_DLAB 0x80u
#define LCR_8N1 0x03u
#define FCR_ENABLE_CLEAR 0x07u  // FIFO on, both FIFOs cleared
#define MCR_DTR_RTS 0x03u
#define LSR_THRE 0x20u
#define DIVISOR_115200 1u       // 1.8432 MHz / (16 * 115200)
#define THRE_SPIN_LIMIT 1000000u  // never hang on a missing or wedged UART

// Programs 115200 8N1 with FIFOs and no interrupts. Idempotent: every call writes the same values.
void arch_serial_init(void) {
  outb(COM1 + UART_IER, 0x00);
  outb(COM1 + UART_LCR, LCR_DLAB);
  outb(COM1 + UART_DLL, (uint8_t)(DIVISOR_115200 & 0xFFu));
  outb(COM1 + UART_DLM, (uint8_t)(DIVISOR_115200 >> 8));
  outb(COM1 + UART_LCR, LCR_8N1);
  outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
  outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

// Waits (bounded) for THRE, then sends one byte.
static void put_byte(uint8_t byte) {
  for (uint32_t spin = 0; spin < THRE_SPIN_LIMIT && (inb(COM1 + UART_LSR) & LSR_THRE) == 0; spin++) cpu_relax();
  outb(COM1 + UART_THR, byte);
}

// Writes `len` bytes of `text` as they are (line-ending policy belongs to the caller, boot/kernel_main.c).
void arch_serial_write(const char *text, uint64_t len) {
  for (uint64_t i = 0; i < len; i++) put_byte((uint8_t)text[i]);
}
