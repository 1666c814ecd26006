#!/usr/bin/env python3
"""Draws the default membership template's images (signer/templates/membership).

Original artwork made for PassLedger: a five-petal flower over two leaves. Pure Python 3
standard library (zlib + struct PNG writer, no PIL). Shapes are anti-aliased by 4x4
supersampling. The output is deterministic, so re-running the script reproduces the
committed PNGs byte for byte (and the template's content hash).

    tools/make-template-art.py [output-folder]

Sizes (points -> pixels at 1x/2x/3x), documented in docs/TEMPLATES.md:
    icon   29x29 pt: icon.png 29x29, icon@2x.png 58x58, icon@3x.png 87x87 (opaque)
    logo   50x50 pt: logo.png 50x50, logo@2x.png 100x100, logo@3x.png 150x150 (transparent)
The logo is square, not the 160x50 pt maximum: Wallet puts logoText to the right of the
logo image, and a wide transparent logo would push the organisation's name off the pass.
"""

import math
import os
import struct
import sys
import zlib

SUPERSAMPLE = 4

GREEN = (38, 84, 58)  # the default PassTypeConfig background
PETAL = (250, 244, 228)
PETAL_EDGE = (226, 214, 190)
HEART = (236, 178, 60)
LEAF = (132, 190, 120)
LEAF_DARK = (96, 156, 92)


def png_bytes(width, height, rgba_rows):
    """A PNG (8-bit RGBA, no interlace) from rows of bytes."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(row) for row in rgba_rows)  # filter type 0 per row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ---- shapes in a unit square (0..1, y down); each returns True when (x, y) is inside ----

def ellipse(cx, cy, rx, ry, angle):
    cos_a, sin_a = math.cos(angle), math.sin(angle)

    def inside(x, y):
        dx, dy = x - cx, y - cy
        u = dx * cos_a + dy * sin_a
        v = -dx * sin_a + dy * cos_a
        return (u / rx) ** 2 + (v / ry) ** 2 <= 1.0
    return inside


def circle(cx, cy, r):
    return ellipse(cx, cy, r, r, 0.0)


def leaf(cx, cy, length, width, angle):
    """A pointed leaf: the intersection of two offset circles (a vesica), rotated."""
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    half = length / 2
    # Circle radius and offset so the lens is `length` long and `width` wide.
    r = (half * half + (width / 2) ** 2) / width
    off = r - width / 2

    def inside(x, y):
        dx, dy = x - cx, y - cy
        u = dx * cos_a + dy * sin_a
        v = -dx * sin_a + dy * cos_a
        return (u * u + (v - off) ** 2 <= r * r) and (u * u + (v + off) ** 2 <= r * r)
    return inside


def rounded_square(margin, radius):
    lo, hi = margin, 1 - margin

    def inside(x, y):
        if not (lo <= x <= hi and lo <= y <= hi):
            return False
        cx = min(max(x, lo + radius), hi - radius)
        cy = min(max(y, lo + radius), hi - radius)
        return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius
    return inside


def flower_layers(cx, cy, scale):
    """Leaves, petals (with a darker rim) and the heart, back to front."""
    layers = [
        (leaf(cx - 0.20 * scale, cy + 0.24 * scale, 0.46 * scale, 0.17 * scale, math.radians(-35)),
         LEAF_DARK),
        (leaf(cx + 0.21 * scale, cy + 0.25 * scale, 0.44 * scale, 0.16 * scale, math.radians(35)),
         LEAF),
    ]
    for i in range(5):
        angle = math.radians(-90 + i * 72)
        px = cx + math.cos(angle) * 0.19 * scale
        py = cy + math.sin(angle) * 0.19 * scale
        layers.append((ellipse(px, py, 0.17 * scale, 0.105 * scale, angle), PETAL_EDGE))
        layers.append((ellipse(px, py, 0.15 * scale, 0.085 * scale, angle), PETAL))
    layers.append((circle(cx, cy, 0.095 * scale), HEART))
    return layers


def render(size, layers, background=None):
    """Rows of RGBA bytes: each pixel averages SUPERSAMPLE^2 samples of the layer stack."""
    rows = []
    n = SUPERSAMPLE
    for py in range(size):
        row = bytearray()
        for px in range(size):
            r = g = b = a = 0.0
            for sy in range(n):
                y = (py + (sy + 0.5) / n) / size
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) / size
                    color = background
                    for inside, layer_color in layers:
                        if inside(x, y):
                            color = layer_color
                    if color is not None:
                        r += color[0]
                        g += color[1]
                        b += color[2]
                        a += 1
            if a == 0:
                row += bytes((0, 0, 0, 0))
            else:
                # Colour averaged over covered samples (straight alpha), coverage as alpha.
                row += bytes((round(r / a), round(g / a), round(b / a), round(255 * a / (n * n))))
        rows.append(row)
    return rows


def icon_layers():
    return [(rounded_square(0.0, 0.22), GREEN)] + flower_layers(0.5, 0.46, 1.0)


def logo_layers():
    return flower_layers(0.5, 0.45, 1.0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "signer", "templates", "membership")
    out = sys.argv[1] if len(sys.argv) > 1 else default_out
    os.makedirs(out, exist_ok=True)
    images = [("icon", 29, icon_layers()), ("logo", 50, logo_layers())]
    for name, points, layers in images:
        for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
            size = points * scale
            path = os.path.join(out, f"{name}{suffix}.png")
            with open(path, "wb") as f:
                f.write(png_bytes(size, size, render(size, layers)))
            print(f"{path}: {size}x{size}")


if __name__ == "__main__":
    main()
