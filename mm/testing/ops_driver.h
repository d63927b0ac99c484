// ops_driver.h: drives a runtime allocator and the reference model through the same operation sequence and
// reports the first disagreement. Shared by the property tests (random choices from a seeded generator) and
// the operations fuzzer (choices read from the fuzzer's bytes).
#ifndef MM_TESTING_OPS_DRIVER_H
#define MM_TESTING_OPS_DRIVER_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mm/testing/phys_harness.h"
#include "mm/testing/reference_model.h"

namespace mm_testing {

// The scenes the driver knows: a few usable regions straddling 128 MiB window boundaries (so windows turn into
// bitmaps and ranges cross representations), a boot-services and a loader region to reclaim, an MMIO hole and
// reservations, with carved arrays either comfortable or tiny (growth and parking on every path).
struct Scene {
  std::vector<RegionSpec> regions;
  std::vector<ReservationSpec> reservations;
  phys_addr_t carve_at;
  uint64_t runs_bytes;
  uint64_t res_bytes;
  phys_addr_t model_base;
  uint64_t model_frames;
};

inline Scene DefaultScene(bool tiny) {
  const uint64_t M = 1ull << 20;
  Scene s;
  s.regions = {{120 * M, 132 * M, MM_REGION_USABLE},       {132 * M, 133 * M, MM_REGION_BOOT_SERVICES},
               {133 * M, 140 * M, MM_REGION_USABLE},       {140 * M, 141 * M, MM_REGION_LOADER},
               {141 * M, 142 * M, MM_REGION_ACPI_RECLAIM}, {142 * M, 143 * M, MM_REGION_MMIO},
               {254 * M, 258 * M, MM_REGION_USABLE}};
  s.reservations = {{121 * M, 121 * M + 8 * 4096, MM_RES_KERNEL_IMAGE, "kernel"},
                    {132 * M + 4096, 132 * M + 3 * 4096, MM_RES_FIRMWARE, "acpi"},
                    {142 * M, 143 * M, MM_RES_FRAMEBUFFER, "fb"},
                    {255 * M, 255 * M + 4096, MM_RES_STACK, "stack"}};
  s.carve_at = 139 * M;
  s.runs_bytes = tiny ? 6 * sizeof(mm_range) : 4096;  // tiny: exactly the six runs at hand-off
  s.res_bytes = tiny ? 7 * (sizeof(mm_reservation) + 8) : 4096;
  s.model_base = 120 * M;
  s.model_frames = (258 - 120) * M / 4096;
  return s;
}

// A small scene for the fuzzer (1344 modelled frames, so each comparison is cheap) that still straddles the
// 128 MiB window boundary and has regions to reclaim.
inline Scene FuzzScene(bool tiny) {
  const uint64_t M = 1ull << 20, F = 4096;
  Scene s;
  s.regions = {{126 * M, 130 * M, MM_REGION_USABLE},
               {130 * M, 130 * M + 64 * F, MM_REGION_BOOT_SERVICES},
               {130 * M + 64 * F, 131 * M, MM_REGION_USABLE},
               {131 * M, 131 * M + 64 * F, MM_REGION_LOADER}};
  s.reservations = {{127 * M, 127 * M + 4 * F, MM_RES_KERNEL_IMAGE, "kernel"},
                    {130 * M + 8 * F, 130 * M + 9 * F, MM_RES_FIRMWARE, "acpi"}};
  s.carve_at = 130 * M + 100 * F;
  s.runs_bytes = tiny ? 5 * sizeof(mm_range) : 4096;  // tiny: exactly the runs at hand-off
  s.res_bytes = tiny ? 5 * (sizeof(mm_reservation) + 8) : 4096;
  s.model_base = 126 * M;
  s.model_frames = 5 * M / F + 64;
  return s;
}

class OpsDriver {
 public:
  // next(bound) returns a choice in [0, bound); bound is never 0.
  using Chooser = std::function<uint64_t(uint64_t)>;

  explicit OpsDriver(const Scene &scene) : scene_(scene) {}

  // Builds both sides. Returns "" or why it failed.
  std::string Start() {
    mm_status s = h_.Build(scene_.regions, scene_.reservations, scene_.carve_at, scene_.runs_bytes, scene_.res_bytes);
    if (s != MM_OK) return std::string("init failed: ") + mm_status_name(s);
    model_.reset(new ReferenceModel(h_.map(), scene_.model_base, scene_.model_frames));
    model_->AddInitialReservations(h_.set());
    return Compare("init");
  }

  // Runs one operation chosen by `next`. Returns "" or a description of the first disagreement.
  std::string Step(const Chooser &next) {
    const uint64_t M = 1ull << 20, F = MM_FRAME_SIZE;
    mm_phys_allocator *a = h_.alloc();
    ReferenceModel &m = *model_;
    // Addresses are drawn mostly from the modelled span, sometimes from outside it.
    auto addr = [&]() -> phys_addr_t {
      uint64_t k = next(16);
      if (k == 0) return next(2) ? 0 : 300 * M + next(1024) * F;
      return scene_.model_base + next(scene_.model_frames) * F;
    };
    uint64_t op = next(100);
    std::string what;
    if (op < 25) {  // single frame
      phys_addr_t want = 0, got = 0;
      mm_status ws = m.PredictFrame(&want);
      mm_status gs = mm_phys_alloc_frame(a, &got);
      what = "alloc_frame";
      if (gs != ws) return what + ": status " + mm_status_name(gs) + " want " + mm_status_name(ws);
      if (gs == MM_OK) {
        if (got != want) return what + ": got " + ReferenceModel::Hex(got) + " want " + ReferenceModel::Hex(want);
        m.MarkAllocated(got, 1);
      }
    } else if (op < 40) {  // constrained allocation
      static const uint64_t aligns[] = {0, F, 2 * F, 8 * F, 64 * F, 2 * M, 3 * F};
      uint64_t count = next(8) == 0 ? next(1200) : next(24);
      uint64_t align = aligns[next(7)];
      if (next(4) == 0) {  // whole 2 MiB blocks (the block index's path, phys_huge.h), sometimes a 1 GiB frame
        static const uint64_t block_aligns[] = {2 * M, 2 * M, 4 * M, 1024 * M};
        align = block_aligns[next(4)];
        count = align == 1024 * M ? (1024 * M) / F : 512 * (1 + next(2)) + (next(2) ? next(512) : 0);
      }
      phys_addr_t lo = next(3) == 0 ? addr() + (next(4) == 0 ? next(F) : 0) : 0;  // sometimes unaligned
      phys_addr_t hi = next(3) == 0 ? addr() + (next(4) == 0 ? next(F) : 0) : 0;
      mm_alloc_request req{count, align, lo, hi};
      phys_addr_t want = 0, got = 0;
      mm_status ws = m.PredictAlloc(count, align, lo, hi, &want);
      mm_status gs = mm_phys_alloc(a, &req, &got);
      what = "alloc count=" + std::to_string(count) + " align=" + ReferenceModel::Hex(align) +
             " lo=" + ReferenceModel::Hex(lo) + " hi=" + ReferenceModel::Hex(hi);
      if (gs != ws) return what + ": status " + mm_status_name(gs) + " want " + mm_status_name(ws);
      if (gs == MM_OK) {
        if (got != want) return what + ": got " + ReferenceModel::Hex(got) + " want " + ReferenceModel::Hex(want);
        m.MarkAllocated(got, count);
      }
    } else if (op < 50) {  // fixed
      phys_addr_t base = addr();
      if (next(8) == 0) base += 1 + next(4095);
      uint64_t count = next(10) == 0 ? 0 : 1 + next(next(2) ? 4 : 64);
      if (next(32) == 0) count = UINT64_MAX - next(4);
      mm_status ws = m.PredictRange(base, count, true);
      mm_status gs = mm_phys_alloc_fixed(a, base, count);
      what = "fixed " + ReferenceModel::Hex(base) + " x" + std::to_string(count);
      if (gs != ws) return what + ": status " + mm_status_name(gs) + " want " + mm_status_name(ws);
      if (gs == MM_OK) m.MarkAllocated(base, count);
    } else if (op < 80) {  // valid free of allocated frames
      phys_addr_t base = m.NthAllocated(next(1u << 30));
      if (base == UINT64_MAX) return "";
      uint64_t count = 1, limit = next(4) == 0 ? 1 + next(64) : 1;
      while (count < limit && m.PredictRange(base, count + 1, false) == MM_OK) count++;
      mm_status gs = mm_phys_free(a, base, count);
      what = "free " + ReferenceModel::Hex(base) + " x" + std::to_string(count);
      if (gs != MM_OK) return what + ": status " + mm_status_name(gs) + " want ok";
      m.MarkFreed(base, count);
    } else if (op < 93) {  // arbitrary free: mostly errors
      phys_addr_t base = addr();
      if (next(8) == 0) base += 1 + next(4095);
      uint64_t count = next(10) == 0 ? 0 : 1 + next(8);
      if (next(32) == 0) count = UINT64_MAX - next(4);
      mm_status ws = m.PredictRange(base, count, false);
      mm_status gs = mm_phys_free(a, base, count);
      what = "free? " + ReferenceModel::Hex(base) + " x" + std::to_string(count);
      if (gs != ws) return what + ": status " + mm_status_name(gs) + " want " + mm_status_name(ws);
      if (gs == MM_OK) m.MarkFreed(base, count);
    } else if (op < 99 && next(5) == 0) {  // ending a reservation: only ap_trampoline entries, exact range
      phys_addr_t base = addr();
      uint64_t bytes = 1 + next(4 * F);
      mm_reservation_kind kind = next(4) == 0 ? MM_RES_LATE : MM_RES_AP_TRAMPOLINE;
      if (m.ReleasableCount() != 0 && next(4) != 0) {
        const mm_reservation &r = m.Releasable(next(m.ReleasableCount()));
        base = r.base;
        bytes = r.end - r.base;
        kind = r.kind;
        switch (next(6)) {  // mostly exact; else partial, larger, shifted, not frame aligned (rounds to the same)
          case 0:
            bytes = bytes > F ? bytes - F : bytes + F;
            break;
          case 1:
            bytes += F;
            break;
          case 2:
            base += F;
            break;
          case 3:
            base += 1 + next(F - 1), bytes -= F - 1;
            break;
          default:
            break;
        }
      }
      if (next(32) == 0) bytes = 0;
      mm_status ws = m.PredictUnreserve(base, bytes, kind);
      mm_status gs = mm_phys_unreserve(a, base, bytes, kind);
      what = "unreserve " + ReferenceModel::Hex(base) + " +" + std::to_string(bytes) + " " +
             mm_reservation_kind_name(kind);
      if (gs != ws) return what + ": status " + mm_status_name(gs) + " want " + mm_status_name(ws);
      if (gs == MM_OK) m.MarkUnreserved(base, bytes, kind);
    } else if (op < 99) {  // late reservation
      phys_addr_t base = addr() + (next(4) == 0 ? next(4096) : 0);
      uint64_t bytes = next(10) == 0 ? 0 : 1 + next(next(4) == 0 ? 64 * F : 4 * F);
      static const char *labels[] = {"late", "pt", "dma"};
      const char *label = labels[next(3)];
      mm_reservation_kind kind = next(50) == 0 ? MM_RES_KIND_COUNT : next(4) == 0 ? MM_RES_AP_TRAMPOLINE : MM_RES_LATE;
      mm_status gs = mm_phys_reserve(a, base, bytes, kind, label);
      what = "reserve " + ReferenceModel::Hex(base) + " +" + std::to_string(bytes);
      mm_status ws = bytes == 0 ? MM_ERR_ZERO_COUNT : kind == MM_RES_KIND_COUNT ? MM_ERR_INVALID_ARGUMENT : MM_OK;
      if (gs == MM_ERR_NO_MEMORY && ws == MM_OK) return "";  // table full and memory exhausted: allowed
      if (gs != ws) return what + ": status " + mm_status_name(gs) + " want " + mm_status_name(ws);
      if (gs == MM_OK) {
        phys_addr_t b = base & ~MM_FRAME_MASK, e = (base + bytes + MM_FRAME_MASK) & ~MM_FRAME_MASK;
        m.MarkReserved(b, e, kind, label);
      }
    } else {  // reclaim
      uint64_t want = m.Reclaim(), got = 0;
      mm_status gs = mm_phys_reclaim(a, &got);
      what = "reclaim";
      if (gs != MM_OK || got != want) return what + ": got " + std::to_string(got) + " want " + std::to_string(want);
    }
    last_ = what;
    return Compare(what);
  }

  // The last operation that ran, for traces ("" before any).
  const std::string &last() const { return last_; }
  PhysHarness &harness() { return h_; }
  ReferenceModel &model() { return *model_; }

 private:
  std::string Compare(const std::string &what) {
    std::string s = model_->Sync(h_.alloc());
    if (!s.empty()) return what + ": " + s;
    std::string inv = h_.Check();
    if (!inv.empty()) return what + ": invariant: " + inv;
    if (!SameRuns(AllocatorFreeRuns(h_.alloc()), model_->FreeRuns())) return what + ": free runs differ";
    mm_phys_stats st = mm_phys_get_stats(h_.alloc());
    if (st.free_frames != model_->FreeFrames()) return what + ": free frame count differs";
    if (st.allocated_frames != model_->AllocatedFrames()) return what + ": allocated frame count differs";
    return "";
  }

  Scene scene_;
  std::string last_;
  PhysHarness h_;
  std::unique_ptr<ReferenceModel> model_;
};

}  // namespace mm_testing

#endif  // MM_TESTING_OPS_DRIVER_H
