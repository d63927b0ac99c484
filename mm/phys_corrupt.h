// phys_corrupt.h: breaks the allocator on purpose, for tests that prove the invariant checker catches it
// (testonly target //mm:phys_corrupt; never linked into the kernel users boot).
//
// TEMPORARY STUB in the `handoff` branch: the real helper is being written in another branch with this exact
// signature; this file and mm/testing/phys_corrupt_stub.c are replaced by it at merge.
#ifndef MM_PHYS_CORRUPT_H
#define MM_PHYS_CORRUPT_H

#include "mm/phys_alloc.h"

// Stretches the reservation just below the lowest free frame so that it covers that frame, behind the free
// set's back: the free set then overlaps a reservation, which mm_phys_check_invariants must report. On success
// returns true with *frame the covered frame and *label the stretched reservation's label (valid while the
// table does not grow). Returns false and changes nothing when there is no free frame or no reservation below
// it.
bool mm_phys_corrupt_reservation_over_free(mm_phys_allocator *a, phys_addr_t *frame, const char **label);

#endif  // MM_PHYS_CORRUPT_H
