// acpi_test_util.h: test-only builders of ACPI tables (checksums computed) and a fake physical memory behind an
// mm_phys_window, shared by the reader's tests (acpi_test.cc) and the discovery tests (discover_test.cc).
#ifndef PLATFORM_ACPI_TEST_UTIL_H
#define PLATFORM_ACPI_TEST_UTIL_H

#include <cstring>
#include <vector>

extern "C" {
#include "mm/mm_types.h"
}

namespace acpi_testing {

// ---- Fake physical memory: segments of bytes at physical addresses; map() succeeds inside one segment. ----
struct FakePhys {
  struct Segment {
    uint64_t phys;
    std::vector<uint8_t> bytes;
  };
  std::vector<Segment> segments;

  void Place(uint64_t phys, const std::vector<uint8_t>& bytes) { segments.push_back({phys, bytes}); }

  static void* Map(void* ctx, phys_addr_t phys, uint64_t bytes) {
    auto* self = static_cast<FakePhys*>(ctx);
    for (auto& s : self->segments) {
      if (phys >= s.phys && phys - s.phys <= s.bytes.size() && bytes <= s.bytes.size() - (phys - s.phys)) {
        return s.bytes.data() + (phys - s.phys);
      }
    }
    return nullptr;
  }

  mm_phys_window Window() { return mm_phys_window{&FakePhys::Map, this}; }
};

// ---- Builders ----
inline void Put(std::vector<uint8_t>& b, size_t off, uint64_t v, int n) {
  if (b.size() < off + n) b.resize(off + n);
  for (int i = 0; i < n; i++) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint8_t Sum(const std::vector<uint8_t>& b, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; i++) s = static_cast<uint8_t>(s + b[i]);
  return s;
}

// A table with a 5.2.6 header: signature, revision, body appended after byte 36; Length and checksum filled in.
struct Table {
  std::vector<uint8_t> b;
  Table(const char* sig, uint8_t revision) : b(36, 0) {
    memcpy(b.data(), sig, 4);
    b[8] = revision;
    memcpy(b.data() + 10, "BOCHS ", 6);
    memcpy(b.data() + 16, "BXPC    ", 8);
  }
  Table& U8(uint64_t v) { return Raw(v, 1); }
  Table& U16(uint64_t v) { return Raw(v, 2); }
  Table& U32(uint64_t v) { return Raw(v, 4); }
  Table& U64(uint64_t v) { return Raw(v, 8); }
  Table& Zeros(size_t n) {
    b.resize(b.size() + n, 0);
    return *this;
  }
  Table& Raw(uint64_t v, int n) {
    Put(b, b.size(), v, n);
    return *this;
  }
  // Fixes Length and the checksum (byte 9) so the bytes sum to 0.
  std::vector<uint8_t> Done() const {
    std::vector<uint8_t> out = b;
    Put(out, 4, out.size(), 4);
    out[9] = 0;
    out[9] = static_cast<uint8_t>(0 - Sum(out, out.size()));
    return out;
  }
};

inline std::vector<uint8_t> Rsdp(uint8_t revision, uint64_t xsdt) {
  std::vector<uint8_t> b(36, 0);
  memcpy(b.data(), "RSD PTR ", 8);
  memcpy(b.data() + 9, "BOCHS ", 6);
  b[15] = revision;
  Put(b, 20, 36, 4);
  Put(b, 24, xsdt, 8);
  b[8] = static_cast<uint8_t>(0 - Sum(b, 20));
  b[32] = static_cast<uint8_t>(0 - Sum(b, 36));
  return b;
}

inline std::vector<uint8_t> Xsdt(const std::vector<uint64_t>& entries) {
  Table t("XSDT", 1);
  for (uint64_t e : entries) t.U64(e);
  return t.Done();
}

}  // namespace acpi_testing

#endif  // PLATFORM_ACPI_TEST_UTIL_H
