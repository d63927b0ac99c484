// svg.c: the address-space picture (see svg.h for the layout rules).
#include "tools/mmreplay/svg.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mm/reservations.h"
#include "tools/mmreplay/report.h"

#define SVG_WIDTH 1400.0
#define MARGIN 20.0
#define ROW_WIDTH (SVG_WIDTH - 2 * MARGIN - 24)  // room for the last rotated address
#define BAND_H 34.0
#define LANE_H 12.0
#define MARKER_H 6.0
#define BELOW_H 96.0   // rotated boundary addresses under a band
#define ROW_GAP 10.0
#define CHAR_W 6.1     // 10px monospace
#define SMALL_CHAR_W 5.5
#define LABEL_MIN_DX 13.0
#define COMPRESSED_FROM (1ull << 30)  // runs from 1 GiB up are drawn with a break sign

typedef struct seg {
  uint64_t base, end;
  int64_t region;  // index into the normalized map, or -1 for a gap
  double x, w;
  int row;
} seg;

typedef struct marker {
  double x0, x1;
  int row;
  int lane;
  char text[64];
  bool bookkeeping;
  const mm_reservation *res;
} marker;

static const struct {
  const char *fill;
  const char *ink;  // text colour on the fill
  const char *title;
} type_style[MM_REGION_TYPE_COUNT] = {
    [MM_REGION_USABLE] = {"#43a047", "#ffffff", "usable (conventional)"},
    [MM_REGION_BOOT_SERVICES] = {"#a5d6a7", "#1b1b1b", "boot services (reclaimable)"},
    [MM_REGION_LOADER] = {"#ffd54f", "#1b1b1b", "loader (reclaimable)"},
    [MM_REGION_ACPI_RECLAIM] = {"#81d4fa", "#1b1b1b", "ACPI reclaim"},
    [MM_REGION_SOFT_RESERVED] = {"#00897b", "#ffffff", "soft reserved (EFI_MEMORY_SP)"},
    [MM_REGION_PERSISTENT] = {"#7e57c2", "#ffffff", "persistent"},
    [MM_REGION_UNUSABLE] = {"#e53935", "#ffffff", "unusable"},
    [MM_REGION_ACPI_NVS] = {"#0277bd", "#ffffff", "ACPI NVS"},
    [MM_REGION_RUNTIME_SERVICES] = {"#ff8a65", "#1b1b1b", "runtime services"},
    [MM_REGION_MMIO] = {"#b0bec5", "#1b1b1b", "MMIO"},
    [MM_REGION_RESERVED] = {"#616161", "#ffffff", "reserved / unknown"},
};

#define RES_COLOR "#d81b60"
#define BOOKKEEPING_COLOR "#1a237e"

static void xml_text(FILE *out, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '&':
        fputs("&amp;", out);
        break;
      case '<':
        fputs("&lt;", out);
        break;
      case '>':
        fputs("&gt;", out);
        break;
      case '"':
        fputs("&quot;", out);
        break;
      case '\'':
        fputs("&apos;", out);
        break;
      default:
        if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, out);
    }
  }
}

static double log_frames(uint64_t bytes) {
  double frames = (double)bytes / 4096.0;
  return frames <= 1.0 ? 0.0 : log2(frames);
}

static double region_width(uint64_t bytes) { return 8.0 + 5.5 * log_frames(bytes); }

static double gap_width(uint64_t bytes) {
  double w = 12.0 + 2.4 * log_frames(bytes);
  return w > 64.0 ? 64.0 : w;
}

// "0x7a40f000": minimal hex, no padding, to keep the boundary labels short.
static const char *addr_text(uint64_t a, char *buf, size_t len) {
  snprintf(buf, len, "0x%" PRIx64, a);
  return buf;
}

typedef struct layout {
  seg *segs;
  size_t seg_count;
  marker *markers;
  size_t marker_count;
  int rows;
  int *lanes;       // per row
  double *row_top;  // per row: top of the row block
} layout;

static void build_segments(const replay_result *r, layout *L) {
  const mm_firmware_map *m = &r->map;
  L->segs = calloc(m->region_count * 2 + 1, sizeof(seg));
  size_t n = 0;
  for (uint64_t i = 0; i < m->region_count; i++) {
    const mm_region *g = &m->regions[i];
    if (i > 0 && m->regions[i - 1].end < g->base) {
      L->segs[n++] = (seg){m->regions[i - 1].end, g->base, -1, 0, gap_width(g->base - m->regions[i - 1].end), 0};
    }
    L->segs[n++] = (seg){g->base, g->end, (int64_t)i, 0, region_width(g->end - g->base), 0};
  }
  L->seg_count = n;
  // Flow into rows.
  double x = 0;
  int row = 0;
  for (size_t i = 0; i < n; i++) {
    if (x > 0 && x + L->segs[i].w > ROW_WIDTH) {
      row++;
      x = 0;
    }
    L->segs[i].x = x;
    L->segs[i].row = row;
    x += L->segs[i].w;
  }
  L->rows = row + 1;
}

// x of physical address `a` inside the segment holding it (linear within a segment).
static bool locate(const layout *L, uint64_t a, bool is_end, double *x, int *row) {
  for (size_t i = 0; i < L->seg_count; i++) {
    const seg *s = &L->segs[i];
    bool inside = is_end ? (a > s->base && a <= s->end) : (a >= s->base && a < s->end);
    if (inside) {
      *x = s->x + s->w * (double)(a - s->base) / (double)(s->end - s->base);
      *row = s->row;
      return true;
    }
  }
  return false;
}

static void build_markers(const replay_result *r, layout *L) {
  L->markers = calloc(r->reservation_count + 1, sizeof(marker));
  L->lanes = calloc((size_t)L->rows, sizeof(int));
  L->row_top = calloc((size_t)L->rows, sizeof(double));
  size_t n = 0;
  for (uint64_t i = 0; i < r->reservation_count; i++) {
    const mm_reservation *res = &r->reservations[i];
    double x0, x1;
    int r0, r1;
    if (!locate(L, res->base, false, &x0, &r0)) continue;  // outside the map: nothing to draw on
    if (!locate(L, res->end, true, &x1, &r1) || r1 != r0) x1 = ROW_WIDTH;
    if (x1 - x0 < 3.0) x1 = x0 + 3.0;
    marker *mk = &L->markers[n++];
    mk->x0 = x0;
    mk->x1 = x1;
    mk->row = r0;
    mk->res = res;
    mk->bookkeeping = res->kind == MM_RES_BOOKKEEPING;
    char size[32];
    snprintf(mk->text, sizeof mk->text, "%s %s", res->label[0] ? res->label : mm_reservation_kind_name(res->kind),
             report_human_size(res->end - res->base, size, sizeof size));
  }
  L->marker_count = n;
  // Lanes: per row, greedily from right to left, so the leader line of a marker never crosses a label: labels
  // extend to the right of their marker, and every label in a lane nearer the band belongs to a marker on
  // the right of this one.
  double *lane_start = calloc(n + 1, sizeof(double));
  for (int row = 0; row < L->rows; row++) {
    int lanes = 0;
    for (size_t i = n; i-- > 0;) {
      marker *mk = &L->markers[i];
      if (mk->row != row) continue;
      double tw = (double)strlen(mk->text) * SMALL_CHAR_W;
      double start = mk->x0 + tw > ROW_WIDTH ? ROW_WIDTH - tw : mk->x0;
      int lane = 0;
      while (lane < lanes && start + tw + 6 > lane_start[lane]) lane++;
      if (lane == lanes) lanes++;
      lane_start[lane] = start;
      mk->lane = lane;
    }
    L->lanes[row] = lanes;
  }
  free(lane_start);
}

static double row_height(const layout *L, int row) {
  return (double)L->lanes[row] * LANE_H + MARKER_H + 4 + BAND_H + BELOW_H + ROW_GAP;
}

static double band_top(const layout *L, int row) {
  return L->row_top[row] + (double)L->lanes[row] * LANE_H + MARKER_H + 4;
}

static void emit_header(FILE *out, const char *source, const replay_result *r, double y) {
  char a[32], b[32], c[32];
  uint64_t usable = 0;
  for (uint64_t i = 0; i < r->map.region_count; i++) {
    if (r->map.regions[i].type == MM_REGION_USABLE) usable += r->map.regions[i].end - r->map.regions[i].base;
  }
  fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" class=\"title\">mmreplay: ", MARGIN, y);
  xml_text(out, source);
  fputs("</text>\n", out);
  fprintf(out,
          "<text x=\"%.0f\" y=\"%.0f\" class=\"sub\">%s map, %" PRIu64 " descriptors &#8594; %" PRIu64
          " normalized regions; usable %s; after the hand-off %s free in %" PRIu64 " runs, bookkeeping %s</text>\n",
          MARGIN, y + 18, memmap_format_name(r->format), r->descriptors, r->map.region_count,
          report_human_size(usable, a, sizeof a), report_human_size(r->stats.free_frames << 12, b, sizeof b),
          r->stats.free_runs, report_human_size(r->stats.bookkeeping_bytes, c, sizeof c));
  const mm_map_repairs *m = &r->repairs.mm;
  fprintf(out,
          "<text x=\"%.0f\" y=\"%.0f\" class=\"sub\">plan free_slots=%" PRIu64 " reserved_slots=%" PRIu64
          "; repairs: unsorted %" PRIu64 ", overlaps %" PRIu64 ", trimmed %" PRIu64 ", unknown types %" PRIu64
          ", zero length %" PRIu64 "; invariants %s, self-test %s</text>\n",
          MARGIN, y + 34, r->plan.free_slots, r->plan.reserved_slots, m->unsorted, m->overlaps, r->repairs.trimmed,
          m->unknown_types, m->zero_length, r->invariants_ok ? "ok" : "FAILED", r->selftest_ok ? "ok" : "FAILED");
  if ((m->soft_reserved | m->not_write_back) != 0) {  // only maps that have them: older pictures stay as they were
    uint64_t bytes[MM_REGION_TYPE_COUNT];
    replay_region_bytes(r, bytes);
    fprintf(out,
            "<text x=\"%.0f\" y=\"%.0f\" class=\"sub\">attributes: %" PRIu64
            " specific-purpose descriptors, soft reserved %s (never allocated); %" PRIu64
            " RAM descriptors without write-back (reserved)</text>\n",
            MARGIN, y + 50, m->soft_reserved, report_human_size(bytes[MM_REGION_SOFT_RESERVED], a, sizeof a),
            m->not_write_back);
  }
}

// Legend swatches; returns the height used.
static double emit_legend(FILE *out, double y) {
  double x = MARGIN;
  double row_y = y;
  struct item {
    const char *fill, *stroke, *text;
    bool hatch;
  } items[MM_REGION_TYPE_COUNT + 3];
  size_t n = 0;
  for (int t = 0; t < MM_REGION_TYPE_COUNT; t++)
    items[n++] = (struct item){type_style[t].fill, "none", type_style[t].title, false};
  items[n++] = (struct item){"url(#hatch)", "#9e9e9e", "gap (not in the map)", true};
  items[n++] = (struct item){RES_COLOR, "none", "reservation", false};
  items[n++] = (struct item){BOOKKEEPING_COLOR, "none", "carved bookkeeping", false};
  for (size_t i = 0; i < n; i++) {
    double w = 18 + 6 + (double)strlen(items[i].text) * CHAR_W + 18;
    if (x + w > SVG_WIDTH - MARGIN) {
      x = MARGIN;
      row_y += 18;
    }
    fprintf(out, "<rect class=\"legend\" x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"12\" fill=\"%s\" stroke=\"%s\"/>",
            x, row_y - 10, items[i].fill, items[i].stroke);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"lg\">%s</text>\n", x + 24, row_y, items[i].text);
    x += w;
  }
  row_y += 18;
  fprintf(
      out,
      "<text x=\"%.0f\" y=\"%.1f\" class=\"note\">Widths grow with log2(size), not linearly: &#8214; marks a run of "
      "1 GiB or more drawn far shorter than its share (true size written on it); gaps are hatched with their "
      "size. Addresses under each band are region starts.</text>\n",
      MARGIN, row_y);
  return row_y - y + 14;
}

static void emit_row(FILE *out, const replay_result *r, const layout *L, int row) {
  double top = band_top(L, row);
  double bottom = top + BAND_H;
  double last_label_x = -1e9;
  char buf[48], size[32];
  // Segments.
  for (size_t i = 0; i < L->seg_count; i++) {
    const seg *s = &L->segs[i];
    if (s->row != row) continue;
    double x = MARGIN + s->x;
    uint64_t bytes = s->end - s->base;
    report_human_size(bytes, size, sizeof size);
    if (s->region < 0) {
      fprintf(out,
              "<rect class=\"gap\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"url(#hatch)\" "
              "stroke=\"#bdbdbd\" stroke-width=\"0.5\"><title>gap 0x%" PRIx64 "-0x%" PRIx64
              " (%s, not in the map)"
              "</title></rect>\n",
              x, top + 6, s->w, BAND_H - 12, s->base, s->end, size);
      double tw = (double)strlen(size) * SMALL_CHAR_W;
      if (tw + 2 <= s->w) {
        fprintf(out, "<text class=\"gaplbl\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%s</text>\n", x + s->w / 2,
                top + BAND_H / 2 + 3, size);
      }
    } else {
      const mm_region *g = &r->map.regions[s->region];
      fprintf(out,
              "<rect class=\"region %s\" data-type=\"%s\" data-base=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64
              "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\" stroke=\"#ffffff\" "
              "stroke-width=\"0.6\"><title>%s 0x%" PRIx64 "-0x%" PRIx64 " (%s), EFI type %" PRIu32 ", attr 0x%" PRIx64
              "</title></rect>\n",
              mm_region_type_name(g->type), mm_region_type_name(g->type), g->base, g->end, x, top, s->w, BAND_H,
              type_style[g->type].fill, mm_region_type_name(g->type), g->base, g->end, size, g->efi_type, g->attribute);
      double tw = (double)strlen(size) * CHAR_W;
      bool compressed = bytes >= COMPRESSED_FROM;
      double room = s->w - (compressed ? 14 : 0);
      if (tw + 4 <= room) {
        fprintf(out, "<text class=\"size\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
                x + room / 2, top + BAND_H / 2 + 4, type_style[g->type].ink, size);
      }
      if (compressed) {
        double bx = x + s->w - 9;
        fprintf(out,
                "<path class=\"break\" d=\"M%.2f %.2f L%.2f %.2f M%.2f %.2f L%.2f %.2f\" stroke=\"%s\" "
                "stroke-width=\"1.6\"/>\n",
                bx - 3, bottom - 5, bx + 1, top + 5, bx + 1, bottom - 5, bx + 5, top + 5, type_style[g->type].ink);
      }
    }
    // Boundary address under the start of the segment.
    if (s->x == 0 || s->x - last_label_x >= LABEL_MIN_DX) {
      fprintf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#757575\" stroke-width=\"0.6\"/>", x,
              bottom, x, bottom + 4);
      fprintf(out, "<text class=\"addr\" transform=\"translate(%.2f %.2f) rotate(55)\">%s</text>\n", x + 1, bottom + 6,
              addr_text(s->base, buf, sizeof buf));
      last_label_x = s->x;
    }
  }
  // The very end of the address space drawn, after the last row.
  if (row == L->rows - 1 && L->seg_count > 0) {
    const seg *s = &L->segs[L->seg_count - 1];
    double x = MARGIN + s->x + s->w;
    fprintf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#757575\" stroke-width=\"0.6\"/>", x,
            bottom, x, bottom + 4);
    fprintf(out, "<text class=\"addr\" transform=\"translate(%.2f %.2f) rotate(55)\">%s (end)</text>\n", x + 1,
            bottom + 6, addr_text(s->end, buf, sizeof buf));
  }
  // NUMA nodes: a strip along the bottom of the band under every part of a node's ranges, one colour per node,
  // named where it starts on the row when there is room.
  if (r->numa != NULL) {
    static const char *const node_colors[] = {"#6a1b9a", "#ef6c00", "#00838f", "#c62828", "#2e7d32", "#283593"};
    const mm_numa *n = &r->numa->table;
    for (uint32_t k = 0; k < n->count; k++) {
      const mm_numa_range *g = &n->ranges[k];
      const char *color = node_colors[g->node % (sizeof node_colors / sizeof node_colors[0])];
      bool labelled = false;
      for (size_t i = 0; i < L->seg_count; i++) {
        const seg *sg = &L->segs[i];
        if (sg->row != row || sg->end <= g->base || g->end <= sg->base) continue;
        uint64_t lo = g->base > sg->base ? g->base : sg->base, hi = g->end < sg->end ? g->end : sg->end;
        double span = (double)(sg->end - sg->base);
        double x0 = MARGIN + sg->x + sg->w * (double)(lo - sg->base) / span;
        double x1 = MARGIN + sg->x + sg->w * (double)(hi - sg->base) / span;
        fprintf(out,
                "<rect class=\"node\" data-node=\"%" PRIu32 "\" data-base=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64
                "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"5\" fill=\"%s\"><title>NUMA node %" PRIu32
                " (pxm %" PRIu32 ") 0x%" PRIx64 "-0x%" PRIx64 "</title></rect>\n",
                g->node, g->base, g->end, x0, bottom - 5, x1 - x0, color, g->node, g->pxm, g->base, g->end);
        if (!labelled && x1 - x0 >= 7 * SMALL_CHAR_W) {
          fprintf(out, "<text class=\"res\" x=\"%.2f\" y=\"%.2f\" fill=\"%s\">node %" PRIu32 "</text>\n", x0 + 2,
                  bottom - 7, color, g->node);
          labelled = true;
        }
      }
    }
  }
  // Reservation markers.
  for (size_t i = 0; i < L->marker_count; i++) {
    const marker *mk = &L->markers[i];
    if (mk->row != row) continue;
    const char *color = mk->bookkeeping ? BOOKKEEPING_COLOR : RES_COLOR;
    double x0 = MARGIN + mk->x0, x1 = MARGIN + mk->x1;
    double label_y = L->row_top[row] + (double)(L->lanes[row] - mk->lane) * LANE_H - 2;
    double tw = (double)strlen(mk->text) * SMALL_CHAR_W;
    double tx = mk->x0 + tw > ROW_WIDTH ? MARGIN + ROW_WIDTH - tw : x0;
    fprintf(out,
            "<g class=\"reservation\" data-kind=\"%s\" data-base=\"0x%" PRIx64 "\" data-end=\"0x%" PRIx64
            "\">"
            "<title>%s %s 0x%" PRIx64 "-0x%" PRIx64 "</title>",
            mm_reservation_kind_name(mk->res->kind), mk->res->base, mk->res->end,
            mm_reservation_kind_name(mk->res->kind), mk->res->label, mk->res->base, mk->res->end);
    fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\" fill-opacity=\"0.35\"/>", x0,
            top, x1 - x0, BAND_H, color);
    fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"/>", x0, top - MARKER_H - 1,
            x1 - x0, MARKER_H, color);
    fprintf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"0.7\"/>", x0,
            label_y + 2, x0, top - MARKER_H - 1, color);
    fprintf(out, "<text class=\"res\" x=\"%.2f\" y=\"%.2f\" fill=\"%s\">", tx, label_y, color);
    xml_text(out, mk->text);
    fputs("</text></g>\n", out);
  }
}

void svg_write(FILE *out, const char *source, const replay_result *r) {
  layout L = {0};
  build_segments(r, &L);
  build_markers(r, &L);

  const double header_y = 28;
  // Legend height is computed by drawing it into a scratch stream first.
  FILE *scratch = tmpfile();
  double legend_h = scratch ? emit_legend(scratch, header_y + 58) : 60;
  if (scratch) fclose(scratch);
  double y = header_y + 58 + legend_h + 6;
  for (int row = 0; row < L.rows; row++) {
    L.row_top[row] = y;
    y += row_height(&L, row);
  }
  double height = y + 10;

  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
          "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\">\n",
          SVG_WIDTH, height, SVG_WIDTH, height);
  fputs(
      "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fafafa\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bdbdbd\" stroke-width=\"2\"/></pattern>\n"
      "<style>.title{font-size:16px;font-weight:bold} .sub{font-size:11px;fill:#333} .lg{font-size:10px}"
      " .note{font-size:10px;fill:#555;font-style:italic} .size{font-size:10px} .gaplbl{font-size:9px;fill:#616161}"
      " .addr{font-size:9px;fill:#424242} .res{font-size:9px}</style></defs>\n",
      out);
  fprintf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", SVG_WIDTH, height);
  emit_header(out, source, r, header_y);
  emit_legend(out, header_y + 58);
  for (int row = 0; row < L.rows; row++) emit_row(out, r, &L, row);
  fputs("</svg>\n", out);

  free(L.segs);
  free(L.markers);
  free(L.lanes);
  free(L.row_top);
}
