#!/usr/bin/env python3
"""bench_table.py: turns Google Benchmark JSON (--benchmark_repetitions=N, every repetition reported) into the
issue-12 targets table in markdown: one row per target with median, min-max over the repetitions, the target
and whether the median meets it, then the machine (nproc, CPU model from /proc/cpuinfo) and the date.

  python3 tools/bench_table.py RESULTS.json > docs/bench-issue12.md

For threaded runs (real time) the figure is the combined ns per operation, 1e9 / items_per_second: what the
whole machine spends per alloc+free pair with all threads running.
"""
import json
import statistics
import sys


def runs_by_name(doc):
    """name -> list of per-repetition entries (aggregates skipped)."""
    out = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        out.setdefault(b["run_name"], []).append(b)
    return out


def combined_ns(entry):
    """Combined ns per operation of one repetition: 1e9 / items_per_second when counted, else the time."""
    ips = entry.get("items_per_second")
    if ips:
        return 1e9 / ips
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[entry.get("time_unit", "ns")]
    return entry["real_time"] * scale


def summary(values):
    return statistics.median(values), min(values), max(values)


def fmt(x):
    return f"{x:.1f}" if x < 1000 else f"{x:,.0f}"


def table(doc, machine, date):
    runs = runs_by_name(doc)

    def ns(name):
        if name not in runs:
            return None
        return summary([combined_ns(e) for e in runs[name]])

    def counter(name, key):
        if name not in runs:
            return None
        return summary([e[key] for e in runs[name]])

    hot1 = ns("BM_CellHotPair/real_time/threads:1")
    hot2 = ns("BM_CellHotPair/real_time/threads:2")
    churn1 = ns("BM_CellRandomChurn/real_time/threads:1")
    churn2 = ns("BM_CellRandomChurn/real_time/threads:2")
    rows = []

    def cpu(name):
        if name is None or name not in runs:
            return ""
        return fmt(statistics.median([e["cpu_time"] for e in runs[name]])) + " ns"

    def row(workload, s, target_text, limit, unit="ns", name=None):
        if s is None:
            rows.append(f"| {workload} | not run | | | {target_text} | no |")
            return
        med, lo, hi = s
        met = "n/a" if limit is None else ("yes" if med <= limit else "no")
        rows.append(f"| {workload} | {fmt(med)} {unit} | {fmt(lo)}-{fmt(hi)} | {cpu(name)} | {target_text} | {met} |")

    n_hot1, n_hot2 = "BM_CellHotPair/real_time/threads:1", "BM_CellHotPair/real_time/threads:2"
    n_churn2 = "BM_CellRandomChurn/real_time/threads:2"
    n_scat, n_2m = "BM_CellScatteredChurn/real_time/threads:1", "BM_CellAligned2MiB/real_time/threads:1"
    row("hot alloc+free pair, 1 thread (mm_runtime_alloc_frame + mm_runtime_free_frame)", hot1, "<= 15 ns", 15.0,
        name=n_hot1)
    row("hot pair, 2 threads, combined ns per pair", hot2,
        f"<= 0.6x the 1-thread figure ({fmt(0.6 * hot1[0]) if hot1 else '?'} ns)", 0.6 * hot1[0] if hot1 else None,
        name=n_hot2)
    row("random churn, 2 threads, combined ns per pair", churn2,
        f"<= 0.6x the 1-thread figure ({fmt(0.6 * churn1[0]) if churn1 else '?'} ns)",
        0.6 * churn1[0] if churn1 else None, name=n_churn2)
    row("scattered churn, 1 thread (with_runtime_allocator)", ns(n_scat), "<= 85 ns", 85.0, name=n_scat)
    row("2 MiB aligned alloc + free on the fragmented 4 GiB (with_runtime_allocator)", ns(n_2m), "<= 40 ns", 40.0,
        name=n_2m)
    ppm = counter("BM_CellRandomChurn/real_time/threads:2", "bookkeeping_ppm_of_managed")
    row("bookkeeping, fragmented 4 GiB with 2 CPU caches (ppm of managed memory)", ppm, "<= 1000 ppm (0.1%)",
        1000.0, "ppm")
    server = counter("BM_Server384GiB", "bookkeeping_bytes")
    row("bookkeeping at hand-off, 384 GiB server map (bytes)", server, "topology-sized (issue: 8.5 KiB)", None, "B")

    extra = []
    for name, label in [
        ("BM_CellRandomChurn/real_time/threads:1", "random churn, 1 thread"),
        ("BM_CellHotPairLocked/real_time/threads:1", "hot pair through the lock (no caches), 1 thread"),
        ("BM_CellHotPairLocked/real_time/threads:2", "hot pair through the lock (no caches), 2 threads combined"),
        ("BM_CellScatteredChurn/real_time/threads:2", "scattered churn, 2 threads combined"),
        ("BM_CellAligned2MiB/real_time/threads:2", "2 MiB aligned, 2 threads combined"),
        ("BM_AllocFreeFrame", "hot pair on a private allocator (mm_phys_*, no lock)"),
        ("BM_RandomChurn4GiBScattered", "scattered churn on a private allocator (mm_phys_*, no lock)"),
    ]:
        s = ns(name)
        if s is not None:
            extra.append(f"| {label} | {fmt(s[0])} ns | {fmt(s[1])}-{fmt(s[2])} |")

    # The control: the same shape of work on private data only. Its 2-thread/1-thread ratio is what the machine
    # gave in this run (0.5: the two threads ran in parallel; 1.0: they shared one core's time).
    scaling = []
    ctl1 = ns("BM_ControlPrivateWork/real_time/threads:1")
    ctl2 = ns("BM_ControlPrivateWork/real_time/threads:2")
    if ctl1 and ctl2:
        scaling.append(f"| control: private work only (no shared data) | {fmt(ctl1[0])} ns | {fmt(ctl2[0])} ns | "
                       f"{ctl2[0] / ctl1[0]:.2f} |")
    for label, one, two in [("hot pair (per-CPU caches)", hot1, hot2), ("random churn (per-CPU caches)", churn1, churn2)]:
        if one and two:
            scaling.append(f"| {label} | {fmt(one[0])} ns | {fmt(two[0])} ns | {two[0] / one[0]:.2f} |")
    if scaling:
        scaling = [
            "",
            "Scaling in the same run (2-thread combined median / 1-thread median; 0.5 is perfect on 2 CPUs). The control "
            "shares nothing, so its ratio is the machine's own: where it is near 1.0 the host gave the two vCPUs one "
            "core's worth of time, and no allocator can scale past it.",
            "",
            "| workload | 1 thread | 2 threads combined | ratio |",
            "|---|---|---|---|",
        ] + scaling

    reps = max((len(v) for v in runs.values()), default=0)
    out = [
        "# Issue 12 benchmark table",
        "",
        f"Machine: {machine}. Date: {date}. {reps} repetitions per benchmark (interleaved), medians with the "
        "min-max over the repetitions; threaded figures are combined ns per operation (1e9 / items_per_second, "
        "real time). The CPU column is Google Benchmark's cpu_time per iteration: on a loaded machine (see the "
        "load average) real time includes waiting for a core, CPU time does not. Written by `bench/run_bench.sh`; "
        "regenerate rather than edit.",
        "",
        "| workload | median | min-max | CPU time per op (median) | target | met? |",
        "|---|---|---|---|---|---|",
    ] + rows + scaling + [
        "",
        "Other figures from the same run:",
        "",
        "| workload | median | min-max |",
        "|---|---|---|",
    ] + extra
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: bench_table.py RESULTS.json MACHINE DATE\n")
        return 2
    with open(argv[1]) as f:
        doc = json.load(f)
    sys.stdout.write(table(doc, argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
