// fdt_fuzz.cc: libFuzzer target for the devicetree reader (platform/fdt.h) on arbitrary bytes.
//
// The input is the blob, copied into a heap buffer of exactly its size so AddressSanitizer sees any read past
// it. When fdt_open accepts it, every node is visited (children, parent, name, cells, reg, a few properties)
// and every consumer runs; aborts when a result breaks the contract: a node name outside the blob, a child whose
// parent is not the node it came from, a successful call that left its count beyond the caller's capacity.
// Seeded with the test DTBs compiled from platform/testdata/*.dts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
#include "platform/fdt.h"
}

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

bool InBlob(const fdt_blob &b, const void *p) {
  auto *c = static_cast<const uint8_t *>(p);
  return c >= b.data && c < b.data + b.total_size;
}

void Visit(const fdt_blob &b, fdt_node node, int depth) {
  Check(depth <= FDT_MAX_DEPTH);
  const char *name = fdt_node_name(&b, node);
  Check(name != nullptr && InBlob(b, name));
  fdt_prop p;
  if (fdt_get_prop(&b, node, "compatible", &p) == FDT_OK) Check(p.len == 0 || InBlob(b, p.data));
  uint32_t ac, sc, v;
  (void)fdt_child_cells(&b, node, &ac, &sc);
  (void)fdt_get_u32(&b, node, "reg-shift", &v);
  const char *s;
  if (fdt_get_string(&b, node, "status", &s) == FDT_OK) Check(InBlob(b, s));
  fdt_range r[4];
  size_t n = 99;
  if (fdt_get_reg(&b, node, r, 4, &n) == FDT_OK) Check(n <= 4);
  fdt_node child;
  for (fdt_status st = fdt_first_child(&b, node, &child); st == FDT_OK; st = fdt_next_sibling(&b, child, &child)) {
    fdt_node parent;
    Check(fdt_parent(&b, child, &parent) == FDT_OK && parent.offset == node.offset);
    Visit(b, child, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  fdt_blob b;
  if (fdt_open(&b, copy.data(), copy.size()) != FDT_OK) return 0;
  Check(b.total_size <= size);
  Visit(b, fdt_root(&b), 1);

  fdt_console con;
  (void)fdt_stdout_console(&b, &con);
  fdt_psci_method m;
  (void)fdt_psci(&b, &m);
  size_t n = 99;
  fdt_reserved res[8];
  if (fdt_reserved_memory(&b, res, 8, &n) == FDT_OK) {
    Check(n <= 8);
    for (size_t i = 0; i < n; i++) Check(InBlob(b, res[i].name));
  }
  fdt_cpu cpus[8];
  if (fdt_cpus(&b, cpus, 8, &n) == FDT_OK) Check(n <= 8);
  fdt_range r[8];
  if (fdt_memory(&b, r, 8, &n) == FDT_OK) Check(n <= 8);
  if (fdt_memreserve(&b, r, 8, &n) == FDT_OK) Check(n <= 8);
  fdt_node node;
  (void)fdt_find_path(&b, "/cpus/cpu@1", &node);
  (void)fdt_find_path(&b, "/reserved-memory", &node);
  return 0;
}
