// mmreplay_main.c: command line of the replay tool.
//
//   mmreplay [--format=auto|kernel|linux-efi|e820] [--json] [--svg=OUT.svg] [--phys-bits=N] [--verbose] FILE...
//
// Every input is parsed first; if any has a malformed map line (or no map at all) the tool prints
// `FILE:LINE: message` and exits 2 without printing any report. Then each input is replayed and reported.
// Exit status: 0 all clean, 1 an invariant or the self-test failed, 2 unusable input.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/hostlib/memmap_text.h"
#include "tools/mmreplay/replay.h"
#include "tools/mmreplay/report.h"
#include "tools/mmreplay/svg.h"

static void usage(FILE *out) {
  fputs(
      "usage: mmreplay [--format=auto|kernel|linux-efi|e820] [--json] [--svg=OUT.svg] [--phys-bits=N]\n"
      "                [--verbose] FILE...     (FILE '-' reads standard input)\n"
      "Replays a memory map from a Linux or kernel boot log through the kernel's mm/ hand-off in simulated\n"
      "physical memory, and reports what it would do. Exit: 0 clean, 1 invariant/self-test failure,\n"
      "2 unusable input. With several inputs, --svg=OUT.svg writes OUT.1.svg, OUT.2.svg, ...\n",
      out);
}

// Reads a whole stream; returns NULL (errno set) on a read error.
static char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return NULL;
  for (;;) {
    if (n == cap) {
      cap *= 2;
      char *b = realloc(buf, cap);
      if (b == NULL) {
        free(buf);
        return NULL;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

// OUT.svg for one input; OUT.<i>.svg for several.
static void svg_path(const char *base, int index, int count, char *out, size_t len) {
  if (count == 1) {
    snprintf(out, len, "%s", base);
    return;
  }
  const char *dot = strrchr(base, '.');
  const char *slash = strrchr(base, '/');
  if (dot == NULL || (slash && dot < slash)) dot = base + strlen(base);
  snprintf(out, len, "%.*s.%d%s", (int)(dot - base), base, index + 1, dot);
}

int main(int argc, char **argv) {
  // `bazel run` starts the tool in its runfiles tree; file names on the command line are relative to where the
  // user typed the command.
  const char *cwd = getenv("BUILD_WORKING_DIRECTORY");
  if (cwd != NULL && *cwd && chdir(cwd) != 0) {
    fprintf(stderr, "mmreplay: cannot enter %s: %s\n", cwd, strerror(errno));
    return 2;
  }
  memmap_format format = MEMMAP_FORMAT_AUTO;
  bool json = false, verbose = false;
  const char *svg = NULL;
  replay_options opt;
  replay_default_options(&opt);
  const char **files = calloc((size_t)argc, sizeof(char *));
  int nfiles = 0;
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
      files[nfiles++] = a;
    } else if (strcmp(a, "--") == 0) {
      only_files = true;
    } else if (strncmp(a, "--format=", 9) == 0) {
      if (!memmap_format_from_name(a + 9, &format)) {
        fprintf(stderr, "mmreplay: unknown format '%s' (auto, kernel, linux-efi, e820)\n", a + 9);
        return 2;
      }
    } else if (strcmp(a, "--json") == 0) {
      json = true;
    } else if (strncmp(a, "--svg=", 6) == 0 && a[6]) {
      svg = a + 6;
    } else if (strncmp(a, "--phys-bits=", 12) == 0) {
      char *end;
      unsigned long v = strtoul(a + 12, &end, 10);
      if (*end || v < 32 || v > 64) {
        fprintf(stderr, "mmreplay: --phys-bits wants 32..64\n");
        return 2;
      }
      opt.phys_addr_bits = (unsigned)v;
    } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
      verbose = true;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "mmreplay: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (nfiles == 0) {
    usage(stderr);
    return 2;
  }

  // Parse everything first: a malformed input means no report at all.
  memmap *maps = calloc((size_t)nfiles, sizeof(memmap));
  replay_numa *numas = calloc((size_t)nfiles, sizeof(replay_numa));
  int status = 0;
  for (int i = 0; i < nfiles; i++) {
    const char *name = files[i];
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
    if (f == NULL) {
      fprintf(stderr, "mmreplay: %s: %s\n", name, strerror(errno));
      status = 2;
      continue;
    }
    size_t len = 0;
    char *text = read_all(f, &len);
    if (f != stdin) fclose(f);
    if (text == NULL) {
      fprintf(stderr, "mmreplay: %s: read error\n", name);
      status = 2;
      continue;
    }
    memmap_error err;
    if (!memmap_parse(text, len, format, &maps[i], &err)) {
      if (err.line) {
        fprintf(stderr, "%s:%u: %s\n", name, err.line, err.message);
      } else {
        fprintf(stderr, "%s: %s\n", name, err.message);
      }
      status = 2;
    } else {
      unsigned line = 0;
      char msg[160];
      if (!numa_text_parse(text, len, &numas[i], &line, msg, sizeof msg)) {
        if (line) {
          fprintf(stderr, "%s:%u: %s\n", name, line, msg);
        } else {
          fprintf(stderr, "%s: %s\n", name, msg);
        }
        status = 2;
      }
    }
    free(text);
  }
  if (status != 0) {
    for (int i = 0; i < nfiles; i++) {
      memmap_free(&maps[i]);
      numa_text_free(&numas[i]);
    }
    free(numas);
    free(maps);
    free(files);
    return status;
  }

  for (int i = 0; i < nfiles; i++) {
    const char *source = strcmp(files[i], "-") == 0 ? "stdin" : files[i];
    replay_result r;
    replay_run(&maps[i], &opt, &r);
    r.numa = &numas[i];
    if (r.verdict == REPLAY_BAD_INPUT) {
      fprintf(stderr, "%s: cannot replay: %s\n", source, r.message);
    } else {
      if (json) {
        report_json(stdout, source, &r);
      } else {
        report_text(stdout, source, &r, verbose);
      }
      if (r.verdict != REPLAY_OK) fprintf(stderr, "%s: %s\n", source, r.message);
      if (svg) {
        char path[4096];
        svg_path(svg, i, nfiles, path, sizeof path);
        FILE *out = fopen(path, "w");
        if (out == NULL) {
          fprintf(stderr, "mmreplay: %s: %s\n", path, strerror(errno));
          if (status < 2) status = 2;
        } else {
          svg_write(out, source, &r);
          fclose(out);
        }
      }
    }
    if ((int)r.verdict > status) status = (int)r.verdict;
    replay_result_free(&r);
    memmap_free(&maps[i]);
    numa_text_free(&numas[i]);
  }
  free(numas);
  free(maps);
  free(files);
  fflush(stdout);
  return status;
}
