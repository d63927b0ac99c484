#!/usr/bin/env python3
"""coverage_report.py: the text report of tools/coverage.sh, from `llvm-cov export` JSON.

    coverage_report.py [--functions] --json=FILE [--sources="a.c b.h ..."] DIR...

For each DIR (mm, boot): one line per measured source under it (lines covered / lines with code, percent), the
directory's total, and the files of --sources under DIR that no host test compiled (so not measured at all).
Test code, harnesses and fuzzers are filtered out before this (coverage.sh's -ignore-filename-regex), and so
are sources outside DIR. --functions also names each file's functions that never ran.
"""

import argparse
import json
import os
import sys


def norm(path):
    # -fcoverage-compilation-dir=. records paths relative to the execroot, sometimes as ./mm/x.c.
    return os.path.normpath(path)


def under(path, directory):
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def percent(covered, count):
    return "     -" if count == 0 else f"{100.0 * covered / count:6.2f}%"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", required=True, help="llvm-cov export output")
    parser.add_argument("--sources", default="", help="space-separated tracked sources to check for absence")
    parser.add_argument("--functions", action="store_true", help="list the functions that never ran")
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args(argv)

    with open(args.json) as f:
        export = json.load(f)
    files = {}
    # One function can be compiled into several binaries (and, from a header, under a C and a C++ name): it ran
    # when any copy ran. Copies are matched by where they start.
    copies = {}
    for data in export["data"]:
        for entry in data["files"]:
            lines = entry["summary"]["lines"]
            files[norm(entry["filename"])] = (lines["covered"], lines["count"])
        for function in data["functions"]:
            if not function["filenames"] or not function["regions"]:
                continue
            key = (norm(function["filenames"][0]), function["regions"][0][0])
            name = function["name"].split(":", 1)[-1]  # static functions are "file.c:name"
            ran, names = copies.get(key, (False, set()))
            copies[key] = (ran or function["count"] > 0, names | {name})
    unexecuted = {}
    for (path, line), (ran, names) in copies.items():
        if not ran:
            plain = sorted(n for n in names if not n.startswith("_Z")) or sorted(names)
            unexecuted.setdefault(path, set()).add(f"{plain[0]} (line {line})")

    tracked = [norm(s) for s in args.sources.split()]
    for directory in args.dirs:
        # Headers without code (no inline functions) have nothing to cover.
        measured = sorted(p for p in files if under(p, directory) and files[p][1] > 0)
        width = max([len(p) for p in measured] + [len(directory) + 7])
        print(f"{directory}/")
        covered_sum = count_sum = 0
        for path in measured:
            covered, count = files[path]
            covered_sum += covered
            count_sum += count
            print(f"  {path:<{width}} {covered:6d}/{count:<6d} {percent(covered, count)}")
            if args.functions and unexecuted.get(path):
                print(f"    never ran: {', '.join(sorted(unexecuted[path]))}")
        if measured:
            total = f"{directory}/ total"
            print(f"  {total:<{width}} {covered_sum:6d}/{count_sum:<6d} {percent(covered_sum, count_sum)}")
        missing = [
            s
            for s in tracked
            if under(s, directory) and s not in files and not s.endswith(".h") and "/testing/" not in s
            and "/fuzz/" not in s and not s.rsplit(".", 1)[0].endswith("_test")
        ]
        if missing:
            print(f"  not compiled into any host test (not measured): {' '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
