// reference_model.h: a deliberately naive model of the runtime allocator, one byte per frame, for property
// tests and the operations fuzzer. It predicts every operation's status and address from first principles
// (lowest fit, checks in the documented order) and, after each operation, syncs with the allocator's
// reservation table: frames the allocator took for its own bookkeeping must have been free, frames it gave
// back become free again, and every reservation a caller made must still be there.
#ifndef MM_TESTING_REFERENCE_MODEL_H
#define MM_TESTING_REFERENCE_MODEL_H

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

extern "C" {
#include "mm/phys_alloc.h"
}

namespace mm_testing {

class ReferenceModel {
 public:
  enum : uint8_t { kManaged = 1, kAllocated = 2, kCovered = 4 };

  // Models frames [base, base + frames * 4 KiB); everything outside is unmanaged and unreserved.
  ReferenceModel(const mm_firmware_map *map, phys_addr_t base, uint64_t frames)
      : map_(map), base_(base), state_(frames, 0) {
    for (uint64_t i = 0; i < map->region_count; i++) {
      if (map->regions[i].type == MM_REGION_USABLE) SetFlag(map->regions[i].base, map->regions[i].end, kManaged);
    }
  }

  // Records the reservations present at hand-off (the caller's set) as caller-owned.
  void AddInitialReservations(const mm_reservation_set *set) {
    for (uint64_t i = 0; i < set->count; i++) expected_.push_back(Key(set->entries[i]));
  }

  bool IsFree(phys_addr_t f) const {
    if (f < base_ || Index(f) >= state_.size()) return false;
    uint8_t s = state_[Index(f)];
    return (s & kManaged) && !(s & (kAllocated | kCovered));
  }

  // ---- predictions ----
  mm_status PredictAlloc(uint64_t count, uint64_t align, phys_addr_t lo, phys_addr_t hi, phys_addr_t *out) const {
    if (count == 0) return MM_ERR_ZERO_COUNT;
    if (align == 0) align = MM_FRAME_SIZE;
    if (align < MM_FRAME_SIZE || (align & (align - 1)) != 0) return MM_ERR_INVALID_ARGUMENT;
    if (hi == 0) hi = UINT64_MAX;
    if (lo >= hi) return MM_ERR_INVALID_ARGUMENT;
    if (count > state_.size()) return MM_ERR_NO_MEMORY;
    uint64_t run = 0;
    for (uint64_t i = 0; i < state_.size(); i++) {
      phys_addr_t f = Addr(i);
      if (!IsFree(f)) {
        run = 0;
        continue;
      }
      if (run == 0) {
        if (f < lo || (f & (align - 1)) != 0) continue;
      }
      run++;
      if (run == count) {
        phys_addr_t start = f - ((count - 1) << MM_FRAME_SHIFT);
        if (f + MM_FRAME_SIZE > hi) return MM_ERR_NO_MEMORY;
        *out = start;
        return MM_OK;
      }
    }
    return MM_ERR_NO_MEMORY;
  }

  // mm_phys_alloc_frame's policy (phys_alloc.h): the lowest free frame of a broken 2 MiB block (one holding
  // both free and non-free frames; frames outside the model are not free), else the lowest free frame.
  mm_status PredictFrame(phys_addr_t *out) const {
    const uint64_t block = (2ull << 20) >> MM_FRAME_SHIFT;
    phys_addr_t lowest = UINT64_MAX;
    for (uint64_t i = 0; i < state_.size(); i++) {
      phys_addr_t f = Addr(i);
      if (!IsFree(f)) continue;
      if (lowest == UINT64_MAX) lowest = f;
      phys_addr_t b = f & ~((block << MM_FRAME_SHIFT) - 1);
      bool whole = true;
      for (uint64_t k = 0; k < block && whole; k++) whole = IsFree(b + (k << MM_FRAME_SHIFT));
      if (!whole) {
        *out = f;
        return MM_OK;
      }
      i = Index(b) + block - 1;  // the rest of a fully free block cannot be broken
    }
    if (lowest == UINT64_MAX) return MM_ERR_NO_MEMORY;
    *out = lowest;
    return MM_OK;
  }

  mm_status PredictRange(phys_addr_t base, uint64_t count, bool fixed) const {
    if (count == 0) return MM_ERR_ZERO_COUNT;
    if (base & MM_FRAME_MASK) return MM_ERR_MISALIGNED;
    if (count > ((UINT64_MAX - base) >> MM_FRAME_SHIFT)) return MM_ERR_OVERFLOW;
    bool all_managed = true, any_covered = false, any_free = false, all_free = true;
    for (uint64_t k = 0; k < count; k++) {
      phys_addr_t f = base + (k << MM_FRAME_SHIFT);
      uint8_t s = (f >= base_ && Index(f) < state_.size()) ? state_[Index(f)] : 0;
      all_managed &= (s & kManaged) != 0;
      any_covered |= (s & kCovered) != 0;
      bool fr = IsFree(f);
      any_free |= fr;
      all_free &= fr;
      if (!all_managed) break;
    }
    if (!all_managed) return MM_ERR_NOT_OWNED;
    if (any_covered) return MM_ERR_RESERVED;
    if (fixed) return all_free ? MM_OK : MM_ERR_NOT_FREE;
    return any_free ? MM_ERR_DOUBLE_FREE : MM_OK;
  }

  // ---- effects (call after the allocator succeeded) ----
  void MarkAllocated(phys_addr_t base, uint64_t count) { SetFlag(base, base + (count << MM_FRAME_SHIFT), kAllocated); }
  void MarkFreed(phys_addr_t base, uint64_t count) { ClearFlag(base, base + (count << MM_FRAME_SHIFT), kAllocated); }
  // A caller reservation: allocated frames in it stop being allocated; it must persist in the table.
  void MarkReserved(phys_addr_t base, phys_addr_t end, mm_reservation_kind kind, const char *label) {
    ClearFlag(base, end, kAllocated);
    mm_reservation r{};
    r.base = base;
    r.end = end;
    r.kind = kind;
    std::strncpy(r.label, label ? label : "", MM_LABEL_MAX - 1);
    expected_.push_back(Key(r));
    pending_covered_.push_back({base, end});
    if (mm_reservation_kind_releasable(kind)) releasable_.push_back(r);
  }
  // mm_phys_unreserve's outcome (phys_alloc.h): argument errors in order, then MM_ERR_NOT_RESERVED unless a caller
  // entry of `kind` spans exactly the rounded range.
  mm_status PredictUnreserve(phys_addr_t base, uint64_t bytes, mm_reservation_kind kind) const {
    if ((uint32_t)kind >= (uint32_t)MM_RES_KIND_COUNT || !mm_reservation_kind_releasable(kind))
      return MM_ERR_INVALID_ARGUMENT;
    if (bytes == 0) return MM_ERR_ZERO_COUNT;
    phys_addr_t b = base & ~MM_FRAME_MASK;
    if (bytes > UINT64_MAX - base || base + bytes > UINT64_MAX - MM_FRAME_MASK) return MM_ERR_OVERFLOW;
    phys_addr_t e = (base + bytes + MM_FRAME_MASK) & ~MM_FRAME_MASK;
    for (const auto &r : releasable_)
      if (r.base == b && r.end == e && r.kind == kind) return MM_OK;
    return MM_ERR_NOT_RESERVED;
  }
  // After a successful mm_phys_unreserve: one caller entry of that range and kind is gone. Its frames that no
  // other entry covers become free at the next Sync (covered -> not covered; they were not allocated since the
  // reservation took them out of the allocated count).
  void MarkUnreserved(phys_addr_t base, uint64_t bytes, mm_reservation_kind kind) {
    phys_addr_t b = base & ~MM_FRAME_MASK, e = (base + bytes + MM_FRAME_MASK) & ~MM_FRAME_MASK;
    for (size_t i = releasable_.size(); i-- > 0;) {
      const mm_reservation &r = releasable_[i];
      if (r.base != b || r.end != e || r.kind != kind) continue;
      // The allocator removes the most recently made entry of that range and kind, whatever its label (equal
      // ranges keep their insertion order in the table, as they do here), so it is the last match.
      auto it = std::find(expected_.begin(), expected_.end(), Key(r));
      if (it != expected_.end()) expected_.erase(it);
      releasable_.erase(releasable_.begin() + (long)i);
      return;
    }
  }
  size_t ReleasableCount() const { return releasable_.size(); }
  const mm_reservation &Releasable(size_t i) const { return releasable_[i]; }
  // Reclaim: returns the frames that become free (reclaimable regions minus covered frames).
  uint64_t Reclaim() {
    if (reclaimed_) return 0;
    reclaimed_ = true;
    uint64_t gained = 0;
    for (uint64_t i = 0; i < map_->region_count; i++) {
      const mm_region &r = map_->regions[i];
      if (!mm_region_type_reclaimable(r.type)) continue;
      SetFlag(r.base, r.end, kManaged);
      for (phys_addr_t f = r.base; f < r.end; f += MM_FRAME_SIZE) gained += IsFree(f);
    }
    return gained;
  }

  // Re-reads the allocator's reservation table. Returns "" or a description of the disagreement.
  std::string Sync(const mm_phys_allocator *alloc) {
    std::vector<mm_reservation> table;
    mm_phys_for_each_reservation(
        alloc,
        [](void *ctx, const mm_reservation *r) {
          static_cast<std::vector<mm_reservation> *>(ctx)->push_back(*r);
          return true;
        },
        &table);
    std::vector<uint8_t> covered(state_.size(), 0);
    for (const auto &r : table) {
      for (phys_addr_t f = std::max(r.base, base_); f < r.end && Index(f) < state_.size(); f += MM_FRAME_SIZE)
        covered[Index(f)] = 1;
    }
    for (const auto &p : pending_covered_) {
      for (phys_addr_t f = std::max(p.first, base_); f < p.second && Index(f) < state_.size(); f += MM_FRAME_SIZE)
        if (!covered[Index(f)]) return "a caller reservation is missing from the table";
    }
    pending_covered_.clear();
    for (uint64_t i = 0; i < state_.size(); i++) {
      uint8_t &s = state_[i];
      bool was = (s & kCovered) != 0;
      if (covered[i] && !was) {
        if ((s & kManaged) && (s & kAllocated)) return "bookkeeping took an allocated frame at " + Hex(Addr(i));
        s |= kCovered;
      } else if (!covered[i] && was) {
        s &= ~kCovered;
      }
    }
    // Every caller-made entry must still be present, and entries that came or went must be the allocator's.
    std::vector<std::string> have, want = expected_;
    for (const auto &r : table) {
      if (r.kind == MM_RES_BOOKKEEPING && std::strncmp(r.label, "phys.", 5) == 0) continue;
      have.push_back(Key(r));
    }
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    if (have != want) return "caller reservations in the table differ from the model's";
    return "";
  }

  // Maximal free runs of the model, ascending.
  std::vector<mm_range> FreeRuns() const {
    std::vector<mm_range> out;
    for (uint64_t i = 0; i < state_.size(); i++) {
      if (!IsFree(Addr(i))) continue;
      if (!out.empty() && out.back().end == Addr(i)) {
        out.back().end += MM_FRAME_SIZE;
      } else {
        out.push_back({Addr(i), Addr(i) + MM_FRAME_SIZE});
      }
    }
    return out;
  }
  uint64_t FreeFrames() const {
    uint64_t n = 0;
    for (uint64_t i = 0; i < state_.size(); i++) n += IsFree(Addr(i));
    return n;
  }
  uint64_t AllocatedFrames() const {
    uint64_t n = 0;
    for (auto s : state_) n += (s & kManaged) && (s & kAllocated) && !(s & kCovered);
    return n;
  }
  // Some allocated frame chosen by `pick` (an index), or PHYS_NONE-like UINT64_MAX when none.
  phys_addr_t NthAllocated(uint64_t pick) const {
    uint64_t n = AllocatedFrames();
    if (n == 0) return UINT64_MAX;
    pick %= n;
    for (uint64_t i = 0; i < state_.size(); i++) {
      uint8_t s = state_[i];
      if ((s & kManaged) && (s & kAllocated) && !(s & kCovered) && pick-- == 0) return Addr(i);
    }
    return UINT64_MAX;
  }
  phys_addr_t base() const { return base_; }
  uint64_t frames() const { return state_.size(); }

  static std::string Hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
    return buf;
  }

 private:
  static std::string Key(const mm_reservation &r) {
    char label[MM_LABEL_MAX + 1] = {0};
    std::memcpy(label, r.label, MM_LABEL_MAX);
    return Hex(r.base) + "-" + Hex(r.end) + ":" + std::to_string((int)r.kind) + ":" + label;
  }
  uint64_t Index(phys_addr_t f) const { return (f - base_) >> MM_FRAME_SHIFT; }
  phys_addr_t Addr(uint64_t i) const { return base_ + (i << MM_FRAME_SHIFT); }
  void SetFlag(phys_addr_t b, phys_addr_t e, uint8_t flag) {
    for (phys_addr_t f = std::max(b, base_); f < e && Index(f) < state_.size(); f += MM_FRAME_SIZE)
      state_[Index(f)] |= flag;
  }
  void ClearFlag(phys_addr_t b, phys_addr_t e, uint8_t flag) {
    for (phys_addr_t f = std::max(b, base_); f < e && Index(f) < state_.size(); f += MM_FRAME_SIZE)
      state_[Index(f)] &= ~flag;
  }

  const mm_firmware_map *map_;
  phys_addr_t base_;
  std::vector<uint8_t> state_;
  std::vector<std::string> expected_;
  std::vector<std::pair<phys_addr_t, phys_addr_t>> pending_covered_;
  std::vector<mm_reservation> releasable_;  // caller entries of a releasable kind still in the table
  bool reclaimed_ = false;
};

// Collects an allocator's maximal free runs.
inline std::vector<mm_range> AllocatorFreeRuns(const mm_phys_allocator *alloc) {
  std::vector<mm_range> out;
  mm_phys_for_each_free_run(
      alloc,
      [](void *ctx, mm_range r) {
        static_cast<std::vector<mm_range> *>(ctx)->push_back(r);
        return true;
      },
      &out);
  return out;
}

inline bool SameRuns(const std::vector<mm_range> &a, const std::vector<mm_range> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (a[i].base != b[i].base || a[i].end != b[i].end) return false;
  return true;
}

}  // namespace mm_testing

#endif  // MM_TESTING_REFERENCE_MODEL_H
