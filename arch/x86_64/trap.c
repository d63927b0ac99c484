// trap.c (x86_64): arch_trap_init, the kernel's own GDT and IDT for the 32 architecture-defined exception
// vectors.
//
// After ExitBootServices GDTR and IDTR still point at the firmware's tables, which the kernel neither owns nor
// reserves: OVMF keeps its GDT in runtime-services data, but UEFI allows boot-services memory, which reclaim
// hands out; a fault would then vector through freed memory and end in a triple fault (a silent reset). This
// file gives the kernel a GDT and an IDT inside its own image, the GDT loaded first so the gates' selector
// names a descriptor the kernel owns: every exception becomes one `panic stage=exception` line and
// arch_exit(3).
//
// Intel SDM Vol. 3A references:
//   3.4.5 / 3.4.5.1 "Segment Descriptors", "Code- and Data-Segment Descriptor Types": in 64-bit mode a code
//        descriptor needs P, S, type execute/read, L=1 (D=0); base and limit are ignored. Data descriptors
//        only need P (SS needs a writable one for the reload).
//   3.5.1 "Segment Descriptor Tables": GDTR = 16-bit limit + 64-bit base, loaded with LGDT; entry 0 is the null
//        descriptor. 7.2.3 "TSS Descriptor in 64-bit mode": only needed for IST stacks or privilege changes;
//        the kernel uses neither (every gate has IST 0, everything runs at CPL 0), so it has no TSS.
//   6.10 "Interrupt Descriptor Table (IDT)": IDTR = 16-bit limit + 64-bit base, loaded with LIDT.
//   6.12 "Exception and Interrupt Handling": interrupt gates clear IF on entry.
//   6.13 "Error Code" and Table 6-1: which vectors push one (arch/x86_64/exceptions.h, host-tested).
//   6.14.1 "64-Bit Mode IDT": 16-byte gate descriptors (offset split 15:0 / 31:16 / 63:32, selector, IST,
//        type 0xE = 64-bit interrupt gate, DPL, P); 6.14.2 the 64-bit stack frame (SS, RSP, RFLAGS, CS, RIP
//        always pushed, then the error code when the vector has one).
// CR2 holds the linear address of the last page fault (4.7).
//
// The stubs are the only asm here besides cpu_ops.h: they cannot be C, since they run before any C frame exists.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/smp.h"
#include "mm/log.h"

#define X86_GATE_INTERRUPT_64 0x8Eu  // P=1, DPL=0, type 0xE (64-bit interrupt gate)
#define X86_TRAP_STUB_BYTES 16
#define X86_TRAP_STACK_BYTES 16384

// The kernel's GDT: null, 64-bit ring-0 code, ring-0 data, 32-bit ring-0 code (SDM Vol. 3A 3.4.5; the last
// one is for a far jump into compatibility mode, which only the test builds' LA57 trampoline makes). Descriptor
// bits used: limit 15:0 = 0xFFFF, type [43:40], S [44], DPL [46:45], P [47], limit 19:16 [51:48], L [53], D/B [54],
// G [55].
// The Accessed bit (type bit 0) is preset: the CPU would otherwise write it when a selector is loaded
// (SDM Vol. 3A 3.4.5.1), which faults if the image's data were ever mapped read-only.
#define X86_GDT_CODE64 0x00AF9B000000FFFFull  // P, S, type 0xB (execute/read, accessed), L=1, G
#define X86_GDT_DATA 0x00CF93000000FFFFull    // P, S, type 0x3 (read/write, accessed), D/B=1, G
#define X86_GDT_CODE32 0x00CF9B000000FFFFull  // P, S, type 0xB, L=0, D=1 (32-bit), G: base 0, limit 4 GiB
// Selectors X86_SEL_CODE (index 1), X86_SEL_DATA (2), X86_SEL_CODE32 (3) are in cpu_ops.h.

static uint64_t g_gdt[4] __attribute__((aligned(16))) = {0, X86_GDT_CODE64, X86_GDT_DATA, X86_GDT_CODE32};

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

// What the CPU pushed for an exception, lowest address first (SDM Vol. 3A 6.14.2), after the error code if
// there is one.
typedef struct x86_interrupt_frame {
  uint64_t rip, cs, rflags, rsp, ss;
} x86_interrupt_frame;

static x86_idt_gate g_idt[X86_EXCEPTION_VECTORS] __attribute__((aligned(16)));

// The handler runs on its own stack in the image, so a fault caused by a bad RSP still gets its line out.
// Referenced from the asm below, hence external linkage.
uint8_t x86_trap_stack[X86_TRAP_STACK_BYTES] __attribute__((aligned(16)));
// One CPU at a time on that stack (SMP, issue 11): the first CPU to fault takes it (LOCK BTS, SDM Vol. 3A 8.1.2.2)
// and its handler ends the run; a CPU faulting meanwhile waits here, so the log gets one whole panic line. A fault
// inside the handler (RSP already on the trap stack) goes straight on, to the handler's re-entry exit. RAX is
// clobbered: the handler never returns.
uint32_t x86_trap_busy;
extern const char x86_trap_stubs[];
_Noreturn void x86_trap_handler(const uint64_t *stack);

// One 16-byte slot per vector: stub n is at x86_trap_stubs + 16 * n and pushes only n. Whether an error code
// sits above it is decided in C from the one table (exceptions.h), not by choosing stubs here.
// x86_trap_common passes the faulting stack (vector first) to the C handler in RCX (the UEFI/Microsoft x64 ABI,
// UEFI 2.10 section 2.3.4.2) with 32 bytes of shadow space.
#define TRAP_STUB(n) ".balign 16\n\tpushq $" #n "\n\tjmp x86_trap_common\n\t"

__asm__(
    ".text\n\t"
    ".balign 16\n"
    "x86_trap_stubs:\n\t"
    TRAP_STUB(0) TRAP_STUB(1) TRAP_STUB(2) TRAP_STUB(3) TRAP_STUB(4) TRAP_STUB(5) TRAP_STUB(6) TRAP_STUB(7)
    TRAP_STUB(8) TRAP_STUB(9) TRAP_STUB(10) TRAP_STUB(11) TRAP_STUB(12) TRAP_STUB(13) TRAP_STUB(14)
    TRAP_STUB(15) TRAP_STUB(16) TRAP_STUB(17) TRAP_STUB(18) TRAP_STUB(19) TRAP_STUB(20) TRAP_STUB(21)
    TRAP_STUB(22) TRAP_STUB(23) TRAP_STUB(24) TRAP_STUB(25) TRAP_STUB(26) TRAP_STUB(27) TRAP_STUB(28)
    TRAP_STUB(29) TRAP_STUB(30) TRAP_STUB(31)
    ".balign 16\n"
    "x86_trap_common:\n\t"
    "cld\n\t"
    "lea x86_trap_stack(%rip), %rax\n\t"
    "cmp %rax, %rsp\n\t"
    "jb 1f\n\t"
    "lea x86_trap_stack+16384(%rip), %rax\n\t"
    "cmp %rax, %rsp\n\t"
    "jb 2f\n"  // already on the trap stack: a fault inside the handler, which then ends the run
    "1:\n\t"
    "lock btsl $0, x86_trap_busy(%rip)\n\t"
    "jnc 2f\n\t"
    "pause\n\t"
    "jmp 1b\n"
    "2:\n\t"
    "mov %rsp, %rcx\n\t"
    "lea x86_trap_stack+16384(%rip), %rsp\n\t"
    "sub $32, %rsp\n\t"
    "call x86_trap_handler\n\t"
    "ud2\n\t");

// `stack` points at the vector the stub pushed; above it the CPU's error code (only for vectors that have one),
// then the interrupt frame.
_Noreturn void x86_trap_handler(const uint64_t *stack) {
  static volatile bool in_handler;
  if (in_handler) arch_exit(3);  // a fault while reporting one: end the run without another line
  in_handler = true;
  uint32_t v = (uint32_t)stack[0];
  bool has_error = x86_exception_has_error_code(v);
  uint64_t error = has_error ? stack[1] : 0;
  const x86_interrupt_frame *frame = (const x86_interrupt_frame *)(stack + (has_error ? 2 : 1));
  debug_structured(LOG_ERROR, "panic", KV_S("stage", "exception"), KV_S("arch", "x86_64"), KV_U("vector", v),
                   KV_S("name", x86_exception_name(v)), KV_X("error", error), KV_X("rip", frame->rip),
                   KV_X("cr2", read_cr2()), KV_X("rsp", frame->rsp), KV_X("cs", frame->cs),
                   KV_X("rflags", frame->rflags), KV_U("cpu", arch_cpu_number()));
  arch_exit(3);
}

// Masks interrupts, loads the kernel's GDT (reloading every segment register), then fills the 32 exception
// gates with the kernel's code selector and loads the IDT.
void arch_trap_init(void) {
  cli();
  x86_desc_ptr gdtr = {.limit = (uint16_t)(sizeof(g_gdt) - 1), .base = (uint64_t)(uintptr_t)g_gdt};
  load_gdt(&gdtr, X86_SEL_CODE, X86_SEL_DATA);
  x86_percpu_install_boot();  // GS base, cleared by the GS load above
  for (unsigned i = 0; i < X86_EXCEPTION_VECTORS; i++) {
    uint64_t addr = (uint64_t)(uintptr_t)(x86_trap_stubs + i * X86_TRAP_STUB_BYTES);
    g_idt[i] = (x86_idt_gate){
        .offset_low = (uint16_t)addr,
        .selector = X86_SEL_CODE,
        .ist = 0,
        .type_attr = X86_GATE_INTERRUPT_64,
        .offset_mid = (uint16_t)(addr >> 16),
        .offset_high = (uint32_t)(addr >> 32),
        .reserved = 0,
    };
  }
  x86_desc_ptr idtr = {.limit = (uint16_t)(sizeof(g_idt) - 1), .base = (uint64_t)(uintptr_t)g_idt};
  lidt(&idtr);
}

arch_cpu_state arch_cpu_state_read(void) {
  return (arch_cpu_state){.vectors = sidt().base, .gdt = sgdt().base, .el = 0};
}
