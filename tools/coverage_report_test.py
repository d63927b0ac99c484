#!/usr/bin/env python3
"""coverage_report_test.py: tools/coverage_report.py totals the lines per directory, counts a function as run when
any of its copies ran (C and C++ builds of one header function), names static functions without their file
prefix, hides code-free headers, and lists the sources no host test compiled.

Run by Bazel as //tools:coverage_report_test from the runfiles tree."""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = "tools/coverage_report.py"


def region(line, count):
    return [line, 1, line + 2, 2, count, 0, 0, 0]


EXPORT = {
    "data": [{
        "files": [
            {"filename": "mm/a.c", "summary": {"lines": {"covered": 8, "count": 10}}},
            {"filename": "./mm/inline.h", "summary": {"lines": {"covered": 3, "count": 4}}},
            {"filename": "mm/types.h", "summary": {"lines": {"covered": 0, "count": 0}}},
        ],
        "functions": [
            # One header function built as C (plain name, ran) and as C++ (mangled, never ran): it ran.
            {"name": "window_end", "count": 4, "filenames": ["mm/inline.h"], "regions": [region(3, 4)]},
            {"name": "_ZL10window_endm", "count": 0, "filenames": ["mm/inline.h"], "regions": [region(3, 0)]},
            {"name": "mm/a.c:merge", "count": 0, "filenames": ["mm/a.c"], "regions": [region(20, 0)]},
            {"name": "used", "count": 9, "filenames": ["mm/a.c"], "regions": [region(5, 9)]},
        ],
    }]
}

SOURCES = "mm/a.c mm/inline.h mm/types.h mm/lonely.c mm/a_test.cc mm/testing/h.h boot/k.c boot/k.h"


def main():
    failures = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
        path = os.path.join(tmp, "export.json")
        with open(path, "w") as f:
            json.dump(EXPORT, f)
        run = subprocess.run([sys.executable, SCRIPT, "--functions", "--json=" + path, "--sources=" + SOURCES, "mm",
                              "boot"], capture_output=True, text=True)
    out = run.stdout
    print(out)
    if run.returncode != 0:
        failures.append(f"exit {run.returncode}: {run.stderr}")
    lines = [l.split() for l in out.splitlines()]
    expect = {
        "mm/a.c": ["8/10", "80.00%"],
        "mm/inline.h": ["3/4", "75.00%"],
    }
    for name, want in expect.items():
        rows = [l for l in lines if l and l[0] == name]
        if len(rows) != 1 or rows[0][1:] != want:
            failures.append(f"{name}: got {rows}, want {want}")
    if ["mm/", "total", "11/14", "78.57%"] not in lines:
        failures.append("mm/ total is not 11/14 78.57%")
    if "mm/types.h" in out:
        failures.append("a header without code is listed")
    if "never ran: merge (line 20)" not in out:
        failures.append("the unexecuted static function merge is not named (without its file prefix)")
    if "window_end" in out:
        failures.append("window_end ran in one copy but is listed as never run")
    missing = [l for l in out.splitlines() if "not compiled into any host test" in l]
    if len(missing) != 2 or not missing[0].endswith(": mm/lonely.c") or not missing[1].endswith(": boot/k.c"):
        failures.append(f"unmeasured sources: got {missing}, want mm/lonely.c then boot/k.c (no tests, harnesses, headers)")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
