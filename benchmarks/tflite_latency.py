"""LiteRT latency and size of a kit LSTM layer against Keras 3's own LiteRT export.

Both models are the same architecture at batch 1: `(1, time, input)` → LSTM(units),
with the same weights. The kit model is `keras_rnn_kit.layers.RNN(LSTMCell(units))`
exported with `keras_rnn_kit.export.export_tflite`, once as the `WHILE` loop and once
with `fuse_lstm=True` (TFLite's fused `UNIDIRECTIONAL_SEQUENCE_LSTM` kernel).

The baseline is `keras.layers.LSTM` exported the Keras 3 way,
`model.export(path, format="litert")`. With TF 2.21 / Keras 3.15 that file contains
Select-TF (Flex) ops (`FlexTensorListReserve`), which neither `ai_edge_litert` nor a
phone without the Flex delegate can run; the record says so in `baseline_note`, and
the baseline timed is then the same Keras `LSTM` converted to builtin ops by the
kit's `export_tflite`.
"""

import os
import tempfile

import keras
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from benchmarks.timing import interleaved_medians
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.layers import RNN

SIZE = [1, 100, 32, 256]  # [batch, time, input, units]


def _model(layer, time, input_dim):
    inputs = keras.Input(batch_shape=(1, time, input_dim))
    return keras.Model(inputs, layer(inputs))


def _invoker(path, x):
    interpreter = Interpreter(model_path=path)
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]

    def invoke():
        interpreter.set_tensor(index, x)
        interpreter.invoke()

    return invoke


def run(size=SIZE, repeats=50):
    """Returns one record per kit variant (`phase="tflite"`)."""
    _, time, input_dim, units = size
    folder = tempfile.mkdtemp()
    baseline = _model(keras.layers.LSTM(units), time, input_dim)
    kit = _model(RNN(LSTMCell(units)), time, input_dim)
    kit.set_weights(baseline.get_weights())
    baseline_path = os.path.join(folder, "keras_lstm.tflite")
    baseline.export(baseline_path, format="litert", verbose=False)
    note = "keras model.export(format='litert') runs on ai_edge_litert"
    try:
        Interpreter(model_path=baseline_path).allocate_tensors()
    except RuntimeError as error:
        note = f"keras model.export(format='litert') fails on ai_edge_litert: {error}"
        note = note.split(". Make sure")[0]
        baseline_path = str(
            export_tflite(baseline, os.path.join(folder, "keras_lstm_builtins.tflite"))
        )
    paths = {
        "loop": export_tflite(kit, os.path.join(folder, "kit_loop.tflite")),
        "fused": export_tflite(
            kit, os.path.join(folder, "kit_fused.tflite"), fuse_lstm=True
        ),
    }
    x = np.random.default_rng(0).normal(size=(1, time, input_dim)).astype("float32")
    invokers = {name: _invoker(str(path), x) for name, path in paths.items()}
    invokers["baseline"] = _invoker(baseline_path, x)
    times = interleaved_medians(invokers, repeats, warmup=5)
    records = []
    for name, path in paths.items():
        records.append(
            {
                "name": f"LiteRT LSTMCell ({name}) vs Keras LSTM export",
                "kit": f"export_tflite(RNN(LSTMCell), fuse_lstm={name == 'fused'})",
                "baseline": 'keras.layers.LSTM + model.export(format="litert")',
                "phase": "tflite",
                "size": list(size),
                "kit_s": times[name],
                "baseline_s": times["baseline"],
                "speedup": times["baseline"] / times[name],
                "kit_bytes": os.path.getsize(path),
                "baseline_bytes": os.path.getsize(baseline_path),
                "baseline_note": note,
            }
        )
    return records
