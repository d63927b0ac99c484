// memmap_text_fuzz.cc: libFuzzer target for the memory-map text parser, which reads untrusted text (a boot
// log someone pasted). Every input is parsed once per format (auto, kernel, linux-efi, e820) and the result
// must keep memmap_parse's contract, else the target aborts:
//   accepted: a concrete format, at least one entry, every entry base <= end with a 1-based line number inside
//             the input in non-decreasing order, a known class; reservations base <= end with NUL-terminated
//             names (kernel format only); memmap_class_bytes runs (UBSan checks its arithmetic).
//             Auto detection reads the same entries as asking for the format it chose.
//   rejected: *out left empty, a non-empty NUL-terminated message, and a line number inside the input (mmreplay
//             prints it and exits 2); the only error without a line is "no ... memory map lines found", which
//             is about the whole input.
// Crashes, out-of-bounds reads (the text is not NUL-terminated) and undefined behaviour are caught by the
// sanitizers the target is built with (BUILD.bazel).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

extern "C" {
#include "tools/hostlib/memmap_text.h"
}

namespace {

[[noreturn]] void Broken(const char *what, memmap_format format, unsigned line, const char *message) {
  std::fprintf(stderr, "memmap_text_fuzz: %s (format %s, line %u: %s)\n", what, memmap_format_name(format), line,
               message);
  std::abort();
}

// Lines as memmap_parse counts them: one per '\n', plus an unterminated last line.
unsigned CountLines(const uint8_t *data, size_t size) {
  unsigned n = 0;
  for (size_t i = 0; i < size; i++) n += data[i] == '\n';
  if (size > 0 && data[size - 1] != '\n') n++;
  return n;
}

bool Terminated(const char *s, size_t cap) { return std::memchr(s, '\0', cap) != nullptr; }

void CheckAccepted(const memmap &map, memmap_format asked, unsigned lines) {
  if (map.format == MEMMAP_FORMAT_AUTO) Broken("accepted with format auto", asked, 0, "");
  if (asked != MEMMAP_FORMAT_AUTO && map.format != asked) Broken("accepted as another format", asked, 0, "");
  if (map.count == 0 || map.entries == nullptr) Broken("accepted with no entry", asked, 0, "");
  unsigned prev = 0;
  for (size_t i = 0; i < map.count; i++) {
    const memmap_entry &e = map.entries[i];
    if (e.end < e.base) Broken("entry end below base", asked, e.line, "");
    if (e.line == 0 || e.line > lines || e.line < prev) Broken("entry line out of order or range", asked, e.line, "");
    if (e.cls >= MEMMAP_CLASS_COUNT) Broken("entry class unknown", asked, e.line, "");
    prev = e.line;
  }
  if (map.format != MEMMAP_FORMAT_KERNEL && (map.reservation_count != 0 || map.reservations != nullptr))
    Broken("reservations outside the kernel format", asked, 0, "");
  for (size_t i = 0; i < map.reservation_count; i++) {
    const memmap_reservation &r = map.reservations[i];
    if (r.end < r.base) Broken("reservation end below base", asked, r.line, "");
    if (r.line == 0 || r.line > lines) Broken("reservation line out of range", asked, r.line, "");
    if (!Terminated(r.kind, sizeof r.kind) || !Terminated(r.label, sizeof r.label))
      Broken("reservation name not terminated", asked, r.line, "");
  }
  uint64_t bytes[MEMMAP_CLASS_COUNT];
  memmap_class_bytes(&map, bytes);
}

void CheckRejected(const memmap &map, const memmap_error &err, memmap_format asked, unsigned lines) {
  if (map.entries != nullptr || map.count != 0 || map.reservations != nullptr || map.reservation_count != 0)
    Broken("rejected but returned a partial map", asked, err.line, "");
  if (!Terminated(err.message, sizeof err.message) || err.message[0] == '\0')
    Broken("rejected without a message", asked, err.line, "");
  if (err.line == 0) {
    if (std::strncmp(err.message, "no ", 3) != 0 || std::strstr(err.message, "memory map lines found") == nullptr)
      Broken("rejected without a line number", asked, 0, err.message);
  } else if (err.line > lines) {
    Broken("error line past the input", asked, err.line, err.message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const unsigned lines = CountLines(data, size);
  const char *text = reinterpret_cast<const char *>(data);
  memmap maps[4];
  bool ok[4];
  for (memmap_format f : {MEMMAP_FORMAT_AUTO, MEMMAP_FORMAT_KERNEL, MEMMAP_FORMAT_LINUX_EFI, MEMMAP_FORMAT_E820}) {
    memmap_error err;
    ok[f] = memmap_parse(text, size, f, &maps[f], &err);
    if (ok[f]) {
      CheckAccepted(maps[f], f, lines);
    } else {
      CheckRejected(maps[f], err, f, lines);
    }
  }
  if (ok[MEMMAP_FORMAT_AUTO]) {
    const memmap &a = maps[MEMMAP_FORMAT_AUTO];
    const memmap &x = maps[a.format];
    if (!ok[a.format] || x.count != a.count) Broken("auto detection disagrees with its format", a.format, 0, "");
    for (size_t i = 0; i < a.count; i++) {
      const memmap_entry &p = a.entries[i], &q = x.entries[i];
      if (p.base != q.base || p.end != q.end || p.efi_type != q.efi_type || p.raw_type != q.raw_type ||
          p.attribute != q.attribute || p.cls != q.cls || p.line != q.line)
        Broken("auto detection read an entry differently", a.format, p.line, "");
    }
  }
  for (memmap &m : maps) memmap_free(&m);
  return 0;
}
