#!/usr/bin/env python3
"""Draws the attention masks of transformer(pattern=...) for docs/neural.md:
docs/attn_patterns.svg, one panel per pattern (strided: one panel per half
of the heads), query rows i downwards, key columns j rightwards, a filled
cell where query i sees key j.  Window W = 32, band = 4, 40 positions.
The rules are the definitions of docs/neural.md (the same ones
tests/test_sparse_attention.c checks the kernels' offset lists against).

usage: scripts/attn_masks.py [OUT.svg]   (no dependencies)
"""
import math
import sys

W, BAND, T, CELL = 32, 4, 40, 4


def visible(kind, half, i, j):
    d = i - j
    if d < 0 or d >= W:
        return False
    if kind == "local":
        return d < BAND
    if kind == "logsparse":
        return d <= BAND or any(d == 1 << k for k in range(int(math.log2(W)) + 1))
    if kind == "strided":
        l = math.isqrt(W - 1) + 1  # ceil(sqrt(W))
        return d < l if half == 0 else d % l == 0
    return True


PANELS = [("dense", 0, "dense (W=32)"), ("local", 0, "local (band=4)"),
          ("logsparse", 0, "logsparse (band=4)"), ("strided", 0, "strided, heads 1st half"),
          ("strided", 1, "strided, heads 2nd half")]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "docs/attn_patterns.svg"
    side, gap, top = T * CELL, 24, 22
    width = len(PANELS) * (side + gap) + gap
    height = side + top + 30
    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="11">' % (width, height),
         '<rect width="100%" height="100%" fill="white"/>']
    for p, (kind, half, title) in enumerate(PANELS):
        x0 = gap + p * (side + gap)
        s.append('<text x="%d" y="14">%s</text>' % (x0, title))
        s.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#f4f4f4" stroke="#999"/>'
                 % (x0, top, side, side))
        for i in range(T):
            j = 0
            while j < i:  # runs of visible keys before the diagonal, one rect each
                if not visible(kind, half, i, j):
                    j += 1
                    continue
                j1 = j
                while j1 < i and visible(kind, half, i, j1):
                    j1 += 1
                s.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#2c6fbb"/>'
                         % (x0 + j * CELL, top + i * CELL, (j1 - j) * CELL, CELL))
                j = j1
            s.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#c0392b"/>'
                     % (x0 + i * CELL, top + i * CELL, CELL, CELL))
        s.append('<text x="%d" y="%d">%d keys in last row</text>'
                 % (x0, top + side + 16, sum(visible(kind, half, T - 1, j) for j in range(T))))
    s.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(s) + "\n")


if __name__ == "__main__":
    main()
