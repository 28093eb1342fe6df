"""Tests for keras_rnn_kit.diagnostics.attention_plot."""

import warnings

import numpy as np
import pytest
from PIL import Image

from keras_rnn_kit.diagnostics import fonts
from keras_rnn_kit.diagnostics.attention_plot import fallback_label
from keras_rnn_kit.diagnostics.attention_plot import plot_attention

SOURCE = ["三", "百", "二", "十", "一"]
TARGET = ["three", "hundred", "twenty", "one"]


def weights(rows, columns, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(columns), size=rows)


def pixels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


@pytest.mark.filterwarnings("error")  # matplotlib's "Glyph ... missing" fails it
def test_writes_a_png_that_grows_with_the_token_counts(tmp_path):
    small = plot_attention(
        SOURCE[:2], TARGET[:2], weights(2, 2), str(tmp_path / "s.png")
    )
    large = plot_attention(
        SOURCE, TARGET, weights(4, 5), str(tmp_path / "deep" / "l.png"), title="三百"
    )
    with Image.open(small) as a, Image.open(large) as b:
        assert a.format == b.format == "PNG"
        assert b.size[0] > a.size[0] and b.size[1] > a.size[1]


@pytest.mark.filterwarnings("error")
def test_mixed_chinese_and_english_labels_are_drawn(tmp_path):
    source = ["我爱", "机器学习", "I love", "machine learning"]
    target = ["I", "love", "机器学习"]
    plot_attention(
        source, target, weights(3, 4), str(tmp_path / "a.png"), title="I love 机器学习"
    )
    # Two plots that differ in one Chinese label differ in pixels only when the
    # characters are real glyphs (a missing glyph is the same box for both).
    three = plot_attention(["三"], ["three"], [[1.0]], str(tmp_path / "three.png"))
    me = plot_attention(["我"], ["three"], [[1.0]], str(tmp_path / "me.png"))
    assert not np.array_equal(pixels(three), pixels(me))


def test_without_a_cjk_font_labels_fall_back_to_code_points(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "_register_packaged_font", lambda: None)
    monkeypatch.setattr(fonts, "SYSTEM_CJK_FONTS", ())
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        plot_attention(
            SOURCE, TARGET, weights(4, 5), str(tmp_path / "a.png"), title="三百"
        )
    assert any(issubclass(r.category, fonts.CJKFontWarning) for r in records)
    missing = [r for r in records if "missing from" in str(r.message)]
    assert not missing, missing[0].message
    assert fallback_label("三百 abc") == "U+4E09U+767E abc"
    assert fallback_label("hundred") == "hundred"


def test_shape_mismatch_names_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"`weights`.*\(4, 5\).*\(5, 4\)"):
        plot_attention(SOURCE, TARGET, weights(5, 4), str(tmp_path / "a.png"))


def test_bad_tokens_and_path_name_the_argument(tmp_path):
    with pytest.raises(TypeError, match="`source_tokens`"):
        plot_attention("三百", TARGET[:2], weights(2, 2), str(tmp_path / "a.png"))
    with pytest.raises(ValueError, match="`path`"):
        plot_attention(SOURCE, TARGET, weights(4, 5), str(tmp_path / "a.jpg"))
