import warnings

import numpy as np
import pytest
from PIL import Image

from keras_rnn_kit.diagnostics import attention_plot
from keras_rnn_kit.diagnostics.attention_plot import fallback_label
from keras_rnn_kit.diagnostics.attention_plot import plot_attention

SOURCE = ["三", "百", "二", "十", "一"]
TARGET = ["three", "hundred", "twenty", "one"]


def weights(rows, columns, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(columns), size=rows)


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


def test_without_a_cjk_font_labels_fall_back_to_code_points(tmp_path, monkeypatch):
    monkeypatch.setattr(attention_plot, "find_cjk_font", lambda: None)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        plot_attention(
            SOURCE, TARGET, weights(4, 5), str(tmp_path / "a.png"), title="三百"
        )
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
