"""The two icons a Teams app package needs, drawn in code (no image library, nothing downloaded).

- color.png: 192x192, full colour: a white ring and upward arrow on leadbot's accent colour;
- outline.png: 32x32, the same symbol in white on a transparent background.

`python -m bot.teams.icons` redraws bot/teams/package/*.png; the package
builder ships the committed files.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ACCENT = (0x1F, 0x6E, 0x8C)  # also the manifest's accentColor
WHITE = (255, 255, 255)
SAMPLES = 4  # 4x4 supersampling per pixel for smooth edges
PACKAGE_DIR = Path(__file__).resolve().parent / "package"


def _inside_symbol(x: float, y: float, ring: tuple[float, float], arrow_scale: float) -> bool:
    """Is the point (0..1 square) on the symbol: a ring with an arrow pointing up through its middle?"""
    dx, dy = x - 0.5, y - 0.5
    r2 = dx * dx + dy * dy
    outer, inner = ring
    if inner * inner <= r2 <= outer * outer:
        return True
    # the arrow, scaled about the centre
    ax, ay = 0.5 + dx / arrow_scale, 0.5 + dy / arrow_scale
    if 0.455 <= ax <= 0.545 and 0.40 <= ay <= 0.74:
        return True
    if 0.22 <= ay <= 0.44:  # the head: a triangle with its apex at the top
        half_width = (ay - 0.22) / 0.22 * 0.15
        return abs(ax - 0.5) <= half_width
    return False


def _coverage(size: int, ring: tuple[float, float], arrow_scale: float) -> list[list[float]]:
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            hits = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    hits += _inside_symbol(x, y, ring, arrow_scale)
            row.append(hits / (SAMPLES * SAMPLES))
        rows.append(row)
    return rows


def png(pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An 8-bit RGBA PNG of the given rows of pixels."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _on_accent(alpha: float) -> tuple[int, int, int, int]:
    """White over the accent colour, `alpha` of the way."""
    r, g, b = (round(base + (white - base) * alpha) for base, white in zip(ACCENT, WHITE, strict=False))
    return (r, g, b, 255)


def color_icon() -> bytes:
    cover = _coverage(192, ring=(0.36, 0.29), arrow_scale=0.8)
    return png([[_on_accent(a) for a in row] for row in cover])


def outline_icon() -> bytes:
    cover = _coverage(32, ring=(0.47, 0.37), arrow_scale=1.0)
    return png([[(255, 255, 255, round(255 * a)) for a in row] for row in cover])


def write(directory: Path = PACKAGE_DIR) -> None:
    (directory / "color.png").write_bytes(color_icon())
    (directory / "outline.png").write_bytes(outline_icon())


if __name__ == "__main__":
    write()
