#!/usr/bin/env python3
"""svg_json_test.py: mmreplay's JSON is valid JSON with the issue's keys, and its SVG is valid XML with one
region element per normalized region, for every fixture (Python's standard library only: json, xml.etree).

Run by Bazel as //tools/mmreplay:svg_json_test from the runfiles tree."""
import glob
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TOOL = "tools/mmreplay/mmreplay"
TESTDATA = "tools/mmreplay/testdata"
SVG_NS = "{http://www.w3.org/2000/svg}"
REGION_TYPES = {"usable", "boot_services", "loader", "acpi_reclaim", "soft_reserved", "persistent", "unusable",
                "acpi_nvs", "runtime_services", "mmio", "reserved"}
REQUIRED = {
    "bytes": ["conventional", "boot_services", "loader", "runtime_services", "acpi_reclaim", "acpi_nvs", "mmio",
              "reserved", "persistent", "unusable", "other"],
    "repairs": ["unsorted", "overlaps", "trimmed", "unknown_types", "zero_length"],
    "attributes": ["soft_reserved", "not_write_back"],
    "region_bytes": sorted(REGION_TYPES),
    "plan": ["free_slots", "reserved_slots"],
    "allocator": ["free_frames", "reserved_frames", "free_runs", "bookkeeping_bytes"],
}


def check(path, tmp):
    """Returns a list of failure messages for one input."""
    errors = []
    svg_path = os.path.join(tmp, os.path.basename(path) + ".svg")
    run = subprocess.run([TOOL, "--json", "--svg=" + svg_path, path], capture_output=True, text=True)
    if run.returncode != 0:
        return ["exit %d: %s" % (run.returncode, run.stderr)]
    lines = run.stdout.splitlines()
    if len(lines) != 1:
        errors.append("expected one JSON object on one line, got %d lines" % len(lines))
    obj = json.loads(lines[0])
    for key in ("source", "format", "descriptors", "invariants", "selftest"):
        if key not in obj:
            errors.append("JSON lacks %s" % key)
    for section, keys in REQUIRED.items():
        for key in keys:
            if not isinstance(obj.get(section, {}).get(key), int):
                errors.append("JSON lacks integer %s.%s" % (section, key))
    if obj.get("invariants") != "ok" or obj.get("selftest") != "ok":
        errors.append("invariants %r selftest %r" % (obj.get("invariants"), obj.get("selftest")))
    if obj.get("format") not in ("linux-efi", "e820", "kernel"):
        errors.append("format %r" % obj.get("format"))
    for res in obj.get("reservations", []):
        if not (res["base"].startswith("0x") and res["end"].startswith("0x")):
            errors.append("addresses are hex strings: %r" % res)
    # Host memory follows the bookkeeping, never the machine's RAM (the 12 TiB map included).
    if obj.get("simulated_bytes", 1 << 40) > (1 << 20):
        errors.append("simulated %d bytes of host memory" % obj.get("simulated_bytes"))

    root = ET.parse(svg_path).getroot()  # raises on malformed XML
    if root.tag != SVG_NS + "svg":
        errors.append("root element is %s" % root.tag)
    regions = [e for e in root.iter(SVG_NS + "rect") if e.get("class", "").split()[:1] == ["region"]]
    if len(regions) != obj["regions"]:
        errors.append("%d region elements for %d normalized regions" % (len(regions), obj["regions"]))
    last_end = -1
    for e in regions:
        base, end = int(e.get("data-base"), 16), int(e.get("data-end"), 16)
        if not (last_end <= base < end):
            errors.append("regions not sorted and disjoint at %s" % e.get("data-base"))
        if e.get("data-type") not in REGION_TYPES:
            errors.append("unknown region type %r" % e.get("data-type"))
        if float(e.get("width")) <= 0:
            errors.append("invisible region at %s" % e.get("data-base"))
        last_end = end
    drawn = [g for g in root.iter(SVG_NS + "g") if g.get("class") == "reservation"]
    # Every reservation that starts inside the drawn address range has an overlay (the null page of a map
    # that starts above 0 has nothing to be drawn on).
    lo = min(int(e.get("data-base"), 16) for e in regions)
    hi = max(int(e.get("data-end"), 16) for e in regions)
    inside = [r for r in obj["reservations"] if lo <= int(r["base"], 16) < hi]
    if len(drawn) != len(inside):
        errors.append("%d reservation overlays for %d reservations in the map" % (len(drawn), len(inside)))
    if not any(g.get("data-kind") == "bookkeeping" for g in drawn):
        errors.append("the carved bookkeeping is not drawn")
    # NUMA (issue 10 item 7): every node range of the JSON is drawn as node strips covering exactly it.
    numa = obj.get("numa")
    strips = [e for e in root.iter(SVG_NS + "rect") if e.get("class") == "node"]
    if "/numa/" in path and "overlapping" not in path and not (numa and numa["nodes"] >= 2):
        errors.append("a NUMA fixture without two nodes in the JSON: %r" % (numa,))
    if numa:
        for r in numa["ranges"]:
            mine = [e for e in strips if int(e.get("data-node")) == r["node"] and e.get("data-base") == r["base"]
                    and e.get("data-end") == r["end"]]
            drawable = any(int(e.get("data-base"), 16) < int(r["end"], 16) and int(r["base"], 16) <
                           int(e.get("data-end"), 16) for e in regions)
            if drawable and not mine:
                errors.append("node %d range %s-%s is not drawn" % (r["node"], r["base"], r["end"]))
    elif strips:
        errors.append("node strips drawn without NUMA ranges")
    return errors


def main():
    inputs = sorted(glob.glob("testdata/memmaps/*.txt") + glob.glob(TESTDATA + "/synthetic/*.txt"))
    inputs.append(TESTDATA + "/kernel_boot_x86_64.log")
    inputs += sorted(glob.glob(TESTDATA + "/numa/*"))
    tmp = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
    passed = failed = 0
    for path in inputs:
        errors = check(path, tmp)
        if errors:
            failed += 1
            print("FAIL %s:\n  %s" % (path, "\n  ".join(errors)))
        else:
            passed += 1
            print("ok   %s" % path)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
