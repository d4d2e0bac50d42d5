"""bp_core.contour.level_lines: the lines where a sampled function crosses a level (marching squares)."""
from __future__ import annotations

import numpy as np
import pytest

from bp_core.contour import level_lines


def lines(xs: list, ys: list) -> list[np.ndarray]:
    """The polylines of level_lines' output, each an (m, 2) array."""
    out, current = [], []
    for x, y in zip(xs + [None], ys + [None]):
        if x is None:
            out.append(np.array(current))
            current = []
        else:
            current.append((x, y))
    return out


def test_a_plane_crosses_its_level_on_one_straight_line():
    # z = x - y is linear, so interpolation along an edge is exact: every point lies on x = y
    xs = ys = np.linspace(-1, 1, 21)
    z = xs[None, :] - ys[:, None]
    (line,) = lines(*level_lines(xs, ys, z, 0.1))
    assert np.allclose(line[:, 0] - line[:, 1], 0.1)
    assert len(line) > 20   # it runs across the whole square


def test_a_circle_is_one_closed_loop_within_the_grid_spacing():
    xs = ys = np.linspace(-2, 2, 81)
    z = xs[None, :] ** 2 + ys[:, None] ** 2
    (loop,) = lines(*level_lines(xs, ys, z, 1.0))
    assert np.allclose(loop[0], loop[-1])   # closed
    radius = np.hypot(loop[:, 0], loop[:, 1])
    assert np.abs(radius - 1.0).max() < (xs[1] - xs[0]) ** 2   # chords of the parabola's interpolation
    # it goes all the way round: every direction is met
    angles = np.sort(np.arctan2(loop[:, 1], loop[:, 0]))
    assert np.diff(angles).max() < 0.1


def test_a_saddle_cell_joins_the_crossings_on_the_side_of_its_centre():
    # x y + 0.01 = 0: the hyperbola's branches in the 2nd and 4th quadrants. The cell round the origin has its
    # corners alternately above and below 0 (no grid point at 0 with an even count); its centre, 0.01, is above,
    # so the two branches must not be joined across it.
    xs = ys = np.linspace(-1, 1, 20)
    z = xs[None, :] * ys[:, None] + 0.01
    found = lines(*level_lines(xs, ys, z, 0.0))
    assert len(found) == 2
    for line in found:
        assert np.all(line[:, 0] * line[:, 1] < 0)
        assert len(set(np.sign(line[:, 0]))) == 1   # each stays in one quadrant
    # and the lines follow the hyperbola (exact on the grid's edges, where z is linear along the edge)
    for line in found:
        assert np.allclose(line[:, 0] * line[:, 1], -0.01, atol=(xs[1] - xs[0]) ** 2)


def test_no_crossing_no_line_and_a_wrong_shape_is_refused():
    xs = ys = np.linspace(0, 1, 5)
    assert level_lines(xs, ys, np.zeros((5, 5)), 0.5) == ([], [])
    with pytest.raises(ValueError, match="z must be"):
        level_lines(xs, ys, np.zeros((4, 5)), 0.5)
