#!/usr/bin/env bash
# Writes the seed corpus of //tools/hostlib:memmap_text_fuzz (corpus/memmap_text/ and corpus/memmap_text.list)
# from the one copy of the maps and mmreplay's kernel log and malformed inputs: the first 12 map lines of each
# (comments dropped), so the seeds stay small and every line shape the parser knows is in one of them.
# Run from anywhere in the workspace; the output is deterministic (review the diff before committing it).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
out=tools/hostlib/corpus/memmap_text
rm -rf "$out"
mkdir -p "$out"
for f in testdata/memmaps/*.txt; do
  grep -v '^#' "$f" | head -n 12 > "$out/$(basename "$f" .txt)"
done
log=tools/mmreplay/testdata/kernel_boot_x86_64.log
{ grep -m 4 'mm\.desc' "$log"; grep -m 3 'mm\.reserve' "$log"; grep -m 1 'mm\.plan' "$log"; grep -m 1 'mm\.stats' "$log"; } \
  > "$out/kernel-boot-x86_64"
for f in tools/mmreplay/testdata/malformed/*; do
  head -n 12 "$f" > "$out/malformed-$(basename "${f%.*}")"
done
# The list the Bazel target passes as -seed_inputs=@file (paths from the runfiles root).
ls "$out" | LC_ALL=C sort | sed "s#^#$out/#" | paste -sd, > tools/hostlib/corpus/memmap_text.list
