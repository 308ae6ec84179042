#!/usr/bin/env python3
"""Draws icons/icon-source.png (1024 px), from which `npx tauri icon` makes every size.

Pure standard library, so a fresh machine needs nothing extra: a porch light (a warm lamp under
a roof line) on a deep blue rounded square.
"""
import math
import struct
import sys
import zlib

N = 1024
BG = (18, 52, 96)
ROOF = (238, 242, 247)
LAMP = (255, 196, 61)
GLOW = (255, 226, 140)


def inside_rounded_square(x, y):
    r = 200
    cx = min(max(x, r), N - r)
    cy = min(max(y, r), N - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def roof(x, y):
    # An inverted V, 70 px thick, peak at (512, 190).
    d = abs(x - 512)
    top = 190 + d * 0.75
    return 150 <= x <= 874 and top <= y <= top + 70


def pixel(x, y):
    if not inside_rounded_square(x, y):
        return None
    if roof(x, y):
        return ROOF
    dist = math.hypot(x - 512, y - 600)
    if dist <= 150:
        return LAMP
    if dist <= 230:
        t = (dist - 150) / 80
        return tuple(int(g * (1 - t) + b * t) for g, b in zip(GLOW, BG))
    if 480 <= x <= 544 and 380 <= y <= 460:
        return ROOF
    return BG


def main(out):
    rows = []
    for y in range(N):
        row = bytearray([0])
        for x in range(N):
            c = pixel(x + 0.5, y + 0.5)
            row += bytes((*c, 255)) if c else b"\0\0\0\0"
        rows.append(bytes(row))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    with open(out, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "icon-source.png")
