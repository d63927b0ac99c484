// report.c: text and JSON output of a replay (see report.h).
#include "tools/mmreplay/report.h"

#include <inttypes.h>
#include <string.h>

#include "mm/reservations.h"

const char *report_human_size(uint64_t bytes, char *buf, size_t len) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  unsigned u = 0;
  double v = (double)bytes;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    u++;
  }
  if (u == 0) {
    snprintf(buf, len, "%" PRIu64 " B", bytes);
  } else if (v == (double)(uint64_t)v) {
    snprintf(buf, len, "%" PRIu64 " %s", (uint64_t)v, units[u]);
  } else {
    snprintf(buf, len, "%.*f %s", v < 10 ? 2 : (v < 100 ? 1 : 0), v, units[u]);
  }
  return buf;
}

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      fputc('\\', out);
      fputc(c, out);
    } else if (c < 0x20) {
      fprintf(out, "\\u%04x", c);
    } else {
      fputc(c, out);
    }
  }
  fputc('"', out);
}

// True when the log gave NUMA ranges that mm/numa accepted (an overlap between nodes leaves none).
static bool has_numa(const replay_result *r) { return r->numa != NULL && r->numa->table.count > 0; }

// Bytes of [base, end) inside the normalized map's usable regions.
static uint64_t usable_in(const replay_result *r, uint64_t base, uint64_t end) {
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < r->map.region_count; i++) {
    const mm_region *g = &r->map.regions[i];
    if (g->type != MM_REGION_USABLE) continue;
    uint64_t lo = g->base > base ? g->base : base, hi = g->end < end ? g->end : end;
    if (lo < hi) bytes += hi - lo;
  }
  return bytes;
}

void report_json(FILE *out, const char *source, const replay_result *r) {
  fputs("{\"source\": ", out);
  json_string(out, source);
  fprintf(out, ", \"format\": \"%s\", \"descriptors\": %" PRIu64, memmap_format_name(r->format), r->descriptors);
  fputs(", \"bytes\": {", out);
  for (int c = 0; c < MEMMAP_CLASS_COUNT; c++) {
    fprintf(out, "%s\"%s\": %" PRIu64, c ? ", " : "", memmap_class_name((memmap_class)c), r->class_bytes[c]);
  }
  const mm_map_repairs *m = &r->repairs.mm;
  fprintf(out,
          "}, \"repairs\": {\"unsorted\": %" PRIu64 ", \"overlaps\": %" PRIu64 ", \"trimmed\": %" PRIu64
          ", \"unknown_types\": %" PRIu64 ", \"zero_length\": %" PRIu64 ", \"rounded_out\": %" PRIu64
          ", \"beyond_phys_width\": %" PRIu64 "}",
          m->unsorted, m->overlaps, r->repairs.trimmed, m->unknown_types, m->zero_length, r->repairs.rounded_out,
          m->beyond_phys_width);
  fprintf(out, ", \"attributes\": {\"soft_reserved\": %" PRIu64 ", \"not_write_back\": %" PRIu64 "}", m->soft_reserved,
          m->not_write_back);
  fprintf(out, ", \"regions\": %" PRIu64, r->map.region_count);
  uint64_t region_bytes[MM_REGION_TYPE_COUNT];
  replay_region_bytes(r, region_bytes);
  fputs(", \"region_bytes\": {", out);
  for (int t = 0; t < MM_REGION_TYPE_COUNT; t++) {
    fprintf(out, "%s\"%s\": %" PRIu64, t ? ", " : "", mm_region_type_name((mm_region_type)t), region_bytes[t]);
  }
  fputc('}', out);
  fprintf(out,
          ", \"plan\": {\"free_slots\": %" PRIu64 ", \"reserved_slots\": %" PRIu64
          ", \"conventional_regions\": %" PRIu64 ", \"reservations\": %" PRIu64 "}",
          r->plan.free_slots, r->plan.reserved_slots, r->plan.conventional_regions, r->plan.reservations);
  fprintf(out,
          ", \"carved\": {\"free_runs\": {\"phys\": \"0x%" PRIx64 "\", \"bytes\": %" PRIu64
          "}, \"reserved\": {\"phys\": \"0x%" PRIx64 "\", \"bytes\": %" PRIu64 "}}",
          r->carved.free_runs_phys, r->carved.free_runs_bytes, r->carved.reserved_phys, r->carved.reserved_bytes);
  const mm_phys_stats *s = &r->stats;
  fprintf(out,
          ", \"allocator\": {\"free_frames\": %" PRIu64 ", \"reserved_frames\": %" PRIu64 ", \"free_runs\": %" PRIu64
          ", \"bookkeeping_bytes\": %" PRIu64 ", \"managed_frames\": %" PRIu64 ", \"reservations\": %" PRIu64
          ", \"reclaimable_frames\": %" PRIu64 "}",
          s->free_frames, s->reserved_frames, s->free_runs, s->bookkeeping_bytes, s->managed_frames, s->reservations,
          r->reclaimable_frames);
  fputs(", \"reservations\": [", out);
  for (uint64_t i = 0; i < r->reservation_count; i++) {
    const mm_reservation *res = &r->reservations[i];
    fprintf(out,
            "%s{\"base\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"kind\": \"%s\", \"label\": ", i ? ", " : "",
            res->base, res->end, mm_reservation_kind_name(res->kind));
    json_string(out, res->label);
    fputc('}', out);
  }
  fputc(']', out);
  fputs(", \"invariants\": ", out);
  if (r->invariants_ok) {
    fputs("\"ok\"", out);
  } else {
    char buf[260];
    snprintf(buf, sizeof buf, "failed: %s", r->invariant_why ? r->invariant_why : "not run");
    json_string(out, buf);
  }
  fputs(", \"selftest\": ", out);
  if (r->selftest_ok) {
    fputs("\"ok\"", out);
  } else {
    char buf[260];
    snprintf(buf, sizeof buf, "failed: %s", r->selftest_why[0] ? r->selftest_why : "not run");
    json_string(out, buf);
  }
  if (r->format == MEMMAP_FORMAT_KERNEL) {
    fprintf(out,
            ", \"kernel_log\": {\"pending_reservations\": %" PRIu64 ", \"skipped_reservations\": %" PRIu64
            ", \"plan\": \"%s\", \"stats\": \"%s\"}",
            r->kernel.pending_from_log, r->kernel.skipped_from_log,
            !r->kernel.has_plan ? "absent" : (r->kernel.plan_matches ? "match" : "differs"),
            !r->kernel.has_stats ? "absent" : (r->kernel.stats_matches ? "match" : "differs"));
  }
  if (has_numa(r)) {
    const mm_numa *n = &r->numa->table;
    fprintf(out, ", \"numa\": {\"source\": \"%s\", \"nodes\": %" PRIu32 ", \"ranges\": [", r->numa->source,
            mm_numa_nodes(n));
    for (uint32_t i = 0; i < n->count; i++) {
      const mm_numa_range *g = &n->ranges[i];
      fprintf(out,
              "%s{\"node\": %" PRIu32 ", \"pxm\": %" PRIu32 ", \"base\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
              "\", \"usable_bytes\": %" PRIu64 "}",
              i ? ", " : "", g->node, g->pxm, g->base, g->end, usable_in(r, g->base, g->end));
    }
    fputs("]}", out);
  }
  fprintf(out, ", \"simulated_bytes\": %" PRIu64, r->sim_peak_bytes);
  if (r->verdict != REPLAY_OK) {
    fputs(", \"error\": ", out);
    json_string(out, r->message);
  }
  fputs("}\n", out);
}

void report_text(FILE *out, const char *source, const replay_result *r, bool verbose) {
  char h[32], h2[32];
  fprintf(out, "== %s: %s map, %" PRIu64 " descriptors\n", source, memmap_format_name(r->format), r->descriptors);

  fputs("\nInput by type (bytes as printed; usable trimmed to whole pages):\n", out);
  for (int c = 0; c < MEMMAP_CLASS_COUNT; c++) {
    if (r->class_bytes[c] == 0) continue;
    fprintf(out, "  %-18s %12s  %" PRIu64 "\n", memmap_class_name((memmap_class)c),
            report_human_size(r->class_bytes[c], h, sizeof h), r->class_bytes[c]);
  }

  const mm_map_repairs *m = &r->repairs.mm;
  fprintf(out,
          "\nRepairs: unsorted %" PRIu64 ", overlaps %" PRIu64 ", trimmed %" PRIu64 ", rounded_out %" PRIu64
          ", unknown_types %" PRIu64 ", zero_length %" PRIu64 ", beyond_phys_width %" PRIu64 "\n",
          m->unsorted, m->overlaps, r->repairs.trimmed, r->repairs.rounded_out, m->unknown_types, m->zero_length,
          m->beyond_phys_width);
  if ((m->soft_reserved | m->not_write_back) != 0) {  // only maps that have them (EFI attributes, UEFI 2.10 7.2)
    uint64_t bytes[MM_REGION_TYPE_COUNT];
    replay_region_bytes(r, bytes);
    fprintf(out,
            "Attributes: soft_reserved %" PRIu64 " (EFI_MEMORY_SP, %s never allocated), not_write_back %" PRIu64
            " (RAM without EFI_MEMORY_WB, reserved)\n",
            m->soft_reserved, report_human_size(bytes[MM_REGION_SOFT_RESERVED], h, sizeof h), m->not_write_back);
  }

  if (r->map.regions != NULL) {
    fprintf(out, "\nNormalized map: %" PRIu64 " regions\n", r->map.region_count);
    for (uint64_t i = 0; i < r->map.region_count; i++) {
      const mm_region *g = &r->map.regions[i];
      fprintf(out, "  0x%016" PRIx64 "-0x%016" PRIx64 "  %-16s %10s  efi_type=%" PRIu32 " attr=0x%" PRIx64 "\n",
              g->base, g->end, mm_region_type_name(g->type), report_human_size(g->end - g->base, h, sizeof h),
              g->efi_type, g->attribute);
    }
  }

  if (r->failed_stage == NULL || strcmp(r->failed_stage, "normalize") != 0) {
    fprintf(out,
            "\nPlan (runtime_storage_plan): free_slots=%" PRIu64 " reserved_slots=%" PRIu64
            " conventional_regions=%" PRIu64 " reservations=%" PRIu64 "\n",
            r->plan.free_slots, r->plan.reserved_slots, r->plan.conventional_regions, r->plan.reservations);
    if (r->assumed_reservations)
      fprintf(out, "Pending reservations: %" PRIu64 " (assumed, as the kernel always makes them: null_page)\n",
              r->pending_reservations);
    fprintf(out, "Carved (carve_option_storage):\n");
    fprintf(out, "  free_runs  0x%016" PRIx64 "-0x%016" PRIx64 "  %s (%" PRIu64 " slots)\n", r->carved.free_runs_phys,
            r->carved.free_runs_phys + r->carved.free_runs_bytes,
            report_human_size(r->carved.free_runs_bytes, h, sizeof h), r->plan.free_slots);
    fprintf(out, "  reserved   0x%016" PRIx64 "-0x%016" PRIx64 "  %s (%" PRIu64 " slots)\n", r->carved.reserved_phys,
            r->carved.reserved_phys + r->carved.reserved_bytes,
            report_human_size(r->carved.reserved_bytes, h2, sizeof h2), r->plan.reserved_slots);
  }

  if (r->reservations != NULL) {
    fprintf(out, "\nReservations after the hand-off (%" PRIu64 "):\n", r->reservation_count);
    for (uint64_t i = 0; i < r->reservation_count; i++) {
      const mm_reservation *res = &r->reservations[i];
      fprintf(out, "  0x%016" PRIx64 "-0x%016" PRIx64 "  %-12s %-20s %s\n", res->base, res->end,
              mm_reservation_kind_name(res->kind), res->label, report_human_size(res->end - res->base, h, sizeof h));
    }
    const mm_phys_stats *s = &r->stats;
    fprintf(out, "\nAllocator after the hand-off:\n");
    fprintf(out, "  managed_frames     %12" PRIu64 "  %s\n", s->managed_frames,
            report_human_size(s->managed_frames << 12, h, sizeof h));
    fprintf(out, "  free_frames        %12" PRIu64 "  %s\n", s->free_frames,
            report_human_size(s->free_frames << 12, h, sizeof h));
    fprintf(out, "  reserved_frames    %12" PRIu64 "  %s\n", s->reserved_frames,
            report_human_size(s->reserved_frames << 12, h, sizeof h));
    fprintf(out, "  free_runs          %12" PRIu64 "\n", s->free_runs);
    fprintf(out, "  reservations       %12" PRIu64 "\n", s->reservations);
    fprintf(out, "  bookkeeping_bytes  %12" PRIu64 "  %s\n", s->bookkeeping_bytes,
            report_human_size(s->bookkeeping_bytes, h, sizeof h));
    fprintf(out, "  reclaimable later  %12" PRIu64 "  %s (boot services + loader, minus reservations)\n",
            r->reclaimable_frames, report_human_size(r->reclaimable_frames << 12, h, sizeof h));
    if (verbose) {
      fprintf(out, "\nFree runs (%" PRIu64 "):\n", r->free_run_count);
      for (uint64_t i = 0; i < r->free_run_count; i++) {
        fprintf(out, "  0x%016" PRIx64 "-0x%016" PRIx64 "  %s\n", r->free_runs[i].base, r->free_runs[i].end,
                report_human_size(r->free_runs[i].end - r->free_runs[i].base, h, sizeof h));
      }
    }
    fprintf(out, "\nInvariants: %s%s%s\n",
            r->invariants_ok ? "ok" : "FAILED: ", r->invariants_ok ? "" : (r->invariant_why ? r->invariant_why : "?"),
            "");
    fprintf(out, "Self-test: %s%s\n", r->selftest_ok ? "ok" : "FAILED: ", r->selftest_ok ? "" : r->selftest_why);
  }
  if (r->format == MEMMAP_FORMAT_KERNEL && r->reservations != NULL) {
    fprintf(out,
            "Kernel log: %" PRIu64 " logged reservations replayed as pending, %" PRIu64
            " bookkeeping/page_tables left to the replay; mm.plan %s, mm.stats %s\n",
            r->kernel.pending_from_log, r->kernel.skipped_from_log,
            !r->kernel.has_plan ? "not logged" : (r->kernel.plan_matches ? "matches" : "DIFFERS"),
            !r->kernel.has_stats ? "not logged" : (r->kernel.stats_matches ? "matches" : "DIFFERS"));
  }
  if (r->numa != NULL && r->numa->finish == MM_ERR_BAD_MAP) {
    const mm_numa_conflict *c = &r->numa->conflict;
    fprintf(out,
            "NUMA (%s): nodes %" PRIu32 " [0x%" PRIx64 "-0x%" PRIx64 ") and %" PRIu32 " [0x%" PRIx64 "-0x%" PRIx64
            ") overlap: dropped, one node\n",
            r->numa->source, c->a.node, c->a.base, c->a.end, c->b.node, c->b.base, c->b.end);
  }
  if (has_numa(r)) {
    const mm_numa *n = &r->numa->table;
    fprintf(out, "\nNUMA nodes (%s, kept beside the map; usable = clipped to the normalized map): %" PRIu32 "\n",
            r->numa->source, mm_numa_nodes(n));
    for (uint32_t i = 0; i < n->count; i++) {
      const mm_numa_range *g = &n->ranges[i];
      fprintf(out, "  node %-3" PRIu32 " pxm %-3" PRIu32 " 0x%016" PRIx64 "-0x%016" PRIx64 "  %10s  usable %s\n",
              g->node, g->pxm, g->base, g->end, report_human_size(g->end - g->base, h, sizeof h),
              report_human_size(usable_in(r, g->base, g->end), h2, sizeof h2));
    }
    fputc('\n', out);
  }
  fprintf(out, "Simulated memory: %s of host memory, %" PRIu64 " map calls, %" PRIu64 " refused\n",
          report_human_size(r->sim_peak_bytes, h, sizeof h), r->sim_map_calls, r->sim_refused);
  if (r->verdict != REPLAY_OK) fprintf(out, "RESULT: %s (stage %s)\n", r->message, r->failed_stage);
  if (verbose && r->log_len) fprintf(out, "\nmm/ log:\n%s", r->log);
  fputc('\n', out);
}
