"""A grid of values as a small picture: Plotly's colour scales applied with NumPy, and a PNG written with zlib.

A heatmap of 81 x 81 values is one image in the SVG the figures are drawn as (pages/ui/svg_figure.py), not 6,561
rectangles: a PNG of a few kilobytes, sent as a data: URL.
"""
from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Sequence

import numpy as np

_HEX = re.compile(r"#([0-9A-Fa-f]{6})")


def _rgb(color: str) -> tuple[int, int, int]:
    match = _HEX.fullmatch(color)
    if not match:
        raise ValueError(f"unsupported colour in a colour scale (#RRGGBB only): {color!r}")
    value = int(match.group(1), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def colored(z: np.ndarray, scale: Sequence[Sequence], zmin: float, zmax: float) -> np.ndarray:
    """RGBA bytes (rows, columns, 4) for the values z on a Plotly colour scale ([position, "#RRGGBB"] pairs,
    positions 0 to 1): a value at zmin takes the first colour, at zmax the last, in between the two around it mixed
    linearly in RGB, as Plotly mixes them; beyond the ends, the end's colour. A value that is not finite is left
    transparent (Plotly draws no cell)."""
    positions = [float(p) for p, _ in scale]
    if positions[0] != 0 or positions[-1] != 1 or positions != sorted(positions) or not zmax > zmin:
        raise ValueError(f"unsupported colour scale or limits: {scale}, {zmin}, {zmax}")
    rgb = np.array([_rgb(c) for _, c in scale], dtype=float)
    z = np.asarray(z, dtype=float)
    finite = np.isfinite(z)
    t = np.clip((np.where(finite, z, zmin) - zmin) / (zmax - zmin), 0, 1)
    out = np.empty(z.shape + (4,), dtype=np.uint8)
    for channel in range(3):
        out[..., channel] = np.rint(np.interp(t, positions, rgb[:, channel]))
    out[..., 3] = np.where(finite, 255, 0)
    return out


def png(rgba: np.ndarray) -> bytes:
    """An RGBA image (rows top to bottom, 8 bits a channel) as a PNG file: one IDAT chunk, no filtering."""
    rows, columns, _ = rgba.shape
    raw = np.concatenate([np.zeros((rows, 1), np.uint8), rgba.reshape(rows, columns * 4)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", columns, rows, 8, 6, 0, 0, 0)   # 8 bits, RGBA, deflate, no filter, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def data_url(rgba: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(rgba)).decode("ascii")
