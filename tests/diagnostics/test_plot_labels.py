"""Every plot the kit draws outside `diagnostics` takes Chinese and English labels
(matplotlib's "Glyph ... missing" warning fails a test) and leaves matplotlib's
backend alone. The diagnostics plots are covered in their own test files."""

import numpy as np
import pytest
from PIL import Image

from benchmarks.report import write_report
from keras_rnn_kit.demo import _plot_training_curves
from keras_rnn_kit.models.captioning.captioning_training import save_attention_maps
from tests.test_case import run_python

pytestmark = pytest.mark.filterwarnings("error")


def assert_png(path, min_size):
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        assert np.asarray(image.convert("L")).min() < 100  # something is drawn


class CaptionerStub:
    """What `save_attention_maps` uses of an `ImageCaptioner`."""

    def __init__(self, words):
        self.words = words
        self.maps = np.random.default_rng(0).random((len(words), 3, 3))

    def attention_maps(self, images):
        return [(self.words, self.maps) for _ in images]


def test_demo_training_curves(tmp_path):
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}
    path = _plot_training_curves(
        {"VQA 问答": history, "翻译 translation": history},
        str(tmp_path / "curves.png"),
    )
    assert_png(path, (800, 300))


def test_captioning_attention_panels(tmp_path):
    captioner = CaptionerStub(["红色", "circle", "三百二十一"])
    image = np.zeros((12, 12, 3), np.uint8)
    path = save_attention_maps(captioner, image, str(tmp_path / "panels.png"))
    assert_png(path, (4 * 2 * 80, 2.3 * 80))


def test_benchmark_report_chart(tmp_path):
    record = {"phase": "train", "size": [2, 4, 3, 5], "kit_s": 1.0, "baseline_s": 2.0}
    records = [
        {**record, "name": "原始 LSTM vs keras.layers.LSTM", "speedup": 2.0},
        {**record, "name": "vanilla RNN vs SimpleRNN", "speedup": 0.5},
    ]
    write_report(records, str(tmp_path))
    assert_png(tmp_path / "latest.png", (800, 200))


@pytest.mark.slow
def test_importing_and_plotting_keep_the_backend(tmp_path):
    # A fresh process (this one has imported the kit already), on a backend that
    # is not Agg: an import-time `matplotlib.use("Agg")` would show as "agg".
    # (Keras itself imports pyplot; the kit's plots must not open pyplot figures.)
    out = run_python(
        f"""
        import matplotlib

        import benchmarks.report
        import keras_rnn_kit.demo
        import keras_rnn_kit.models.captioning.captioning_training
        from keras_rnn_kit.diagnostics import plot_attention

        backend = matplotlib.get_backend()
        plot_attention(["三百"], ["300"], [[1.0]], {str(tmp_path / "a.png")!r})
        import matplotlib.pyplot

        print(backend, matplotlib.get_backend(), matplotlib.pyplot.get_fignums())
        """,
        env={"MPLBACKEND": "svg"},
    )
    assert out.splitlines()[-1] == "svg svg []"
