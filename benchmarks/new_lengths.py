"""Inference on single sequences of lengths a model has not seen yet, compile included.

A served text model meets a new length with almost every request. This section
sends 19 sequences of 19 distinct lengths (5, 10, ..., 95), batch 1, through a fresh
`Embedding(1000, units, mask_zero=True)` -> `<LSTM, units>` -> `Dense(1)` model and
times the whole run, tracing and compiling included: the kit's
`keras_rnn_kit.layers.RNN(LSTMCell(units))` (default `implementation`) against
`keras.layers.LSTM(units)`, with the same weights.

Two phases: `"predict"` (`model.predict`, whose `tf.function` Keras retraces with
relaxed shapes) and `"call"` (`model(x)`, eager). The kit caches its XLA programs
process-wide, per shape, and counts its traced inference time per shape
process-wide too (`CompileWhenRepaid`), so a second model in the same process
would find the lengths compiled or paid for already: every repeat of every phase
runs in a new Python process. There, one call of each model kind at batch 2 first
warms TensorFlow, Keras and the XLA compiler without compiling anything the
batch-1 run reuses; then fresh models run the lengths, the kit first in even
repeats and the baseline first in odd ones. The record holds the median total
over repeats.
"""

import json
import statistics
import sys
import time

import keras
import numpy as np

from benchmarks.timing import in_fresh_process
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.layers import RNN

VOCABULARY = 1000
UNITS = 64
LENGTHS = tuple(range(5, 100, 5))

CALLS = {
    "predict": lambda model, x: model.predict(x, verbose=0),
    "call": lambda model, x: model(x).numpy(),
}


def _model(side, units):
    recurrent = RNN(LSTMCell(units)) if side == "kit" else keras.layers.LSTM(units)
    token_ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(VOCABULARY, units, mask_zero=True)(token_ids)
    return keras.Model(token_ids, keras.layers.Dense(1)(recurrent(x)))


def measure(phase, lengths, units, kit_first):
    """Times both models over `lengths` (call it in a fresh process: see the
    module docstring). Returns `{"kit": seconds, "baseline": seconds}`."""
    call = CALLS[phase]
    keras.utils.set_random_seed(0)
    for side in ("kit", "baseline"):
        call(_model(side, units), np.ones((2, 7), "int32"))
    rng = np.random.default_rng(0)
    sequences = [rng.integers(1, VOCABULARY, (1, n)).astype("int32") for n in lengths]
    models = {side: _model(side, units) for side in ("kit", "baseline")}
    models["kit"].set_weights(models["baseline"].get_weights())
    seconds = {}
    for side in ("kit", "baseline") if kit_first else ("baseline", "kit"):
        start = time.perf_counter()
        for x in sequences:
            call(models[side], x)
        seconds[side] = time.perf_counter() - start
    return seconds


def run(lengths=LENGTHS, units=UNITS, repeats=3, phases=tuple(CALLS)):
    """Returns one record per phase (`"predict"`, `"call"`); `kit_s` and
    `baseline_s` are the seconds for all `lengths`, compiles included."""
    records = []
    for phase in phases:
        runs = [
            in_fresh_process(
                __name__,
                timeout=1800,
                phase=phase,
                lengths=list(lengths),
                units=units,
                kit_first=not r % 2,
            )
            for r in range(repeats)
        ]
        kit_s = statistics.median(t["kit"] for t in runs)
        baseline_s = statistics.median(t["baseline"] for t in runs)
        records.append(
            {
                "name": "new lengths, batch 1 vs keras.layers.LSTM",
                "kit": f"keras_rnn_kit.layers.RNN(LSTMCell({units}))",
                "baseline": f"keras.layers.LSTM({units})",
                "phase": phase,
                "size": f"[1, {len(lengths)} lengths {min(lengths)}-{max(lengths)}, "
                f"{units}, {units}]",
                "lengths": list(lengths),
                "kit_s": kit_s,
                "baseline_s": baseline_s,
                "speedup": baseline_s / kit_s,
            }
        )
    return records


if __name__ == "__main__":
    print(json.dumps(measure(**json.loads(sys.argv[1]))))
