"""`python -m benchmarks.gpu_checks [--tiny] [--out PATH]`: the kit LSTM on a GPU.

Two parts, in one process:

1. Correctness. `keras_rnn_kit.layers.RNN(LSTMCell(units))` with its default
   `implementation="auto"` (cuDNN on a GPU) against the same layer with
   `implementation="loop"` and the same weights, for every mask shape the kit's
   structures produce (`MASKS`), each with `go_backwards` False and True and
   `return_sequences` True and False (`return_state` always), plus one
   `HierarchicalRNN` with empty segments and one `BidirectionalRNN` over a padded
   batch. Each case runs under `tf.function` (as training does) and compares the
   outputs at real steps, the final states, and the gradients of a random linear
   loss of both w.r.t. the inputs and every weight. A difference is
   `max |auto - loop| / max(1, max |loop|)` per tensor: the absolute difference,
   relative only for values beyond 1 (large weight gradients). A case passes
   when every difference is at most `TOLERANCE`. TF32 is off for this part.
2. Timing, on a GPU only: a training step (forward, backward, SGD update) of the
   kit layer and of `keras.layers.LSTM` (cuDNN) at (batch, time, input, units) =
   (64, 100, 128, 256), and of an `Embedding(mask_zero=True)` -> LSTM -> `Dense`
   model on ragged lengths 10-100 (batch 32, units 64), reported as
   `speedup = keras_s / kit_s` (> 1: the kit is faster).

Every case runs, whatever earlier ones did; the exit status is 1 if any case
fails or raises. Results go to `--out` as JSON and to stdout as a table.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.timing import interleaved_medians  # noqa: E402
from benchmarks.timing import train_step  # noqa: E402
from keras_rnn_kit.cells import LSTMCell  # noqa: E402
from keras_rnn_kit.layers import RNN  # noqa: E402
from keras_rnn_kit.layers import BidirectionalRNN  # noqa: E402
from keras_rnn_kit.layers import HierarchicalRNN  # noqa: E402

TOLERANCE = 1e-4
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "results", "gpu_checks.json"
)
# none: no mask; right_padded / left_padded: varied lengths, one row full;
# empty_row: right-padded with one row of padding only; full_length: all True.
MASKS = ("none", "right_padded", "left_padded", "empty_row", "full_length")
# check: (batch, time, input, units) of the correctness cases; train: the same
# for the training step; ragged: (batch, shortest, longest, units) of the
# Embedding -> LSTM model.
SIZES = {
    "full": {
        "check": (8, 20, 32, 64),
        "train": (64, 100, 128, 256),
        "ragged": (32, 10, 100, 64),
        "repeats": 20,
    },
    "tiny": {
        "check": (5, 6, 3, 4),
        "train": (4, 8, 3, 5),
        "ragged": (4, 2, 8, 5),
        "repeats": 2,
    },
}
VOCABULARY = 1000


def make_mask(kind, batch, time):
    """The `(batch, time)` bool mask of `kind` (one of `MASKS`), None for "none"."""
    if kind == "none":
        return None
    lengths = np.linspace(time, 1, batch).round().astype(int)
    if kind == "full_length":
        lengths[:] = time
    if kind == "empty_row":
        lengths[batch // 2] = 0
    steps = np.arange(time)[None, :]
    if kind == "left_padded":
        return steps >= time - lengths[:, None]
    return steps < lengths[:, None]


def padded_inputs(shape, mask, rng):
    """Normal inputs with large garbage wherever `mask` (broadcast) is False."""
    x = rng.normal(size=shape)
    if mask is not None:
        garbage = rng.normal(0.0, 10.0, size=shape)
        x = np.where(mask[..., None], x, garbage)
    return tf.constant(x, "float32")


def lstm_case(size, mask_kind, go_backwards, return_sequences, rng):
    """A case: `RNN(LSTMCell)` over a batch with a `mask_kind` mask."""
    batch, time, input_dim, units = size
    mask = make_mask(mask_kind, batch, time)
    sequence_mask = None
    if return_sequences and mask is not None:
        # A backward layer returns its sequence in processing order.
        sequence_mask = np.flip(mask, axis=1).copy() if go_backwards else mask

    def make(implementation):
        return RNN(
            LSTMCell(units),
            implementation=implementation,
            go_backwards=go_backwards,
            return_sequences=return_sequences,
            return_state=True,
        )

    return {
        "name": f"lstm mask={mask_kind} go_backwards={go_backwards} "
        f"return_sequences={return_sequences}",
        "make": make,
        "inputs": padded_inputs((batch, time, input_dim), mask, rng),
        "call_kwargs": {} if mask is None else {"mask": tf.constant(mask)},
        "sequence_mask": sequence_mask,
    }


def hierarchical_case(size, rng):
    """A case: `HierarchicalRNN` of two LSTMs, with empty segments and documents."""
    _, time, input_dim, units = size
    # Tokens per segment: trailing empty segments, and a document with none.
    lengths = np.array([[time, 2, 1, 0], [1, 0, 0, 0], [time] * 4, [0, 0, 0, 0]])
    padding_mask = np.arange(time)[None, None, :] < lengths[..., None]

    def make(implementation):
        return HierarchicalRNN(
            RNN(LSTMCell(units), implementation=implementation),
            RNN(LSTMCell(units), implementation=implementation),
        )

    return {
        "name": "HierarchicalRNN(LSTM, LSTM) with empty segments",
        "make": make,
        "inputs": padded_inputs((*lengths.shape, time, input_dim), padding_mask, rng),
        "call_kwargs": {"padding_mask": tf.constant(padding_mask)},
        "sequence_mask": None,
    }


def bidirectional_case(size, rng):
    """A case: `BidirectionalRNN(LSTM)` sequences and states over a padded batch."""
    batch, time, input_dim, units = size
    mask = make_mask("right_padded", batch, time)

    def make(implementation):
        return BidirectionalRNN(
            RNN(LSTMCell(units), implementation=implementation),
            return_sequences=True,
            return_state=True,
        )

    return {
        "name": "BidirectionalRNN(LSTM) right-padded",
        "make": make,
        "inputs": padded_inputs((batch, time, input_dim), mask, rng),
        "call_kwargs": {"mask": tf.constant(mask)},
        "sequence_mask": mask,
    }


def values_and_gradients(layer, inputs, call_kwargs, sequence_mask):
    """Outputs of `layer` under `tf.function`, and the gradients of a seeded
    random linear loss of them (the first output at real steps only) w.r.t. the
    inputs and every trainable weight."""

    @tf.function
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            results = tf.nest.flatten(layer(x, **call_kwargs))
            loss = 0.0
            for index, result in enumerate(results):
                weights = tf.random.stateless_normal(tf.shape(result), (index, 0))
                if index == 0 and sequence_mask is not None:
                    weights *= tf.cast(sequence_mask, weights.dtype)[:, :, None]
                loss += tf.reduce_sum(result * weights)
        return results, tape.gradient(loss, [x, *layer.trainable_weights])

    results, gradients = run(inputs)
    return [np.asarray(r) for r in results], [np.asarray(g) for g in gradients]


def max_difference(got, want, where=None):
    """`max |got - want| / max(1, max |want|)` over the positions `where`."""
    if where is not None:
        got, want = got[where], want[where]
    if want.size == 0:
        return 0.0
    scale = max(1.0, float(np.abs(want).max()))
    return float(np.abs(got - want).max()) / scale


def compare(case, rng):
    """Runs one case: `"auto"` against `"loop"` with the same random weights."""
    auto, loop = case["make"]("auto"), case["make"]("loop")
    for layer in (auto, loop):
        layer.build(tuple(case["inputs"].shape))
    for weight in auto.trainable_weights:
        weight.assign(rng.normal(0.0, 0.3, size=weight.shape).astype("float32"))
    loop.set_weights(auto.get_weights())
    args = (case["inputs"], case["call_kwargs"], case["sequence_mask"])
    got_values, got_gradients = values_and_gradients(auto, *args)
    want_values, want_gradients = values_and_gradients(loop, *args)
    real = padded = None
    if case["sequence_mask"] is not None:
        real = np.asarray(case["sequence_mask"])
        padded = ~real
    record = {
        "output_max_diff": max_difference(got_values[0], want_values[0], real),
        # Information only: at padded steps cuDNN returns zeros where the Keras
        # loop repeats the last real output (unless `zero_output_for_mask`).
        "padded_output_max_diff": None
        if padded is None
        else max_difference(got_values[0], want_values[0], padded),
        "state_max_diff": max(
            (
                max_difference(g, w)
                for g, w in zip(got_values[1:], want_values[1:], strict=True)
            ),
            default=0.0,
        ),
        "gradient_max_diff": max(
            max_difference(g, w)
            for g, w in zip(got_gradients, want_gradients, strict=True)
        ),
    }
    if isinstance(auto, RNN):
        record["auto_kernel"] = auto.selected_kernel(
            case["inputs"], case["call_kwargs"].get("mask")
        )
    record["max_diff"] = max(
        record["output_max_diff"], record["state_max_diff"], record["gradient_max_diff"]
    )
    return record


def correctness_cases(size, rng):
    """Every correctness case at `size` (see the module docstring)."""
    cases = [
        lstm_case(size, mask_kind, go_backwards, return_sequences, rng)
        for mask_kind in MASKS
        for go_backwards in (False, True)
        for return_sequences in (True, False)
    ]
    return cases + [hierarchical_case(size, rng), bidirectional_case(size, rng)]


def run_checks(size, tolerance=TOLERANCE):
    """Runs every correctness case, catching errors per case.

    Returns:
        One record per case: `name`, `status` (`"PASS"`, `"FAIL"` or `"ERROR"`),
        the differences of `compare` (or `error`), and `tolerance`.
    """
    rng = np.random.default_rng(0)
    records = []
    for case in correctness_cases(size, rng):
        record = {"name": case["name"], "tolerance": tolerance}
        try:
            record.update(compare(case, rng))
            record["status"] = "PASS" if record["max_diff"] <= tolerance else "FAIL"
        except Exception as error:  # One crash must not hide the other cases.
            record["status"] = "ERROR"
            record["error"] = f"{type(error).__name__}: {error}"[:600]
        records.append(record)
    return records


def ragged_model(recurrent, units):
    """`Embedding(mask_zero=True)` -> `recurrent` -> `Dense(1)` over token ids."""
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(VOCABULARY, units, mask_zero=True),
            recurrent,
            keras.layers.Dense(1),
        ]
    )


def timing_pairs(sizes):
    """`(name, size, kit model, keras model, inputs, target)` of each timing."""
    rng = np.random.default_rng(1)
    batch, time, input_dim, units = sizes["train"]
    kit, base = RNN(LSTMCell(units)), keras.layers.LSTM(units)
    for layer in (kit, base):
        layer.build((None, time, input_dim))
    x = tf.constant(rng.normal(size=(batch, time, input_dim)), "float32")
    y = tf.constant(rng.normal(size=(batch, units)), "float32")
    yield "train step", list(sizes["train"]), kit, base, x, y
    batch, shortest, longest, units = sizes["ragged"]
    lengths = rng.integers(shortest, longest + 1, size=batch)
    ids = rng.integers(1, VOCABULARY, size=(batch, longest))
    ids = np.where(np.arange(longest)[None, :] < lengths[:, None], ids, 0)
    kit = ragged_model(RNN(LSTMCell(units)), units)
    base = ragged_model(keras.layers.LSTM(units), units)
    y = tf.constant(rng.normal(size=(batch, 1)), "float32")
    name = f"Embedding(mask_zero) -> LSTM, lengths {shortest}-{longest}"
    yield name, list(sizes["ragged"]), kit, base, tf.constant(ids, "int32"), y


def run_timing(sizes, repeats):
    """Times each training step, kit against `keras.layers.LSTM`.

    Returns:
        One record per timing: `name`, `size`, `kit_s`, `keras_s`, `speedup`
        (`keras_s / kit_s`) and `status`, or `error` with status `"ERROR"`.
    """
    records = []
    for name, size, kit, base, inputs, target in timing_pairs(sizes):
        record = {"name": name, "size": size}
        try:
            times = interleaved_medians(
                {
                    "kit": train_step(kit, inputs, target),
                    "keras": train_step(base, inputs, target),
                },
                repeats,
            )
            record.update(
                kit_s=times["kit"],
                keras_s=times["keras"],
                speedup=times["keras"] / times["kit"],
                status="PASS",
            )
        except Exception as error:  # Report it, then time the next.
            record.update(
                status="ERROR", error=f"{type(error).__name__}: {error}"[:600]
            )
        records.append(record)
    return records


def device_info():
    """The GPUs TensorFlow sees, and the library versions."""
    gpus = tf.config.list_physical_devices("GPU")
    build = tf.sysconfig.get_build_info()
    return {
        "gpus": [
            tf.config.experimental.get_device_details(g).get("device_name", g.name)
            for g in gpus
        ],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cuda": build.get("cuda_version"),
        "cudnn": build.get("cudnn_version"),
    }


def format_table(results):
    """A readable table of `results` (the JSON document)."""
    lines = [f"device: {results['device']}", ""]
    lines.append(
        f"{'case':<66} {'kernel':<8} {'output':>9} {'state':>9} "
        f"{'gradient':>9} {'padded*':>9}  status"
    )
    for r in results["checks"]:
        if r["status"] == "ERROR":
            lines.append(f"{r['name']:<66} ERROR  {r['error'][:200]}")
            continue
        padded = r["padded_output_max_diff"]
        lines.append(
            f"{r['name']:<66} {r.get('auto_kernel', '-'):<8} "
            f"{r['output_max_diff']:9.1e} {r['state_max_diff']:9.1e} "
            f"{r['gradient_max_diff']:9.1e} "
            f"{'-' if padded is None else f'{padded:.1e}':>9}  {r['status']}"
        )
    lines.append(
        f"* outputs at padded steps, information only. Tolerance {TOLERANCE:g}, "
        "TF32 off."
    )
    lines.append("")
    if results["timing_skipped"]:
        lines.append(f"timing skipped: {results['timing_skipped']}")
    for r in results["timing"]:
        if r["status"] == "ERROR":
            lines.append(f"timing {r['name']}: ERROR {r['error'][:200]}")
            continue
        lines.append(
            f"timing {r['name']} {r['size']}: kit {r['kit_s'] * 1e3:.2f} ms, "
            f"keras.layers.LSTM {r['keras_s'] * 1e3:.2f} ms, "
            f"speedup (keras / kit) {r['speedup']:.2f}"
        )
    return "\n".join(lines)


def main(argv=None):
    """Runs both parts, writes the JSON, prints the table; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_checks",
        description="The kit LSTM's default kernel against the step loop, and "
        "timed against keras.layers.LSTM, on a GPU.",
        epilog="Example: python -m benchmarks.gpu_checks --tiny --out /tmp/g.json",
    )
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, 2 repeats")
    parser.add_argument("--out", default=OUT, help="path of the JSON results")
    args = parser.parse_args(argv)
    sizes = SIZES["tiny" if args.tiny else "full"]
    # Each case traces its own `tf.function`: silence the retracing warnings.
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(0)
    tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        checks = run_checks(sizes["check"])
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(tf32)
    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    results = {
        "device": device_info(),
        "tiny": args.tiny,
        "tolerance": TOLERANCE,
        "tf32": {"checks": False, "timing": tf32},
        "checks": checks,
        "timing": run_timing(sizes, sizes["repeats"]) if on_gpu else [],
        "timing_skipped": None if on_gpu else "no GPU found",
    }
    failed = [
        r["name"]
        for r in results["checks"] + results["timing"]
        if r["status"] != "PASS"
    ]
    results["passed"] = not failed
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print(format_table(results))
    print(f"{len(failed)} failed; results written to {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
