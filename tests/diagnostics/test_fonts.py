"""Tests for keras_rnn_kit.diagnostics.fonts."""

import importlib.metadata
import logging
import os

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_rnn_kit.diagnostics import fonts


def render(text, families):
    """Grey levels of `text` drawn alone on a small white Agg canvas."""
    figure = Figure(figsize=(0.6, 0.6), dpi=100)
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, text, fontfamily=families, fontsize=28, ha="center")
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].mean(axis=-1)


def test_the_packaged_noto_sans_cjk_is_registered():
    path = fonts.cjk_font_path()
    assert path is not None and os.path.isfile(path)
    metadata = importlib.metadata.metadata(fonts.CJK_FONT_PACKAGE)
    assert metadata["License-Expression"] == "OFL-1.1"
    assert fonts.cjk_font_family().startswith("Noto Sans CJK")
    assert fonts.plot_font_families() == ["sans-serif", fonts.cjk_font_family()]


@pytest.mark.filterwarnings("error")
def test_chinese_glyphs_have_ink(caplog):
    families = fonts.plot_font_families()
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        three, me = render("三", families), render("我", families)
        render("I love 机器学习, 三百二十一 = 321", families)
    assert not caplog.records, caplog.text  # e.g. "findfont: ... not found"
    assert (three < 128).any() and (me < 128).any()
    # Different characters draw different pixels only when real glyphs are drawn.
    assert not np.array_equal(three, me)


def test_without_the_cjk_font_matplotlib_draws_identical_boxes():
    # The control for the test above: the Latin font alone has no Chinese
    # glyphs, so both characters become the same box, with matplotlib's warning.
    with pytest.warns(UserWarning, match="Glyph .* missing from font"):
        three, me = render("三", ["DejaVu Sans"]), render("我", ["DejaVu Sans"])
    np.testing.assert_array_equal(three, me)


def test_a_missing_font_warns_with_the_install_command(monkeypatch):
    monkeypatch.setattr(fonts, "_register_packaged_font", lambda: None)
    monkeypatch.setattr(fonts, "SYSTEM_CJK_FONTS", ())
    with pytest.warns(fonts.CJKFontWarning, match="pip install noto-cjk-sans-otc"):
        assert fonts.plot_font_families() == ["sans-serif"]
