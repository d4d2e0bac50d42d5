"""pages/ui/raster.py: a grid of values coloured on a Plotly colour scale and written as a PNG, read back here with
Pillow (another PNG reader), pixel by pixel against colours worked out by hand."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

from pages.ui.raster import colored, data_url, png

SCALE = [[0, "#000000"], [0.5, "#FFFFFF"], [1, "#0072B2"]]


def test_values_take_the_scale_s_colours_mixed_linearly_between_its_stops():
    z = np.array([[0.0, 0.25, 0.5], [0.75, 1.0, 2.0]])
    rgba = colored(z, SCALE, 0, 1)
    assert rgba[0, 0].tolist() == [0, 0, 0, 255]
    assert rgba[0, 1].tolist() == [128, 128, 128, 255]      # half way from black to white: 127.5, to the even 128
    assert rgba[0, 2].tolist() == [255, 255, 255, 255]
    # half way from white to #0072B2 = (0, 114, 178): 127.5, 184.5, 216.5, each to the even neighbour
    assert rgba[1, 0].tolist() == [128, 184, 216, 255]
    assert rgba[1, 1].tolist() == rgba[1, 2].tolist() == [0, 114, 178, 255]   # beyond zmax: the last colour


def test_a_value_that_is_not_finite_is_transparent():
    rgba = colored(np.array([[np.nan, np.inf, 0.5]]), SCALE, 0, 1)
    assert rgba[0, :, 3].tolist() == [0, 0, 255]


@pytest.mark.parametrize("scale, zmin, zmax", [
    ([[0, "#000000"], [0.9, "#FFFFFF"]], 0, 1),       # does not reach 1
    ([[0, "black"], [1, "#FFFFFF"]], 0, 1),           # a named colour
    (SCALE, 1, 1),                                    # no range
])
def test_a_scale_or_limits_it_cannot_use_are_refused(scale, zmin, zmax):
    with pytest.raises(ValueError, match="unsupported"):
        colored(np.zeros((1, 1)), scale, zmin, zmax)


def test_the_png_reads_back_pixel_for_pixel():
    rgba = colored(np.linspace(0, 1, 12).reshape(3, 4), SCALE, 0, 1)
    rgba[2, 3, 3] = 0
    image = Image.open(io.BytesIO(png(rgba)))
    assert image.size == (4, 3) and image.mode == "RGBA"
    assert np.array_equal(np.asarray(image), rgba)
    url = data_url(rgba)
    assert url.startswith("data:image/png;base64,") and base64.b64decode(url.split(",", 1)[1]) == png(rgba)
