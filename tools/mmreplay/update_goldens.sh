#!/usr/bin/env bash
# Regenerates the golden text reports of //tools:mmreplay_cli_test after an intended change to the report or
# to mm/ (the reports carry mm/'s plan, carve and allocator numbers). Run from anywhere in the workspace;
# review the diff before committing it.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
./bazelw build //tools:mmreplay 2>/dev/null || bazel build //tools:mmreplay
tool=bazel-bin/tools/mmreplay/mmreplay
td=tools/mmreplay/testdata
maps=testdata/memmaps  # the one copy of the maps, shared with the mm fixture tests
for input in $maps/efi-asus-zenbook-ux391fa.txt $maps/efi-arm64-snapdragon-x-elite-laptop.txt \
             $maps/efi-dell-poweredge-r740.txt $maps/e820-dell-poweredge-2850.txt \
             $maps/e820-amd-volcano-genoa.txt $td/kernel_boot_x86_64.log \
             $td/numa/linux-two-nodes-dmesg.txt $td/numa/kernel_numa_boot_x86_64.log; do
  name=$(basename "$input"); name=${name%.*}
  "$tool" "$input" > "$td/golden/$name.report"
  echo "wrote $td/golden/$name.report"
done
