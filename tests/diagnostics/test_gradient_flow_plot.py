"""Tests for keras_rnn_kit.diagnostics.gradient_flow_plot."""

import os

import numpy as np
import pytest
from PIL import Image

from keras_rnn_kit.diagnostics import gradient_flow_figure
from keras_rnn_kit.diagnostics import plot_gradient_flow

FLOWS = {
    "vanilla": np.logspace(-12, 0, 20),
    "original_lstm": np.linspace(30.0, 1.0, 20),
}


def test_figure_is_log_scale_titled_with_legend():
    figure = gradient_flow_figure(FLOWS, title="T = 20")
    (axes,) = figure.axes
    assert axes.get_yscale() == "log"
    assert axes.get_title() == "T = 20"
    assert "time step" in axes.get_xlabel()
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == list(FLOWS)
    for line, flow in zip(axes.get_lines(), FLOWS.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 21))
        np.testing.assert_array_equal(line.get_ydata(), flow)


def test_writes_a_png(tmp_path):
    path = os.path.join(tmp_path, "nested", "flow.png")
    assert plot_gradient_flow(FLOWS, path) == path
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (700, 450)
        pixels = np.asarray(image.convert("L"))
    assert pixels.min() < 100 < pixels.max()  # something is drawn on white


@pytest.mark.filterwarnings("error")  # matplotlib's "Glyph ... missing" fails it
def test_chinese_and_english_labels_are_drawn(tmp_path):
    flows = {
        "简单 RNN (vanilla)": FLOWS["vanilla"],
        "长短期记忆 LSTM": FLOWS["original_lstm"],
    }
    path = plot_gradient_flow(
        flows, os.path.join(tmp_path, "flow.png"), title="梯度流 T = 20"
    )
    with Image.open(path) as image:
        assert image.size == (700, 450)
    legend = gradient_flow_figure(flows).axes[0].get_legend().get_texts()
    assert [text.get_text() for text in legend] == list(flows)


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="path"):
        plot_gradient_flow(FLOWS, os.path.join(tmp_path, "flow.jpg"))
    with pytest.raises(ValueError, match="flows"):
        plot_gradient_flow({}, os.path.join(tmp_path, "flow.png"))
    with pytest.raises(ValueError, match="lstm"):
        gradient_flow_figure({"lstm": np.ones((2, 3))})
