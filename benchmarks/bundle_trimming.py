"""What the TFLite bundle's padding cut buys: a masked signature fed fewer steps.

`rnnkit_bundle.py` (`export/bundle_runner.py`) cuts token ids after their last
non-padding column before each call (`trim_padding`). The exported signatures mask
padding, so the outputs are the same (the record keeps the largest difference);
the `WHILE` loop runs fewer steps. Each size is a sentiment classifier (default
BiLSTM backbone, untrained) exported with `export_tflite`, one input of `real`
tokens padded to `sequence_length`, batch 1, timed padded (the baseline) and cut
(the kit) with interleaved medians in one process.
"""

import os
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from benchmarks.timing import interleaved_medians
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export.bundle_runner import trim_padding
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor

# (units, sequence_length, real tokens): the app_tflite sentiment case, and the
# 64-unit, 100-token size of export/README.md's batch measurements.
SIZES = ((32, 16, 10), (64, 100, 30))


def _invoker(path, token_ids):
    runner = Interpreter(model_path=path).get_signature_runner("serving_default")
    return lambda: runner(token_ids=token_ids)["probabilities"]


def run(sizes=SIZES, repeats=200):
    """Returns one record per size (`phase="bundle trim"`)."""
    records = []
    texts = [f"the food number {i} was good" for i in range(50)]
    for units, length, real in sizes:
        preprocessor = SentimentPreprocessor.from_texts(texts, sequence_length=length)
        backbone = SentimentBackbone(len(preprocessor.vocabulary), 32, units=units)
        model = SentimentClassifier(backbone, preprocessor=preprocessor)
        model(preprocessor(texts[:2]))
        path = export_tflite(model, os.path.join(tempfile.mkdtemp(), "m.tflite"))
        padded = np.zeros((1, length), np.int32)
        rng = np.random.default_rng(0)
        padded[0, :real] = rng.integers(4, len(preprocessor.vocabulary), real)
        calls = {
            "padded": _invoker(path, padded),
            "trimmed": _invoker(path, trim_padding(padded)),
        }
        difference = float(np.max(np.abs(calls["padded"]() - calls["trimmed"]())))
        seconds = interleaved_medians(calls, repeats, warmup=10)
        records.append(
            {
                "name": "bundle padding cut vs padded input",
                "kit": f"sentiment BiLSTM {units}: {real} tokens",
                "baseline": f"sentiment BiLSTM {units}: {real} of {length} tokens",
                "phase": "bundle trim",
                "size": f"units {units}, {real} of {length} tokens",
                "kit_s": seconds["trimmed"],
                "baseline_s": seconds["padded"],
                "speedup": seconds["padded"] / seconds["trimmed"],
                "max_abs_diff": difference,
            }
        )
    return records
