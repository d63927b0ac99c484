// trap.c (x86_64): arch_trap_init, the kernel's own IDT for the 32 architecture-defined exception vectors.
//
// After ExitBootServices the IDTR still points at the firmware's table, in memory the kernel later reclaims;
// a fault would then vector through freed memory and end in a triple fault (a silent reset). This file gives
// the kernel an IDT inside its own image: every exception becomes one `panic stage=exception` line and
// arch_exit(3).
//
// Intel SDM Vol. 3A references:
//   6.10 "Interrupt Descriptor Table (IDT)": IDTR = 16-bit limit + 64-bit base, loaded with LIDT.
//   6.12 "Exception and Interrupt Handling": interrupt gates clear IF on entry.
//   6.13 "Error Code": the CPU pushes one only for #DF(8), #TS(10), #NP(11), #SS(12), #GP(13), #PF(14),
//        #AC(17) and #CP(21) (Table 6-1); the stubs push a dummy 0 for every other vector so the frame is uniform.
//   6.14.1 "64-Bit Mode IDT": 16-byte gate descriptors (offset split 15:0 / 31:16 / 63:32, selector, IST,
//        type 0xE = 64-bit interrupt gate, DPL, P); 6.14.2 the 64-bit stack frame (SS, RSP, RFLAGS, CS, RIP
//        always pushed, then the error code).
// CR2 holds the linear address of the last page fault (4.7).
//
// The stubs are the only asm here besides cpu_ops.h: they cannot be C, since they run before any C frame exists.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"
#include "mm/log.h"

#define X86_EXCEPTION_VECTORS 32
#define X86_GATE_INTERRUPT_64 0x8Eu  // P=1, DPL=0, type 0xE (64-bit interrupt gate)
#define X86_TRAP_STUB_BYTES 16
#define X86_TRAP_STACK_BYTES 16384

typedef struct __attribute__((packed)) x86_idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;        // bits [2:0]; 0 = no stack switch
  uint8_t type_attr;  // P, DPL, type
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
} x86_idt_gate;

_Static_assert(sizeof(x86_idt_gate) == 16, "SDM Vol. 3A 6.14.1: 64-bit gates are 16 bytes");

// What the stub and the CPU left on the faulting stack, lowest address first.
typedef struct x86_trap_frame {
  uint64_t vector;
  uint64_t error_code;  // the CPU's, or the stub's dummy 0
  uint64_t rip, cs, rflags, rsp, ss;
} x86_trap_frame;

static x86_idt_gate g_idt[X86_EXCEPTION_VECTORS] __attribute__((aligned(16)));

// The handler runs on its own stack in the image, so a fault caused by a bad RSP still gets its line out.
// Referenced from the asm below, hence external linkage.
uint8_t x86_trap_stack[X86_TRAP_STACK_BYTES] __attribute__((aligned(16)));
extern const char x86_trap_stubs[];
_Noreturn void x86_trap_handler(const x86_trap_frame *frame);

// One 16-byte slot per vector: stub n is at x86_trap_stubs + 16 * n. With an error code (SDM Table 6-1) the
// stub pushes only the vector; otherwise a dummy 0 first. x86_trap_common passes the frame to the C handler
// in RCX (the UEFI/Microsoft x64 ABI, UEFI 2.10 section 2.3.4.2) with 32 bytes of shadow space.
#define TRAP_STUB_NOERR(n) ".balign 16\n\tpushq $0\n\tpushq $" #n "\n\tjmp x86_trap_common\n\t"
#define TRAP_STUB_ERR(n) ".balign 16\n\tpushq $" #n "\n\tjmp x86_trap_common\n\t"

__asm__(
    ".text\n\t"
    ".balign 16\n"
    "x86_trap_stubs:\n\t"
    TRAP_STUB_NOERR(0) TRAP_STUB_NOERR(1) TRAP_STUB_NOERR(2) TRAP_STUB_NOERR(3)
    TRAP_STUB_NOERR(4) TRAP_STUB_NOERR(5) TRAP_STUB_NOERR(6) TRAP_STUB_NOERR(7)
    TRAP_STUB_ERR(8) TRAP_STUB_NOERR(9) TRAP_STUB_ERR(10) TRAP_STUB_ERR(11)
    TRAP_STUB_ERR(12) TRAP_STUB_ERR(13) TRAP_STUB_ERR(14) TRAP_STUB_NOERR(15)
    TRAP_STUB_NOERR(16) TRAP_STUB_ERR(17) TRAP_STUB_NOERR(18) TRAP_STUB_NOERR(19)
    TRAP_STUB_NOERR(20) TRAP_STUB_ERR(21) TRAP_STUB_NOERR(22) TRAP_STUB_NOERR(23)
    TRAP_STUB_NOERR(24) TRAP_STUB_NOERR(25) TRAP_STUB_NOERR(26) TRAP_STUB_NOERR(27)
    TRAP_STUB_NOERR(28) TRAP_STUB_NOERR(29) TRAP_STUB_NOERR(30) TRAP_STUB_NOERR(31)
    ".balign 16\n"
    "x86_trap_common:\n\t"
    "cld\n\t"
    "mov %rsp, %rcx\n\t"
    "lea x86_trap_stack+16384(%rip), %rsp\n\t"
    "sub $32, %rsp\n\t"
    "call x86_trap_handler\n\t"
    "ud2\n\t");

static const char *const kVectorNames[X86_EXCEPTION_VECTORS] = {
    "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP", "PF", "reserved",
    "MF", "AC", "MC", "XM", "VE", "CP", "reserved", "reserved", "reserved", "reserved", "reserved",
    "reserved", "HV", "VC", "SX", "reserved"};

_Noreturn void x86_trap_handler(const x86_trap_frame *frame) {
  static volatile bool in_handler;
  if (in_handler) arch_exit(3);  // a fault while reporting one: end the run without another line
  in_handler = true;
  uint64_t v = frame->vector;
  debug_structured(LOG_ERROR, "panic", KV_S("stage", "exception"), KV_S("arch", "x86_64"), KV_U("vector", v),
                   KV_S("name", v < X86_EXCEPTION_VECTORS ? kVectorNames[v] : "unknown"),
                   KV_X("error", frame->error_code), KV_X("rip", frame->rip), KV_X("cr2", read_cr2()),
                   KV_X("rsp", frame->rsp), KV_X("cs", frame->cs), KV_X("rflags", frame->rflags));
  arch_exit(3);
}

// Masks interrupts, fills the 32 exception gates with the current code segment (whatever selector the
// firmware left in CS: the kernel keeps the firmware's GDT), and loads the IDT.
void arch_trap_init(void) {
  cli();
  uint16_t cs = read_cs();
  for (unsigned i = 0; i < X86_EXCEPTION_VECTORS; i++) {
    uint64_t addr = (uint64_t)(uintptr_t)(x86_trap_stubs + i * X86_TRAP_STUB_BYTES);
    g_idt[i] = (x86_idt_gate){
        .offset_low = (uint16_t)addr,
        .selector = cs,
        .ist = 0,
        .type_attr = X86_GATE_INTERRUPT_64,
        .offset_mid = (uint16_t)(addr >> 16),
        .offset_high = (uint32_t)(addr >> 32),
        .reserved = 0,
    };
  }
  x86_idtr idtr = {.limit = (uint16_t)(sizeof(g_idt) - 1), .base = (uint64_t)(uintptr_t)g_idt};
  lidt(&idtr);
}
