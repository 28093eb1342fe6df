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


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="path"):
        plot_gradient_flow(FLOWS, os.path.join(tmp_path, "flow.jpg"))
    with pytest.raises(ValueError, match="flows"):
        plot_gradient_flow({}, os.path.join(tmp_path, "flow.png"))
    with pytest.raises(ValueError, match="lstm"):
        gradient_flow_figure({"lstm": np.ones((2, 3))})
