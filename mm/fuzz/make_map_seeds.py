#!/usr/bin/env python3
"""Writes the map_fuzz seed corpus (mm/fuzz/corpus/map/ and its list corpus/map.list) from the real maps in mm/testdata/memmaps.

Run from the workspace root: python3 mm/fuzz/make_map_seeds.py. The layout is the one map_fuzz.cc documents:
4 header bytes, reservation records, then descriptors. A minimal parser (the fixture loader is C++ and
test-only) is enough for the seeds: it only has to produce plausible maps, not pin anything.
"""
import glob
import os
import re
import struct

E820 = {"usable": 7, "ACPI data": 9, "ACPI NVS": 10, "unusable": 8}
NAMES = {"Reserved": 0, "Loader Code": 1, "Loader Data": 2, "Boot Code": 3, "Boot Data": 4,
         "Runtime Code": 5, "Runtime Data": 6, "Conventional Memory": 7, "Conventional": 7,
         "ACPI Reclaim Memory": 9, "ACPI Reclaim": 9, "ACPI Memory NVS": 10, "ACPI Mem NVS": 10,
         "Memory Mapped I/O": 11, "MMIO": 11}


def parse(text):
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.search(r"type=(\d+), attr=(0x[0-9a-f]+), range=\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\)", line)
        if m:
            out.append((int(m[1]), int(m[3], 16), int(m[4], 16), int(m[2], 16)))
            continue
        m = re.search(r"\[([A-Za-z /]+?)\s*\|.*range=\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]", line)
        if m:
            out.append((NAMES.get(m[1], 0), int(m[2], 16), int(m[3], 16) + 1, 0xF))
            continue
        m = re.search(r"efi:\s+(0x[0-9a-f]+)-(0x[0-9a-f]+) \[([A-Za-z /]+?)\s*\|", line)
        if m:
            out.append((NAMES.get(m[3], 0), int(m[1], 16), int(m[2], 16) + 1, 0xF))
            continue
        m = re.search(r"BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] (.*)$", line)
        if m:
            out.append((E820.get(m[3].strip(), 0), int(m[1], 16), int(m[2], 16) + 1, 0))
            continue
        m = re.search(r"BIOS-e820: ([0-9a-f]+) - ([0-9a-f]+) \((.*)\)", line)
        if m:
            out.append((E820.get(m[3], 0), int(m[1], 16), int(m[2], 16), 0))
    return out


def descriptors(entries, stride, junk=0xA5):
    blob = b""
    for t, start, end, attr in entries:
        base = start & ~0xFFF
        pages = ((end + 0xFFF) & ~0xFFF) - base >> 12
        d = struct.pack("<IIQQQQ", t, 0, base, 0, pages, attr)
        blob += d + bytes([junk]) * (stride - 40)
    return blob


def seed(stride_sel, bits, early, reservations, entries):
    stride = 40 + 8 * (stride_sel & 3)
    head = bytes([stride_sel, (bits - 32) % 33, early, len(reservations)])
    for idx, kind, off, frames in reservations:
        head += struct.pack("<BBHH", idx, kind, off, frames)
    return head + descriptors(entries, stride)


def main():
    out_dir = "mm/fuzz/corpus/map"
    os.makedirs(out_dir, exist_ok=True)
    for i, path in enumerate(sorted(glob.glob("mm/testdata/memmaps/*.txt"))):
        entries = parse(open(path).read())
        name = os.path.basename(path)[:-4]
        resv = [(i % len(entries), 1, 0, 16), (0, 2, 1, 1)]
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(seed(0, 46 if i % 2 else 52, 0x92, resv, entries))
    small = [(7, 0x100000, 0x200000, 0xF), (0, 0x180800, 0x181000, 0), (7, 0x0, 0x9F000, 0xF),
             (0x70000001, 0x1000, 0x3000, 0), (7, 0x300000, 0x300000, 0), (4, 0x1F0000, 0x210000, 0xF)]
    with open(os.path.join(out_dir, "synthetic-stride56-overlaps"), "wb") as f:
        f.write(seed(2, 39, 0x21, [(0, 5, 2, 3)], small))
    # The list map_fuzz's Bazel target passes as -seed_inputs=@file (paths from the runfiles root).
    names = sorted(os.listdir(out_dir))
    with open("mm/fuzz/corpus/map.list", "w") as f:
        f.write(",".join(os.path.join(out_dir, n) for n in names))


if __name__ == "__main__":
    main()
