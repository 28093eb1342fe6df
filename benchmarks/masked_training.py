"""Training a masked bidirectional LSTM on ragged, length-bucketed batches.

The model is the usual text classifier, `Embedding(1000, units, mask_zero=True)` ->
`keras.layers.Bidirectional(<LSTM, units>)` -> `Dense(1, sigmoid)`, trained with
`train_on_batch` (Adam, binary cross-entropy). The kit side wraps
`keras_rnn_kit.layers.RNN(LSTMCell(units))` with its default `implementation`, the
baseline `keras.layers.LSTM(units)`; both start from the same weights.

Data: sequence lengths drawn uniformly from `lengths` (10-100), token ids right-padded
with 0, so every step runs with a padding mask. As `tf.data`'s
`bucket_by_sequence_length` does, sequences are grouped by length before batching
and each batch is padded to its own longest sequence: an epoch meets about as many
time lengths as it has batches (in a shuffled order), and a kernel compiled per
shape compiles many times in its first epoch.

Two records: `"first epoch"`, one pass over the batches from a fresh model (tracing
and compiling included), and `"train epoch"`, the median of later passes,
interleaved with the baseline. The kit caches its XLA programs process-wide, so
the measurement runs in a new Python process; there, after one tiny training step
of each model kind (batch 2, which warms TensorFlow and Keras but compiles nothing
the measured batches reuse), the kit's first epoch runs before the baseline's.
"""

import json
import sys
import time

import keras
import numpy as np

from benchmarks.timing import in_fresh_process
from benchmarks.timing import interleaved_medians
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.layers import RNN

VOCABULARY = 1000
UNITS = 64  # embedding width and LSTM units (per direction)
BATCH, BATCHES = 32, 20
LENGTHS = (10, 100)  # shortest and longest sequence, inclusive


def bucketed_batches(batch, batches, lengths=LENGTHS, seed=0):
    """Returns `batches` `(token_ids, labels)` pairs of ragged, right-padded text.

    Args:
        batch: sequences per batch.
        batches: number of batches.
        lengths: `(shortest, longest)` sequence length, drawn uniformly.
        seed: seed of the lengths, tokens, labels and batch order.

    Returns:
        A list of `(int32 (batch, time_b), float32 (batch, 1))` pairs; `time_b` is
        the longest sequence of batch `b`, and id 0 marks padding.
    """
    rng = np.random.default_rng(seed)
    sizes = np.sort(rng.integers(lengths[0], lengths[1] + 1, batch * batches))
    data = []
    for group in rng.permutation(np.split(sizes, batches)):
        token_ids = np.zeros((batch, group.max()), "int32")
        for row, size in enumerate(group):
            token_ids[row, :size] = rng.integers(1, VOCABULARY, size)
        data.append((token_ids, rng.integers(0, 2, (batch, 1)).astype("float32")))
    return data


def _classifier(side, units):
    recurrent = RNN(LSTMCell(units)) if side == "kit" else keras.layers.LSTM(units)
    token_ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(VOCABULARY, units, mask_zero=True)(token_ids)
    x = keras.layers.Bidirectional(recurrent)(x)
    model = keras.Model(token_ids, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _epoch(model, data):
    def run_epoch():
        for token_ids, labels in data:
            model.train_on_batch(token_ids, labels)

    return run_epoch


def measure(batch, batches, lengths, units, repeats):
    """Times both models (call it in a fresh process: see the module docstring).

    Returns:
        `{"first": {"kit": s, "baseline": s}, "steady": {...}}`, seconds per pass.
    """
    keras.utils.set_random_seed(0)
    for side in ("kit", "baseline"):
        _epoch(_classifier(side, units), bucketed_batches(2, 1, (5, 5)))()
    data = bucketed_batches(batch, batches, lengths)
    models = {side: _classifier(side, units) for side in ("kit", "baseline")}
    models["kit"].set_weights(models["baseline"].get_weights())
    epochs = {side: _epoch(model, data) for side, model in models.items()}
    first = {}
    for side, run_epoch in epochs.items():
        start = time.perf_counter()
        run_epoch()
        first[side] = time.perf_counter() - start
    return {"first": first, "steady": interleaved_medians(epochs, repeats, warmup=0)}


def run(batch=BATCH, batches=BATCHES, lengths=LENGTHS, units=UNITS, repeats=5):
    """Returns a `"first epoch"` and a `"train epoch"` record (see the module
    docstring); `kit_s` and `baseline_s` are seconds per pass over all batches."""
    times = in_fresh_process(
        __name__,
        batch=batch,
        batches=batches,
        lengths=list(lengths),
        units=units,
        repeats=repeats,
    )
    return [
        {
            "name": "masked BiLSTM training vs keras.layers.LSTM",
            "kit": f"Bidirectional(keras_rnn_kit.layers.RNN(LSTMCell({units})))",
            "baseline": f"Bidirectional(keras.layers.LSTM({units}))",
            "phase": phase,
            "size": f"[{batch}, {lengths[0]}-{lengths[1]}, {units}, {units}]",
            "batches": batches,
            "kit_s": times[key]["kit"],
            "baseline_s": times[key]["baseline"],
            "speedup": times[key]["baseline"] / times[key]["kit"],
        }
        for phase, key in (("first epoch", "first"), ("train epoch", "steady"))
    ]


if __name__ == "__main__":
    print(json.dumps(measure(**json.loads(sys.argv[1]))))
