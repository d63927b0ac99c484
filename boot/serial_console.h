// serial_console.h: the serial console the platform describes (issue 10 item 4), a portable driver.
//
// Where the UART is comes from the firmware, in this order (as Linux's earlycon does under UEFI):
//   1. ACPI SPCR (Microsoft "Serial Port Console Redirection Table", revisions 2 and 4), read by acpi_spcr_parse;
//   2. devicetree /chosen/stdout-path (Devicetree Specification 3.6), read by fdt_stdout_console;
//   3. the architecture's default (arch_serial_default): x86 COM1 only when a 16550 scratch-register probe finds
//      a UART there; AArch64 QEMU virt's PL011 at 0x09000000, logged as the last resort.
// A source that is present but unusable (bad checksum, unknown interface type, a Generic Address Structure this
// driver cannot reach, an unknown `compatible`) is recorded with its reason and the next source is tried.
//
// The driver speaks PL011 (Arm DDI 0183: UARTDR +0x00, UARTFR +0x18, 32-bit accesses) and the 16550 register set
// (PC16550D data sheet: THR +0, IER +1, FCR +2, LCR +3, MCR +4, LSR +5, SCR +7, register i at base + (i << shift))
// through a serial_io accessor: the kernel passes arch_io_read/arch_io_write, the host tests a model UART.
// Portable C11, no libc.
#ifndef BOOT_SERIAL_CONSOLE_H
#define BOOT_SERIAL_CONSOLE_H

#include "arch/arch.h"
#include "platform/discover.h"

// Register access: read/write one register `width` bytes wide. has_port_space: ARCH_IO_PORT is reachable.
typedef struct serial_io {
  uint32_t (*read)(void *ctx, arch_io_space space, phys_addr_t addr, unsigned width);
  void (*write)(void *ctx, arch_io_space space, phys_addr_t addr, unsigned width, uint32_t value);
  void *ctx;
  bool has_port_space;
} serial_io;

typedef enum serial_source {
  SERIAL_SOURCE_NONE = 0,  // no console: nothing described and the default probe found no UART
  SERIAL_SOURCE_SPCR,
  SERIAL_SOURCE_DEVICETREE,
  SERIAL_SOURCE_DEFAULT,
} serial_source;

// The chosen console and why the sources before it were passed over.
typedef struct serial_console {
  arch_uart uart;
  serial_source source;
  uint32_t baud;            // SPCR's baud rate, 0 when not given (the firmware's setting is kept)
  acpi_status spcr_status;  // ACPI_ERR_NOT_FOUND: no ACPI or no SPCR; another error: SPCR skipped for it
  fdt_status dt_status;     // FDT_ERR_NOT_FOUND: no devicetree or no stdout-path; another error: skipped for it
  const char *spcr_reason;  // when SPCR parsed but its address cannot be used: "bad_gas_space", ...; else NULL
  bool default_probed;      // the default needed a probe and it ran
  serial_io io;
} serial_console;

// Stable lowercase names for the log: "spcr", "devicetree", "default", "none"; "pl011", "16550"; "io", "mmio".
const char *serial_source_name(serial_source source);
const char *serial_kind_name(arch_uart_kind kind);
const char *serial_space_name(arch_io_space space);

// Chooses the console from `platform` (SPCR, then stdout-path), else `fallback` (arch_serial_default), probing it
// first when `fallback_needs_probe`. Writes nothing to any device except the probe's scratch register (which it
// restores). Returns false (and out->source == SERIAL_SOURCE_NONE) when there is no console.
bool serial_console_choose(serial_console *out, const platform_info *platform, const serial_io *io,
                           const arch_uart *fallback, bool fallback_needs_probe);

// The 16550 scratch-register probe (PC16550D: SCR, offset 7, holds what was written): writes two patterns and
// reads each back, then restores the old value. True when both read back.
bool serial_16550_probe(const serial_io *io, const arch_uart *uart);

// Makes the chosen UART ready to send. PL011 and MMIO 16550s keep the firmware's settings (their input clock is
// not described to this driver) with the 16550's interrupts off; a 16550 in I/O space is a PC UART with the
// 1.8432 MHz clock, programmed 8N1 with FIFOs on at SPCR's `baud`, or at 115200 when it is the default (an SPCR
// baud rate of 0 means "as configured": left alone). No-op without a console.
void serial_console_init(const serial_console *c);

// Sends `len` bytes as they are, waiting (bounded) for room in the transmitter before each. No-op without a console.
void serial_console_write(const serial_console *c, const char *text, uint64_t len);

// The console's registers as identity-map ranges (device memory, never executable, frame-aligned), to be
// reserved and mapped: one range for an MMIO UART, none for port I/O or no console. Returns the number of ranges
// (written up to `max`).
uint64_t serial_console_mmio(const serial_console *c, arch_map_range *out, uint64_t max);

#endif  // BOOT_SERIAL_CONSOLE_H
