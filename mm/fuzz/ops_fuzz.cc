// ops_fuzz.cc: libFuzzer target for the runtime allocator's operations against the reference model.
//
// Input: byte 0 picks the scene (bit 0: carved arrays exactly full, so growth and parking run early); every
// later choice (operation, address, count, alignment, window, kind) is read from the following bytes by
// OpsDriver (mm/testing/ops_driver.h): alloc frame, alloc aligned/windowed, fixed, free of allocated frames,
// arbitrary (mostly invalid) free, late reservation (kinds late and ap_trampoline), ending an ap_trampoline
// reservation (mm_phys_unreserve: exact, partial, larger, shifted, wrong kind), reclaim. After each operation the
// allocator and the byte-per-frame model must agree on status, address, free runs and counters, and
// mm_phys_check_invariants must pass; any disagreement aborts with the operation that caused it.
// The model, the driver, the harness and the C++ library are the oracle, not the code under test: no coverage
// feedback (and no comparison tracing, which made them most of the run time) from them, only from mm/.
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mm/testing/ops_driver.h"
#pragma clang attribute pop

namespace {

// Reads choices from the input; once it is used up every choice is 0 and `done` is set.
struct ByteChooser {
  const uint8_t *data;
  size_t size;
  size_t pos = 0;
  bool done = false;
  uint64_t operator()(uint64_t bound) {
    uint64_t v = 0;
    int bytes = bound <= 0x100 ? 1 : bound <= 0x10000 ? 2 : bound <= 0x1000000 ? 3 : 4;
    for (int i = 0; i < bytes; i++) {
      if (pos >= size) {
        done = true;
        return 0;
      }
      v = (v << 8) | data[pos++];
    }
    return v % bound;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  mm_testing::OpsDriver driver(mm_testing::FuzzScene(data[0] & 1));
  std::string err = driver.Start();
  if (!err.empty()) {
    std::fprintf(stderr, "ops_fuzz: %s\n", err.c_str());
    std::abort();
  }
  ByteChooser chooser{data + 1, size - 1};
  mm_testing::OpsDriver::Chooser next = [&](uint64_t bound) { return chooser(bound); };
  for (int step = 0; step < 512 && !chooser.done; step++) {
    err = driver.Step(next);
    if (!err.empty()) {
      std::fprintf(stderr, "ops_fuzz: step %d: %s\n", step, err.c_str());
      std::abort();
    }
  }
  return 0;
}
