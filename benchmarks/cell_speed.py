"""Training-step and inference time of each kit cell against its Keras equivalent."""

import keras
import tensorflow as tf

from benchmarks.timing import interleaved_medians
from benchmarks.timing import train_step
from keras_rnn_kit import cells
from keras_rnn_kit.layers import compiled_sequence
from keras_rnn_kit.layers.rnn import RNN

# (kit cell class, Keras baseline layer class) pairs compared at every size.
PAIRS = [
    ("VanillaRNNCell", cells.VanillaRNNCell, "SimpleRNN", keras.layers.SimpleRNN),
    ("LSTMCell", cells.LSTMCell, "LSTM", keras.layers.LSTM),
    ("OriginalLSTMCell", cells.OriginalLSTMCell, "LSTM", keras.layers.LSTM),
]


# [batch, time, input, units]; the first is the large size, the last two overhead-bound.
SIZES = [[64, 100, 128, 256], [32, 100, 32, 64], [1, 100, 32, 64]]


def _infer(layer, x):
    """A traced forward pass, warmed to its steady state: the kit's first traced
    inference calls of a shape run plain ops until they have cost an XLA compile
    (`compiled_sequence.INFERENCE_TIER`), so calls are made until that tier has
    switched to the compiled program (the new-lengths section measures the
    calls before)."""
    forward = tf.function(lambda: layer(x, training=False))
    batch, time = x.shape[:2]
    tier = compiled_sequence.INFERENCE_TIER
    length = int(compiled_sequence.bucket_length(time))
    for _ in range(10_000):
        forward()
        if tier.seconds_spent(length, batch) >= tier.compile_seconds:
            break
    return lambda: forward().numpy()


def lstm_train_flops(batch, time, input_dim, units, gates=4):
    """Matmul FLOPs of one training step: forward 2·B·(I+U)·kU per step, backward 2×."""
    forward = 2 * batch * (input_dim + units) * gates * units * time
    return 3 * forward


def run(sizes=SIZES, repeats=10):
    """Returns benchmark records (see `benchmarks.__main__`).

    The kit layer is `keras_rnn_kit.layers.RNN` with its default
    `implementation="auto"`; `kit_kernel` names the kernel that choice ran
    (`"compiled"`, `"fused"` or `"loop"`). Training records also carry `kit_flops`,
    the matmul FLOPs of one kit training step.
    """
    records = []
    for batch, time, input_dim, units in sizes:
        x = tf.random.normal((batch, time, input_dim), seed=1)
        y = tf.random.normal((batch, units), seed=2)
        for kit_name, kit_class, base_name, base_class in PAIRS:
            kit = RNN(kit_class(units))
            base = base_class(units)
            for layer in (kit, base):
                layer.build((None, time, input_dim))
            for phase, make in (("train", train_step), ("infer", _infer)):
                args = (x, y) if phase == "train" else (x,)
                times = interleaved_medians(
                    {"kit": make(kit, *args), "baseline": make(base, *args)}, repeats
                )
                record = {
                    "name": f"{kit_name} vs keras.layers.{base_name}",
                    "kit": f"keras_rnn_kit.layers.RNN({kit_name})",
                    "baseline": f"keras.layers.{base_name}",
                    "phase": phase,
                    "size": [batch, time, input_dim, units],
                    "kit_s": times["kit"],
                    "baseline_s": times["baseline"],
                    "speedup": times["baseline"] / times["kit"],
                    "kit_kernel": kit.selected_kernel(x, None, phase == "train"),
                }
                if phase == "train":
                    record["kit_flops"] = lstm_train_flops(
                        batch, time, input_dim, units, gates=kit_class.gate_count
                    )
                records.append(record)
    return records


def matmul_peak_flops(n=2048, repeats=10):
    """The machine's practical float32 peak: FLOP/s of one large `tf.matmul`."""
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    multiply = tf.function(lambda: tf.matmul(a, b))
    seconds = interleaved_medians({"matmul": lambda: multiply().numpy()}, repeats)
    return 2 * n**3 / seconds["matmul"]
