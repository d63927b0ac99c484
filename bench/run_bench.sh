#!/usr/bin/env bash
# Runs the issue-12 benchmarks (bench/runtime_bench.cc and the private-allocator figures of bench/mm_bench.cc)
# with optimization, 5 interleaved repetitions each, and writes the targets table to docs/bench-issue12.md
# (tools/bench_table.py): medians, min-max, machine and date. The README quotes that file.
#   bench/run_bench.sh [REPETITIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reps="${1:-5}"
json="$(mktemp /tmp/bench-issue12.XXXXXX.json)"
trap 'rm -f "$json"' EXIT
filter='BM_Cell|BM_ControlPrivateWork|BM_AllocFreeFrame$|BM_RandomChurn4GiB$|BM_RandomChurn4GiBScattered|BM_Server384GiB'
./bazelw run -c opt //bench:mm -- --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true --benchmark_format=json --benchmark_out="$json" \
  --benchmark_out_format=json >/dev/null
machine="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 tools/bench_table.py "$json" "$machine" "$(date -u '+%Y-%m-%d %H:%M UTC')" > docs/bench-issue12.md
cat docs/bench-issue12.md
