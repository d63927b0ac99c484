#!/usr/bin/env python3
"""bench_table_test.py: tools/bench_table.py takes the median and min-max over the repetitions (skipping
Google Benchmark's aggregate entries), turns threaded runs into combined ns per operation (1e9 /
items_per_second), judges the 2-thread rows against 0.6x the 1-thread median, and says "not run" for a missing
benchmark, and sets the control's 2-thread/1-thread ratio beside the allocator's.

Run by Bazel as //tools:bench_table_test from the runfiles tree."""
import json
import subprocess
import sys
import tempfile

SCRIPT = "tools/bench_table.py"


def rep(name, ips, cpu=10.0, **counters):
    entry = {"run_name": name, "run_type": "iteration", "real_time": 1e9 / ips, "cpu_time": cpu,
             "time_unit": "ns", "items_per_second": ips}
    entry.update(counters)
    return entry


DOC = {"benchmarks": [
    rep("BM_CellHotPair/real_time/threads:1", 1e9 / 12.0),
    rep("BM_CellHotPair/real_time/threads:1", 1e9 / 10.0),
    rep("BM_CellHotPair/real_time/threads:1", 1e9 / 20.0),
    {"run_name": "BM_CellHotPair/real_time/threads:1", "run_type": "aggregate", "real_time": 999.0,
     "cpu_time": 999.0, "time_unit": "ns", "items_per_second": 1.0},
    rep("BM_CellHotPair/real_time/threads:2", 1e9 / 7.0),
    rep("BM_CellRandomChurn/real_time/threads:1", 1e9 / 50.0),
    rep("BM_CellRandomChurn/real_time/threads:2", 1e9 / 40.0, bookkeeping_ppm_of_managed=61.0),
    rep("BM_ControlPrivateWork/real_time/threads:1", 1e9 / 10.0),
    rep("BM_ControlPrivateWork/real_time/threads:2", 1e9 / 9.0),
]}


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(DOC, f)
        path = f.name
    out = subprocess.run([sys.executable, SCRIPT, path, "2 CPUs, test", "today"], check=True,
                         capture_output=True, text=True).stdout
    failures = []

    def expect(fragment):
        if fragment not in out:
            failures.append(f"missing {fragment!r}")

    expect("Machine: 2 CPUs, test. Date: today. 3 repetitions")
    # median 12 of {10, 12, 20}, the aggregate entry ignored; 12 > 15? no: met
    expect("| hot alloc+free pair, 1 thread (mm_runtime_alloc_frame + mm_runtime_free_frame) | 12.0 ns | 10.0-20.0 "
           "| 10.0 ns | <= 15 ns | yes |")
    # 7.0 <= 0.6 * 12 = 7.2: met
    expect("| hot pair, 2 threads, combined ns per pair | 7.0 ns | 7.0-7.0 | 10.0 ns | <= 0.6x the 1-thread figure "
           "(7.2 ns) | yes |")
    # 40 > 0.6 * 50 = 30: not met
    expect("(30.0 ns) | no |")
    expect("| 61.0 ppm |")
    expect("| scattered churn, 1 thread (with_runtime_allocator) | not run |")
    # the control's ratio (9 / 10) and the allocator's ratios beside it
    expect("| control: private work only (no shared data) | 10.0 ns | 9.0 ns | 0.90 |")
    expect("| random churn (per-CPU caches) | 50.0 ns | 40.0 ns | 0.80 |")
    if failures:
        print(out)
        print("\n".join(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
