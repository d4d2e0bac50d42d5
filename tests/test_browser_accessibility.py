"""Accessibility: the two fixed colours are Okabe-Ito blue and vermillion and stay apart for colour-blind
readers (and have contrast enough on white); in the browser, projection mode's text is black on white and the
classroom controls keep their words beside their icons. (Each lesson's controls, charts and gradient labels
are checked in test_browser_lessons.py, on the page it has already opened.)"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import DESKTOP, PROJECTOR, open_url

from pages.ui import colors
from pages.ui.i18n import t
from pages.ui.lessons import LESSONS

# Machado, Oliveira & Fernandes (2009), full severity, on linear RGB.
DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])


def linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ rgb / WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def contrast_on_white(rgb: np.ndarray) -> float:
    luminance = float(SRGB_TO_XYZ[1] @ rgb)
    return 1.05 / (luminance + 0.05)


def test_the_two_colours_are_okabe_itos_blue_and_vermillion():
    assert colors.FORWARD.upper() == "#0072B2"
    assert colors.GRADIENT.upper() == "#D55E00"


@pytest.mark.parametrize("vision", ["typical", *DICHROMACY])
def test_the_two_colours_stay_apart_for_colour_blind_readers(vision):
    forward, gradient = linear(colors.FORWARD), linear(colors.GRADIENT)
    if vision != "typical":
        m = np.array(DICHROMACY[vision])
        forward, gradient = np.clip(m @ forward, 0, 1), np.clip(m @ gradient, 0, 1)
    # CIE76 colour difference: about 2 is just noticeable; 40 is unmistakable.
    assert np.linalg.norm(lab(forward) - lab(gradient)) > 40


@pytest.mark.parametrize("colour", ["FORWARD", "GRADIENT"])
def test_each_colour_reads_on_white(colour):
    """WCAG's 3:1 for graphics and large text: the values and gradients drawn on the white charts."""
    assert contrast_on_white(linear(getattr(colors, colour))) >= 3.0


# -- in the browser ---------------------------------------------------------------------------------------
# The colour each text is seen in on white: its colour, faded by its own and its ancestors' opacity.
_TEXT_COLOURS_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const seen = (el) => {
        let alpha = 1;
        for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
            alpha *= parseFloat(getComputedStyle(node).opacity);
        }
        const [r, g, b] = getComputedStyle(el).color.match(/[\\d.]+/g).map(Number);
        return [r, g, b].map((c) => Math.round(alpha * c + (1 - alpha) * 255));
    };
    const shown = (selector) => [...main.querySelectorAll(selector)]
        .filter((el) => el.checkVisibility() && !el.closest("button")).map(seen);
    return {
        text: shown('[data-testid="stMarkdownContainer"] p'),
        captions: shown('[data-testid="stCaptionContainer"]'),
        background: getComputedStyle(main).backgroundColor,
    };
}"""


def _linear(rgb: list[int]) -> np.ndarray:
    c = np.array(rgb) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


@pytest.mark.browser
def test_projection_mode_is_black_on_white(shared_page, app_server):
    page = shared_page
    page.set_viewport_size(PROJECTOR)
    open_url(page, f"{app_server}/{LESSONS[1].url_path}?present=true")
    colours = page.evaluate(_TEXT_COLOURS_JS)
    assert colours["background"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    assert colours["text"] and all(rgb == [0, 0, 0] for rgb in colours["text"]), colours["text"]
    for caption in colours["captions"]:  # WCAG AAA: 7:1
        assert contrast_on_white(_linear(caption)) >= 7, caption


@pytest.mark.browser
@pytest.mark.parametrize("present", [False, True], ids=["normal", "projection"])
def test_the_classroom_controls_keep_their_words(shared_page, app_server, present):
    """The toolbar's buttons have an icon and their label; a screen reader reads the label."""
    page = shared_page
    page.set_viewport_size(PROJECTOR if present else DESKTOP)
    open_url(page, f"{app_server}/{LESSONS[0].url_path}" + ("?present=true" if present else ""))
    toolbar = page.locator(".st-key-bp-projection" if present else ".st-key-bp-toolbar")
    switch = t("classroom.leave" if present else "classroom.enter")
    labels = [t("classroom.keys.button"), t("classroom.copy_link"), switch]
    for label in labels:
        button = toolbar.get_by_role("button", name=label)
        assert button.count() >= 1 and button.first.is_visible(), f"no visible button named {label!r}"
    if not present:  # in projection mode the sidebar is hidden; the Leave button above is the way out
        assert page.get_by_role("switch", name=t("classroom.projection")).is_visible()
        assert page.get_by_role("combobox", name=t("classroom.language")).is_visible()
    page.set_viewport_size(DESKTOP)
