"""Step time and peak memory of full against truncated BPTT as sequences grow.

Each (method, length) pair runs in its own process, so the peak resident memory it
reports (`ru_maxrss`) belongs to that configuration alone.
"""

import json
import subprocess
import sys
import textwrap

LENGTHS = [25, 50, 100, 200, 400, 800]
WINDOW = 25
BATCH, INPUT, UNITS = 64, 32, 128

_CHILD = """
import json, resource, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras, numpy as np, tensorflow as tf
from benchmarks.timing import median_seconds
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.training import TruncatedBPTT

method, length, repeats = {method!r}, {length}, {repeats}
keras.utils.set_random_seed(0)
x = np.random.normal(size=({batch}, length, {input_dim})).astype("float32")
y = np.random.normal(size=({batch}, length, 1)).astype("float32")
recurrent = RNN(LSTMCell({units}), return_sequences=True, return_state=True)
head = keras.layers.Dense(1)
if method == "truncated":
    model = TruncatedBPTT(recurrent, head, window_size={window})
else:
    inputs = keras.Input((None, {input_dim}))
    model = keras.Model(inputs, head(recurrent(inputs)[0]))
model.compile(keras.optimizers.SGD(1e-3), "mse")
model.train_on_batch(x, y)
seconds = median_seconds(lambda: model.train_on_batch(x, y), repeats, warmup=1)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb}}))
"""


def _measure(method, length, repeats):
    code = _CHILD.format(
        method=method,
        length=length,
        repeats=repeats,
        batch=BATCH,
        input_dim=INPUT,
        units=UNITS,
        window=WINDOW,
    )
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(lengths=LENGTHS, repeats=5):
    """Returns records comparing TruncatedBPTT (window 25) with full BPTT."""
    records = []
    for length in lengths:
        full = _measure("full", length, repeats)
        truncated = _measure("truncated", length, repeats)
        records.append(
            {
                "name": f"truncated BPTT (window {WINDOW}) vs full BPTT",
                "kit": f"TruncatedBPTT(window_size={WINDOW})",
                "baseline": "full BPTT (model.fit)",
                "phase": "train",
                "size": [BATCH, length, INPUT, UNITS],
                "kit_s": truncated["seconds"],
                "baseline_s": full["seconds"],
                "speedup": full["seconds"] / truncated["seconds"],
                "kit_peak_rss_mb": truncated["peak_mb"],
                "baseline_peak_rss_mb": full["peak_mb"],
            }
        )
    return records
