// libFuzzer target for the ACPI reader. The harness builds a valid RSDP and a one-entry XSDT in front of the
// input and makes the input a table the checksum gate lets through: its signature is forced to one of the parsed
// ones (kept when the input starts with one, else chosen by byte 0) and byte 9 is set so the first min(Length, size)
// bytes sum to 0. Length, revisions and every entry stay the fuzzer's. The parsers must never read outside the mapped
// bytes (build with
// --config=asan to catch it) nor loop forever.
//   bazel build //platform/fuzz:acpi_fuzz && bazel-bin/platform/fuzz/acpi_fuzz -max_total_time=600 /tmp/acpi
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "platform/acpi.h"
}

namespace {

constexpr uint64_t kBase = 0x1000;

struct Memory {
  const uint8_t *data;
  size_t size;
};

// Maps only inside the harness buffer: physical [kBase, kBase + size).
void *Map(void *ctx, phys_addr_t phys, uint64_t bytes) {
  auto *m = static_cast<Memory *>(ctx);
  if (phys < kBase || phys - kBase > m->size || bytes > m->size - (phys - kBase)) return nullptr;
  return const_cast<uint8_t *>(m->data + (phys - kBase));
}

void Ignore(void *, const acpi_cpu *) {}
void IgnoreSrat(void *, const acpi_srat_entry *) {}

}  // namespace

void Put(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void FixSum(uint8_t *p, size_t n, uint8_t *sum_byte) {
  *sum_byte = 0;
  uint8_t s = 0;
  for (size_t i = 0; i < n; i++) s = static_cast<uint8_t>(s + p[i]);
  *sum_byte = static_cast<uint8_t>(0 - s);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  constexpr size_t kXsdtOff = 64, kTableOff = 128;
  if (size < 10) return 0;
  std::vector<uint8_t> mem(kTableOff + size, 0);
  uint8_t *rsdp = mem.data();
  memcpy(rsdp, "RSD PTR ", 8);
  rsdp[15] = 2;
  Put(rsdp + 20, 36, 4);
  Put(rsdp + 24, kBase + kXsdtOff, 8);
  FixSum(rsdp, 20, rsdp + 8);
  FixSum(rsdp, 36, rsdp + 32);
  uint8_t *xsdt = mem.data() + kXsdtOff;
  memcpy(xsdt, "XSDT", 4);
  Put(xsdt + 4, 44, 4);
  Put(xsdt + 36, kBase + kTableOff, 8);
  FixSum(xsdt, 44, xsdt + 9);
  uint8_t *table = mem.data() + kTableOff;
  memcpy(table, data, size);
  static const char *const kSigs[] = {"APIC", "SRAT", "SPCR", "FACP"};
  // An input that already is one of the parsed tables (the seeds: QEMU's own, platform/testdata/qemu) keeps its
  // signature; anything else gets one chosen by byte 0.
  bool known = false;
  for (const char *sig : kSigs) known |= size >= 4 && memcmp(data, sig, 4) == 0;
  if (!known) memcpy(table, kSigs[data[0] % 4], 4);
  if (size >= 8) {
    uint32_t length = static_cast<uint32_t>(table[4] | table[5] << 8 | table[6] << 16 | (uint32_t)table[7] << 24);
    FixSum(table, length < size ? length : size, table + 9);
  }

  Memory m{mem.data(), mem.size()};
  mm_phys_window window{Map, &m};
  acpi_root root;
  if (acpi_root_init(&root, window, kBase) != ACPI_OK) __builtin_trap();  // the harness's own root must pass
  for (const char *sig : kSigs) {
    acpi_table t;
    acpi_status skipped;
    if (acpi_root_find(&root, sig, 0, &t, &skipped) != ACPI_OK) continue;
    acpi_spcr spcr;
    acpi_arm_boot arm;
    acpi_cpu cpus[4];
    uint32_t count;
    (void)acpi_spcr_parse(&t, &spcr);
    (void)acpi_fadt_arm_boot(&t, &arm);
    (void)acpi_madt_cpus_into(&t, cpus, 4, &count);
    (void)acpi_madt_cpus(&t, Ignore, nullptr, &count);
    (void)acpi_srat_walk(&t, IgnoreSrat, nullptr);
  }
  return 0;
}
