// mm_types.h: the vocabulary shared by every stage of the memory bring-up.
//
// Portable C11, freestanding: only <stdint.h>, <stddef.h> and <stdbool.h>. The same header compiles
// for the host tests (LP64) and both UEFI targets (LLP64), so never use `long`.
#ifndef MM_MM_TYPES_H
#define MM_MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t phys_addr_t;

#define MM_FRAME_SHIFT 12u
#define MM_FRAME_SIZE ((uint64_t)1 << MM_FRAME_SHIFT)
#define MM_FRAME_MASK (MM_FRAME_SIZE - 1)

// Freestanding builds have no <string.h>; clang lowers these to memcpy/memset/memmove calls, which the
// kernel (boot/efi/libc.c) and the host C library provide.
#define mm_memcpy __builtin_memcpy
#define mm_memset __builtin_memset
#define mm_memmove __builtin_memmove

// Every reason an mm operation can fail. Errors are values: a function that returns one of these has left
// its inputs untouched unless its contract says otherwise.
typedef enum mm_status {
  MM_OK = 0,
  MM_ERR_INVALID_ARGUMENT,   // NULL pointer, nonsensical flag, alignment not a power of two
  MM_ERR_BAD_STRIDE,         // descriptor_size smaller than the descriptor or not a multiple of 8
  MM_ERR_BAD_MAP,            // map bytes not a whole number of descriptors, or a descriptor's end overflows 2^64
  MM_ERR_NO_USABLE_MEMORY,   // the normalized map has no usable (conventional) frame
  MM_ERR_STORAGE_TOO_SMALL,  // caller-supplied storage smaller than the documented requirement
  MM_ERR_NO_MEMORY,          // no free range satisfies the request
  MM_ERR_MISALIGNED,         // address not frame aligned
  MM_ERR_ZERO_COUNT,         // count of frames is zero
  MM_ERR_OVERFLOW,           // base + count * frame size wraps around 2^64
  MM_ERR_NOT_OWNED,          // range not inside memory the allocator manages
  MM_ERR_DOUBLE_FREE,        // some frame of the range is already free
  MM_ERR_RESERVED,           // range touches a reservation
  MM_ERR_NOT_FREE,           // fixed-address allocation over frames that are not all free
  MM_ERR_ALREADY_INITIALIZED,
  MM_ERR_NOT_INITIALIZED,    // with_runtime_allocator called before the hand-off
  MM_ERR_BUSY,               // with_runtime_allocator re-entered from its own callback
  MM_ERR_INVARIANT,          // the invariant checker found a broken invariant
  MM_ERR_NOT_RESERVED,       // no reservation of that kind covers exactly that range (mm_phys_unreserve)
} mm_status;

// Stable lowercase name of a status, e.g. "double_free", for logs and test messages.
const char *mm_status_name(mm_status status);

// Stops the machine (kernel) or the process (host) with a message naming the function whose invariant
// broke: mm_panic("phys_free_runs_insert", "runs overlap"). Provided by the environment, not by mm/.
_Noreturn void mm_panic(const char *where, const char *why);

// [base, end) with end exclusive; an empty range has base == end.
typedef struct mm_range {
  phys_addr_t base;
  phys_addr_t end;
} mm_range;

// Accessor for physical memory. The kernel runs identity mapped and returns (void *)phys; the host tests and
// the replay tool back a simulated physical address space. Returns NULL when [phys, phys+bytes) is not
// backed; mm treats that as MM_ERR_NO_MEMORY.
typedef struct mm_phys_window {
  void *(*map)(void *ctx, phys_addr_t phys, uint64_t bytes);
  void *ctx;
} mm_phys_window;

#endif  // MM_MM_TYPES_H
