#!/usr/bin/env python3
"""acpi_dump.py: turns the `acpi.dump` lines of a serial log back into one binary file per ACPI table.

Boot with `acpi.dump` on the kernel command line (platform_dump_acpi, platform/discover.h), for example
  tools/qemu/run_qemu.sh --arch=x86_64 --esp=bazel-bin/esp_x86_64.img --cmdline=acpi.dump --log=/tmp/x.log
then
  tools/acpi_dump.py /tmp/x.log platform/testdata/qemu/x86_64_q35
writes XSDT.dat, FACP.dat, APIC.dat, ... (a second table with the same signature gets SIG.1.dat). Every table's
bytes are checked against its Length before it is written.
"""
import os
import re
import sys

LINE = re.compile(r"acpi\.dump sig=(\S+) phys=(0x[0-9a-f]+) length=(\d+) offset=(\d+) hex=([0-9a-f]*)")


def main(log_path, out_dir):
    tables = {}  # phys -> [sig, length, bytearray]
    order = []
    with open(log_path, "rb") as f:
        for raw in f:
            m = LINE.search(raw.decode("ascii", "replace"))
            if not m:
                continue
            sig, phys, length, offset, hexdata = m.group(1), int(m.group(2), 16), int(m.group(3)), int(m.group(4)), m.group(5)
            if phys not in tables:
                tables[phys] = [sig, length, bytearray(length)]
                order.append(phys)
            data = bytes.fromhex(hexdata)
            tables[phys][2][offset:offset + len(data)] = data
    os.makedirs(out_dir, exist_ok=True)
    seen = {}
    for phys in order:
        sig, length, data = tables[phys]
        if len(data) != length or int.from_bytes(data[4:8], "little") != length:
            sys.exit("acpi_dump: %s at %#x is incomplete" % (sig, phys))
        n = seen.get(sig, 0)
        seen[sig] = n + 1
        name = sig + (".%d" % n if n else "") + ".dat"
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(bytes(data))
        print("%s %d bytes from %#x" % (name, length, phys))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
