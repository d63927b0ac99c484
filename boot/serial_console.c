// serial_console.c: the serial console the platform describes (serial_console.h).
#include "boot/serial_console.h"

// PL011 TRM (Arm DDI 0183) 3.2: register offsets; UARTFR bit 5 TXFF = transmit FIFO full.
#define PL011_DR 0x00u
#define PL011_FR 0x18u
#define PL011_FR_TXFF 0x20u
#define PL011_REGISTER_WINDOW 0x1000u  // the PL011's 4 KiB register page

// PC16550D registers (index before the shift) and bits.
#define UART_THR 0u
#define UART_DLL 0u
#define UART_IER 1u
#define UART_DLM 1u
#define UART_FCR 2u
#define UART_LCR 3u
#define UART_MCR 4u
#define UART_LSR 5u
#define UART_SCR 7u
#define UART_REGISTERS 8u
#define LCR_DLAB 0x80u
#define LCR_8N1 0x03u
#define FCR_ENABLE_CLEAR 0x07u  // FIFOs on, both cleared
#define MCR_DTR_RTS 0x03u
#define LSR_THRE 0x20u
#define PC_UART_CLOCK_DIV16 115200u  // 1.8432 MHz / 16
#define TX_SPIN_LIMIT 1000000u       // never hang on a wedged UART

const char *serial_source_name(serial_source source) {
  switch (source) {
    case SERIAL_SOURCE_SPCR:
      return "spcr";
    case SERIAL_SOURCE_DEVICETREE:
      return "devicetree";
    case SERIAL_SOURCE_DEFAULT:
      return "default";
    case SERIAL_SOURCE_NONE:
      break;
  }
  return "none";
}

const char *serial_kind_name(arch_uart_kind kind) { return kind == ARCH_UART_PL011 ? "pl011" : "16550"; }

const char *serial_space_name(arch_io_space space) { return space == ARCH_IO_PORT ? "io" : "mmio"; }

static uint32_t reg_read(const serial_io *io, const arch_uart *u, uint32_t index) {
  return io->read(io->ctx, u->space, u->base + ((phys_addr_t)index << u->reg_shift), u->width);
}

static void reg_write(const serial_io *io, const arch_uart *u, uint32_t index, uint32_t value) {
  io->write(io->ctx, u->space, u->base + ((phys_addr_t)index << u->reg_shift), u->width, value);
}

bool serial_16550_probe(const serial_io *io, const arch_uart *uart) {
  if (uart->kind != ARCH_UART_16550) return false;
  uint32_t old = reg_read(io, uart, UART_SCR) & 0xFFu;
  bool found = true;
  for (uint32_t pattern = 0x55u; pattern <= 0xAAu && found; pattern += 0x55u) {
    reg_write(io, uart, UART_SCR, pattern);
    found = (reg_read(io, uart, UART_SCR) & 0xFFu) == pattern;
  }
  reg_write(io, uart, UART_SCR, old);
  return found;
}

// The SPCR's Base Address (a Generic Address Structure, ACPI 6.5 5.2.3.2) as a UART this driver reaches, or the
// reason it is not one. Access widths: 1 byte, 2 word, 3 dword; 0 (legacy) means the Register Bit Width decides.
// A 16550 with 32-bit accesses has its registers 4 bytes apart, as Linux's SPCR reader (drivers/acpi/spcr.c,
// "mmio32") takes it. A PL011 is always accessed 32 bits wide (PL011 TRM 3.1; SBSA generic UART: 32-bit only).
static const char *spcr_uart(const acpi_spcr *spcr, const serial_io *io, arch_uart *out) {
  arch_uart u = {0};
  u.kind = spcr->kind == ACPI_UART_PL011 ? ARCH_UART_PL011 : ARCH_UART_16550;
  if (spcr->base.address_space == ACPI_GAS_SYSTEM_MEMORY) {
    u.space = ARCH_IO_MMIO;
  } else if (spcr->base.address_space == ACPI_GAS_SYSTEM_IO && io->has_port_space && u.kind == ARCH_UART_16550) {
    u.space = ARCH_IO_PORT;
  } else {
    return "bad_gas_space";
  }
  if (spcr->base.address == 0 || (u.space == ARCH_IO_PORT && spcr->base.address > 0xFFF8u)) {
    return "bad_gas_address";
  }
  u.base = spcr->base.address;
  unsigned width;
  switch (spcr->base.access_size) {
    case 1:
      width = 1;
      break;
    case 2:
      width = 2;
      break;
    case 3:
      width = 4;
      break;
    case 0:
      width = spcr->base.bit_width == 32 ? 4 : spcr->base.bit_width == 16 ? 2 : 1;
      break;
    default:
      return "bad_gas_width";
  }
  if (u.kind == ARCH_UART_PL011) {
    u.width = 4;
    u.reg_shift = 0;
  } else {
    u.width = (uint8_t)width;
    u.reg_shift = (uint8_t)(width == 4 ? 2 : width == 2 ? 1 : 0);
  }
  *out = u;
  return 0;
}

static bool is_spcr(const void *signature) {
  const uint8_t *b = signature;
  return b[0] == 'S' && b[1] == 'P' && b[2] == 'C' && b[3] == 'R';
}

// The first usable SPCR in XSDT order. When there is none but an SPCR was skipped (bad checksum, Length past the
// mapping, shorter than a header), that reason instead of ACPI_ERR_NOT_FOUND: a skipped entry's signature is
// peeked at (4 bytes, nothing else of it is read) only to say which table was refused.
static acpi_status find_spcr(const acpi_root *root, acpi_table *out) {
  acpi_status skipped = ACPI_ERR_NOT_FOUND;
  for (uint32_t i = 0; i < root->entry_count; i++) {
    acpi_table t;
    acpi_status s = acpi_root_table(root, i, &t);
    if (s == ACPI_OK) {
      if (!is_spcr(t.signature)) continue;
      *out = t;
      return ACPI_OK;
    }
    const uint8_t *entry = root->xsdt.bytes + ACPI_HEADER_SIZE + 8u * i;
    phys_addr_t phys = 0;
    for (int b = 7; b >= 0; b--) phys = (phys << 8) | entry[b];
    const void *sig = root->window.map ? root->window.map(root->window.ctx, phys, 4) : 0;
    if (sig != 0 && is_spcr(sig) && skipped == ACPI_ERR_NOT_FOUND) skipped = s;
  }
  return skipped;
}

static bool from_spcr(serial_console *c, const platform_info *p, const serial_io *io) {
  c->spcr_status = ACPI_ERR_NOT_FOUND;
  if (p == 0 || !platform_has_acpi(p)) return false;
  acpi_table table;
  acpi_status s = find_spcr(&p->acpi, &table);
  acpi_spcr spcr;
  if (s == ACPI_OK) s = acpi_spcr_parse(&table, &spcr);
  c->spcr_status = s;
  if (s != ACPI_OK) return false;
  arch_uart u;
  c->spcr_reason = spcr_uart(&spcr, io, &u);
  if (c->spcr_reason) return false;
  c->uart = u;
  c->baud = spcr.baud;
  c->source = SERIAL_SOURCE_SPCR;
  return true;
}

// The devicetree's console node: its `reg` is taken as a CPU physical address (true of QEMU's and of UARTs on
// the root bus or a simple-bus with an identity `ranges`), always MMIO.
static bool from_devicetree(serial_console *c, const platform_info *p) {
  c->dt_status = FDT_ERR_NOT_FOUND;
  if (p == 0 || !platform_has_devicetree(p)) return false;
  fdt_console dc;
  fdt_status s = fdt_stdout_console(&p->dt, &dc);
  if (s == FDT_OK && dc.base == 0) s = FDT_ERR_BAD_VALUE;
  c->dt_status = s;
  if (s != FDT_OK) return false;
  arch_uart u = {0};
  u.space = ARCH_IO_MMIO;
  u.base = dc.base;
  if (dc.kind == FDT_CONSOLE_PL011) {
    u.kind = ARCH_UART_PL011;
    u.width = 4;
  } else {
    u.kind = ARCH_UART_16550;
    u.reg_shift = (uint8_t)dc.reg_shift;
    u.width = (uint8_t)dc.io_width;
  }
  c->uart = u;
  c->source = SERIAL_SOURCE_DEVICETREE;
  return true;
}

bool serial_console_choose(serial_console *out, const platform_info *platform, const serial_io *io,
                           const arch_uart *fallback, bool fallback_needs_probe) {
  serial_console c = {0};
  c.io = *io;
  c.spcr_status = ACPI_ERR_NOT_FOUND;
  c.dt_status = FDT_ERR_NOT_FOUND;
  if (from_spcr(&c, platform, io) || from_devicetree(&c, platform)) {
    *out = c;
    return true;
  }
  if (fallback != 0) {
    bool usable = fallback->space != ARCH_IO_PORT || io->has_port_space;
    if (usable && fallback_needs_probe) {
      c.default_probed = true;
      usable = serial_16550_probe(io, fallback);
    }
    if (usable) {
      c.uart = *fallback;
      c.source = SERIAL_SOURCE_DEFAULT;
    }
  }
  *out = c;
  return c.source != SERIAL_SOURCE_NONE;
}

void serial_console_init(const serial_console *c) {
  if (c->source == SERIAL_SOURCE_NONE || c->uart.kind != ARCH_UART_16550) return;
  const serial_io *io = &c->io;
  const arch_uart *u = &c->uart;
  reg_write(io, u, UART_IER, 0x00);
  // SPCR's baud rate 0 means "as is" (the firmware's setting stays); only the undescribed default is set up here.
  if (u->space != ARCH_IO_PORT || (c->baud == 0 && c->source != SERIAL_SOURCE_DEFAULT)) return;
  uint32_t baud = c->baud ? c->baud : 115200u;
  uint32_t divisor = PC_UART_CLOCK_DIV16 / baud;
  if (divisor == 0) divisor = 1;
  reg_write(io, u, UART_LCR, LCR_DLAB);
  reg_write(io, u, UART_DLL, divisor & 0xFFu);
  reg_write(io, u, UART_DLM, (divisor >> 8) & 0xFFu);
  reg_write(io, u, UART_LCR, LCR_8N1);
  reg_write(io, u, UART_FCR, FCR_ENABLE_CLEAR);
  reg_write(io, u, UART_MCR, MCR_DTR_RTS);
}

static void put_byte(const serial_console *c, uint8_t byte) {
  const serial_io *io = &c->io;
  const arch_uart *u = &c->uart;
  if (u->kind == ARCH_UART_PL011) {
    for (uint32_t spin = 0;
         spin < TX_SPIN_LIMIT && (io->read(io->ctx, u->space, u->base + PL011_FR, 4) & PL011_FR_TXFF); spin++) {
    }
    io->write(io->ctx, u->space, u->base + PL011_DR, 4, byte);
    return;
  }
  for (uint32_t spin = 0; spin < TX_SPIN_LIMIT && !(reg_read(io, u, UART_LSR) & LSR_THRE); spin++) {
  }
  reg_write(io, u, UART_THR, byte);
}

void serial_console_write(const serial_console *c, const char *text, uint64_t len) {
  if (c->source == SERIAL_SOURCE_NONE) return;
  for (uint64_t i = 0; i < len; i++) put_byte(c, (uint8_t)text[i]);
}

uint64_t serial_console_mmio(const serial_console *c, arch_map_range *out, uint64_t max) {
  if (c->source == SERIAL_SOURCE_NONE || c->uart.space != ARCH_IO_MMIO) return 0;
  uint64_t span = c->uart.kind == ARCH_UART_PL011 ? PL011_REGISTER_WINDOW
                                                  : (uint64_t)UART_REGISTERS << c->uart.reg_shift;
  phys_addr_t base = c->uart.base & ~(phys_addr_t)MM_FRAME_MASK;
  phys_addr_t end = (c->uart.base + span + MM_FRAME_MASK) & ~(phys_addr_t)MM_FRAME_MASK;
  if (end <= base) return 0;  // wraps past 2^64: not mappable
  if (max >= 1 && out != 0)
    out[0] = (arch_map_range){.base = base, .end = end, .type = ARCH_MEM_DEVICE, .executable = false};
  return 1;
}
