// smp_stress.h: the concurrent self-test of the runtime allocator (issue 11 item 5), run by every CPU at once.
//
// Each CPU, for `rounds` rounds: takes `hold` single frames, one contiguous run of `run_frames` frames and one
// 2 MiB-aligned 2 MiB block, writes a stamp into every frame it holds (the first and last word of each frame: a
// value made of the CPU number, the CPU's allocation sequence number and the frame address), then checks every
// stamp and frees everything. A frame handed to two holders at once has its stamp overwritten by the second and
// fails the check of the first ("stamp_overwritten"). Then every CPU arrives at a barrier; the coordinating CPU
// waits for all of them, runs the invariant checker and compares the allocator's totals with those recorded
// before the test: every frame taken was given back, none was lost or gained.
//
// Portable C11 (no arch code): the kernel runs it on real CPUs (boot/smp.c), the host test on threads
// (smp_stress_test.cc). Shared state uses the __atomic builtins like mm/runtime.c.
#ifndef BOOT_SMP_STRESS_H
#define BOOT_SMP_STRESS_H

#include "mm/phys_alloc.h"

// How the test reaches the allocator. smp_stress_runtime_ops() is the thread-safe global cell
// (with_runtime_allocator); tests inject broken ones to see the checks fire.
typedef struct smp_stress_ops {
  mm_status (*alloc_frame)(phys_addr_t *out);
  mm_status (*free_frame)(phys_addr_t frame);
  mm_status (*alloc)(const mm_alloc_request *req, phys_addr_t *out);
  mm_status (*free)(phys_addr_t base, uint64_t count);
} smp_stress_ops;

// The one place that chooses the allocation path: the global cell today; the per-CPU frame caches
// (mm_runtime_alloc_frame / mm_runtime_free_frame, issue 12) once they exist.
const smp_stress_ops *smp_stress_runtime_ops(void);

#define SMP_STRESS_BLOCK_BYTES ((uint64_t)2 << 20)  // the aligned block: one 2 MiB page's worth

typedef struct smp_stress_config {
  uint32_t cpus;        // CPUs taking part, numbered 0..cpus-1 (0 coordinates)
  uint32_t rounds;      // rounds per CPU
  uint32_t hold;        // single frames held at once per round (at most SMP_STRESS_HOLD_MAX)
  uint32_t run_frames;  // frames of the contiguous run per round (>= 1)
  const mm_phys_window *window;  // maps a held frame to write and check its stamp
  const smp_stress_ops *ops;     // NULL: smp_stress_runtime_ops()
  // Bounds the coordinator's wait at the barrier: now() in any unit, timeout in that unit. NULL/0: no bound.
  uint64_t (*now)(void);
  uint64_t timeout;
  void (*relax)(void);  // spin-wait hint (may be NULL)
} smp_stress_config;

#define SMP_STRESS_HOLD_MAX 16u

typedef struct smp_stress {
  smp_stress_config cfg;
  uint32_t go;        // atomic: the start gate, opened by smp_stress_release
  uint32_t arrived;   // atomic: CPUs done with their rounds
  uint32_t failed;    // atomic: 0, or 1 once a CPU failed (the first one writes failure/failed_cpu)
  const char *failure;
  uint32_t failed_cpu;
  uint64_t ops;             // atomic: allocation and free calls made, all CPUs
  uint64_t block_misses;    // atomic: 2 MiB blocks refused with MM_ERR_NO_MEMORY (skipped, not a failure)
  mm_phys_stats before;
} smp_stress;

typedef struct smp_stress_result {
  uint64_t ops;
  uint64_t block_misses;
  const char *failure;  // NULL when the test passed, else one word ("stamp_overwritten", "invariant", ...)
  const char *detail;   // the invariant checker's text, or the mm_status name of a failed call; may be NULL
  uint32_t failed_cpu;
} smp_stress_result;

// Coordinator, before any CPU runs: checks the configuration (MM_ERR_INVALID_ARGUMENT: cpus 0, hold above
// SMP_STRESS_HOLD_MAX, run_frames 0, window NULL), records the allocator's totals and closes the gate.
mm_status smp_stress_prepare(smp_stress *s, const smp_stress_config *cfg);

// Coordinator: opens the gate; CPUs waiting in smp_stress_cpu start their rounds.
void smp_stress_release(smp_stress *s);

// Every CPU (the coordinator too, after smp_stress_release): waits for the gate, runs the rounds, arrives at the
// barrier. A CPU that finds a failure (its own or another's) stops its rounds and arrives.
void smp_stress_cpu(smp_stress *s, uint32_t cpu);

// Coordinator, after its own smp_stress_cpu: waits until `cpus` CPUs arrived (or the timeout: "barrier_timeout"),
// then runs the invariant checker and compares the totals. MM_OK when everything held, else MM_ERR_INVARIANT
// with the reason in `out`.
mm_status smp_stress_finish(smp_stress *s, smp_stress_result *out);

#endif  // BOOT_SMP_STRESS_H
