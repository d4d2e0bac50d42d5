"""Where a function sampled on a grid crosses a level: the lines, as x and y lists for one line trace.

Marching squares: in each cell of the grid the level crosses the edges whose two corners lie on different
sides of it, at the point found by linear interpolation; the crossings of a cell are joined, and the pieces
of neighbouring cells (which share an edge's crossing) are chained into polylines. The training page draws
its decision boundary (y_1 = 1/2) this way instead of asking the browser to trace a contour of the grid.
"""
from __future__ import annotations

import numpy as np


def level_lines(xs, ys, z, level: float) -> tuple[list[float | None], list[float | None]]:
    """The lines where z (z[i, j] at xs[j], ys[i]) equals `level`, as x and y lists with None between lines."""
    xs, ys, z = np.asarray(xs, float), np.asarray(ys, float), np.asarray(z, float)
    if z.shape != (len(ys), len(xs)):
        raise ValueError(f"z must be (len(ys), len(xs)) = ({len(ys)}, {len(xs)}); got {z.shape}")
    above = z > level
    points: dict[tuple, tuple[float, float]] = {}

    def crossing(edge: tuple) -> tuple:
        """An edge is ("h", i, j): (i, j)-(i, j+1), or ("v", i, j): (i, j)-(i+1, j). Its point, computed once."""
        if edge not in points:
            kind, i, j = edge
            i2, j2 = (i, j + 1) if kind == "h" else (i + 1, j)
            a, b = z[i, j], z[i2, j2]
            f = (level - a) / (b - a)
            points[edge] = (xs[j] + f * (xs[j2] - xs[j]), ys[i] + f * (ys[i2] - ys[i]))
        return edge

    # the cells the level passes through: not all four corners on one side (and no NaN corner)
    corners = above[:-1, :-1].astype(int) + above[:-1, 1:] + above[1:, :-1] + above[1:, 1:]
    finite = np.isfinite(z[:-1, :-1]) & np.isfinite(z[:-1, 1:]) & np.isfinite(z[1:, :-1]) & np.isfinite(z[1:, 1:])
    links: dict[tuple, list[tuple]] = {}
    for i, j in zip(*np.nonzero((corners > 0) & (corners < 4) & finite)):
        i, j = int(i), int(j)
        # the cell's edges in order round it: bottom, right, top, left
        edges = [("h", i, j), ("v", i, j + 1), ("h", i + 1, j), ("v", i, j)]
        ends = [(i, j, i, j + 1), (i, j + 1, i + 1, j + 1), (i + 1, j, i + 1, j + 1), (i, j, i + 1, j)]
        cut = [crossing(e) for e, (a, b, c, d) in zip(edges, ends) if above[a, b] != above[c, d]]
        if len(cut) == 4:   # a saddle: the centre's side decides which crossings belong together
            centre = z[i:i + 2, j:j + 2].mean() > level
            apart = [(cut[0], cut[1]), (cut[2], cut[3])]   # cuts off the bottom-right and top-left corners
            pairs = apart if centre == above[i, j] else [(cut[0], cut[3]), (cut[1], cut[2])]
        else:
            pairs = [(cut[0], cut[1])]
        for a, b in pairs:
            links.setdefault(a, []).append(b)
            links.setdefault(b, []).append(a)

    # chain the pieces into polylines, starting from the ends of open lines (one link), then closed loops
    x_out: list[float | None] = []
    y_out: list[float | None] = []
    seen: set[tuple] = set()
    for start in sorted(links, key=lambda e: len(links[e])):
        if start in seen:
            continue
        line, here = [start], start
        seen.add(start)
        while True:
            nxt = next((e for e in links[here] if e not in seen), None)
            if nxt is None:
                break
            line.append(nxt)
            seen.add(nxt)
            here = nxt
        if len(links[start]) == 2 and start in links[here]:
            line.append(start)   # a closed loop
        for e in line:
            x_out.append(float(points[e][0]))
            y_out.append(float(points[e][1]))
        x_out.append(None)
        y_out.append(None)
    return x_out[:-1], y_out[:-1]
