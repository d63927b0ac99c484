#!/usr/bin/env python3
"""ppm_to_png.py IN.ppm OUT.png: converts a QEMU screendump (binary PPM, P6, maxval 255) to PNG.

Python's standard library only (zlib for the compressed image data; no PIL), so it runs wherever bazelw's
python3 does. Used for the README's screenshot:
    tools/qemu/run_qemu.sh ... --screenshot=/tmp/screen.ppm && tools/qemu/ppm_to_png.py /tmp/screen.ppm out.png
PNG layout (PNG specification, ISO/IEC 15948): signature, IHDR (8-bit truecolour), IDAT (each row prefixed
with filter type 0), IEND; each chunk is length, type, data, CRC-32 of type and data.
"""
import struct
import sys
import zlib


def read_ppm(data):
    fields, at = [], 0
    while len(fields) < 4:
        while data[at:at + 1].isspace():
            at += 1
        if data[at:at + 1] == b"#":
            at = data.index(b"\n", at) + 1
            continue
        start = at
        while at < len(data) and not data[at:at + 1].isspace():
            at += 1
        fields.append(data[start:at])
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError("not a binary 8-bit PPM (P6, maxval 255)")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[at + 1:at + 1 + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ValueError("PPM pixels cut short")
    return width, height, pixels


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: ppm_to_png.py IN.ppm OUT.png")
    with open(sys.argv[1], "rb") as f:
        width, height, pixels = read_ppm(f.read())
    stride = width * 3
    raw = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(sys.argv[2], "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
