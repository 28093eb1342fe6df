"""Training epochs of the five applications, kit cells against Keras's `LSTMCell`.

Each application is built and trained the way `rnnkit train` does it
(`keras_rnn_kit.applications`: the registry's offline default data, its
`build` with the kit's default sizes, `keras_rnn_kit.training.make_dataset` at the
application's batch size), on its first `examples` training examples (cached, so
every epoch sees the same examples without regenerating or reshuffling the data).
One `fit(epochs=1)` call per epoch; a later epoch's time is what `fit`'s callbacks
see, from the start of the epoch to its end (without `fit`'s per-call setup).

The baseline is the same application built from Keras built-ins. Every backbone
picks its cells by name through `keras_rnn_kit.cells.get_cell`, and the defaults
name `"lstm"` everywhere (bidirectional and stacked encoders, hierarchical
encoders, attention decoders). While the baseline is built, `"lstm"` maps to
`keras.layers.LSTMCell` instead of the kit's `LSTMCell`, which has the same
equations, gate layout and initializers. Each recurrent layer then steps a Keras
cell through `keras.layers.RNN`'s loop (the kit's `RNN` hands a cell it has no
kernel for to that loop), which is what `keras.layers.LSTM` runs on a CPU; with a
GPU, `keras.layers.LSTM` would run cuDNN instead, and this baseline is not that.
The attention decoders (translation, captioning) loop over time themselves, on
both sides, with whichever cell they hold. No other layer changes: embeddings,
attention, image encoders and heads are the same code on both sides. The
alternative, the kit's cells with `implementation="loop"`, would measure the
kit's kernels against its own step loop rather than against Keras. Before
timing, every model is checked to hold only the cell class its side should have.

Records, per application: `"first epoch"` (the whole first `fit` call of a fresh
model: setup, tracing and compiling included), `"train epoch"` (the median of
later epochs, interleaved with the baseline's) and `"loop-free bound"`: the
baseline's epoch against the same baseline with every recurrent layer's loop over
time taken out (`without_recurrent_loops`: each step's input projection is kept,
the recurrence is not), so its `speedup` is the most any recurrent kernel could
give that application (Amdahl's law) and `recurrent_share` the part of the
baseline's epoch spent in those loops. The attention decoders' own loops
(translation, captioning) are not recurrent layers and stay.
The kit caches its XLA programs process-wide, per shape, so each application runs
in a new Python process, where the kit's first epoch runs before the baseline's
(one-time costs of the process land on the kit).
"""

import contextlib
import json
import statistics
import sys
import time
from unittest import mock

import keras
import tensorflow as tf

from benchmarks.timing import in_fresh_process
from keras_rnn_kit import applications
from keras_rnn_kit import cells
from keras_rnn_kit.layers import rnn as rnn_module
from keras_rnn_kit.layers.rnn_utils import is_rnn_cell
from keras_rnn_kit.training import make_dataset

NAMES = tuple(applications.APPLICATIONS)
EXAMPLES = 512
CELL_CLASSES = {"kit": cells.LSTMCell, "baseline": keras.layers.LSTMCell}


def _subset(train, count):
    """The first `count` examples of `train` (a `tf.data` set or arrays), cached."""
    if isinstance(train, tf.data.Dataset):
        return train.take(count).cache()
    return tuple(column[:count] for column in train)


def _check_cells(model, side):
    """Raises unless every cell in `model` is `CELL_CLASSES[side]` (and one is)."""
    found = {type(layer) for layer in model._flatten_layers() if is_rnn_cell(layer)}
    if found != {CELL_CLASSES[side]}:
        raise RuntimeError(
            f"the {side} model must hold only {CELL_CLASSES[side].__name__} cells, "
            f"found {sorted(c.__name__ for c in found) or 'none'}; the comparison "
            "would not be like for like."
        )


def _loop_free_inner_loop(layer, sequences, initial_state, mask, training=False):
    """`RNN.inner_loop` without the recurrence: every step's output is
    `tanh(x_t W_i)` (the cell's input kernel, its first `units` columns), and the
    final states are the last output and zeros."""
    units = initial_state[0].shape[-1]
    outputs = tf.tanh(tf.einsum("bti,iu->btu", sequences, layer.cell.kernel[:, :units]))
    last = outputs[:, 0] if layer.go_backwards else outputs[:, -1]
    return last, outputs, [last, *(tf.zeros_like(s) for s in initial_state[1:])]


@contextlib.contextmanager
def without_recurrent_loops():
    """Within it, every `keras_rnn_kit.layers.RNN` (which the applications'
    recurrent layers and structures are built from) traces without its loop over
    time (`_loop_free_inner_loop`); yields a dict whose `"calls"` counts the
    layers so traced."""
    traced = {"calls": 0}

    def inner_loop(layer, *args, **kwargs):
        traced["calls"] += 1
        return _loop_free_inner_loop(layer, *args, **kwargs)

    with mock.patch.object(rnn_module.RNN, "inner_loop", inner_loop):
        yield traced


def _build(app, task, tiny, side, seed):
    keras.utils.set_random_seed(seed)
    cell_class = {"lstm": CELL_CLASSES[side]}
    with mock.patch.dict(cells.CELLS, cell_class):
        model = app.build(task, tiny)
    _check_cells(model, side)
    return model


class _EpochTimer(keras.callbacks.Callback):
    """Keeps the duration of the last epoch in `seconds`."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def _epoch(model, dataset):
    """A callable that trains `model` one epoch and returns the epoch's seconds."""
    timer = _EpochTimer()

    def run_epoch():
        model.fit(dataset, epochs=1, verbose=0, callbacks=[timer])
        return timer.seconds

    return run_epoch


def measure(name, examples, repeats, tiny, seed=0):
    """Times one application on both sides (call it in a fresh process: see the
    module docstring). Returns `{"first": {"kit": s, "baseline": s, "loop_free":
    s}, "steady": {...}, "batches": n, "batch_size": b, "recurrent_layers_traced":
    n}`, seconds per epoch; `"loop_free"` is the baseline traced
    `without_recurrent_loops`, and the count how many recurrent layers it traced
    so."""
    app = applications.get_application(name)
    task = app.load(None, tiny, seed)
    epochs, batches = {}, None
    for side in ("kit", "baseline", "loop_free"):
        model = _build(app, task, tiny, "kit" if side == "kit" else "baseline", seed)
        dataset, batches = make_dataset(_subset(task.train, examples), app.batch_size)
        epochs[side] = _epoch(model, dataset)
    first = {side: _seconds(epochs[side]) for side in ("kit", "baseline")}
    loop_free = epochs["loop_free"]
    with without_recurrent_loops() as traced:
        first["loop_free"] = _seconds(loop_free)

    def loop_free_epoch():
        with without_recurrent_loops():
            return loop_free()

    epochs["loop_free"] = loop_free_epoch
    later = {side: [] for side in epochs}
    for _ in range(repeats):
        for side, run_epoch in epochs.items():
            later[side].append(run_epoch())
    return {
        "first": first,
        "steady": {side: statistics.median(times) for side, times in later.items()},
        "batches": batches,
        "batch_size": app.batch_size,
        "recurrent_layers_traced": traced["calls"],
    }


def _seconds(run_epoch):
    start = time.perf_counter()
    run_epoch()
    return time.perf_counter() - start


def run(names=NAMES, examples=EXAMPLES, repeats=3, tiny=False):
    """Returns a `"first epoch"` and a `"train epoch"` record per application.

    Args:
        names: application names (`keras_rnn_kit.applications.APPLICATIONS`).
        examples: training examples per epoch (fewer if the data has fewer).
        repeats: later epochs timed per side (the median is reported).
        tiny: the applications' tiny data and models (seconds; for tests).

    Returns:
        Records whose `kit_s` and `baseline_s` are seconds per epoch.
    """
    records = []
    for name in names:
        times = in_fresh_process(
            __name__, name=name, examples=examples, repeats=repeats, tiny=tiny
        )
        size = f"{times['batches']} x {times['batch_size']} examples" + (
            " (tiny)" if tiny else ""
        )
        for phase, key in (("first epoch", "first"), ("train epoch", "steady")):
            records.append(
                {
                    "name": f"{name} application vs Keras LSTMCell",
                    "kit": f"{name}, kit defaults (keras_rnn_kit LSTMCell)",
                    "baseline": f"{name} with keras.layers.LSTMCell",
                    "phase": phase,
                    "size": size,
                    "kit_s": times[key]["kit"],
                    "baseline_s": times[key]["baseline"],
                    "speedup": times[key]["baseline"] / times[key]["kit"],
                }
            )
        steady = times["steady"]
        records.append(
            {
                "name": f"{name} application vs Keras LSTMCell",
                "kit": f"{name} with keras.layers.LSTMCell, recurrent loops taken out",
                "baseline": f"{name} with keras.layers.LSTMCell",
                "phase": "loop-free bound",
                "size": size,
                "kit_s": steady["loop_free"],
                "baseline_s": steady["baseline"],
                "speedup": steady["baseline"] / steady["loop_free"],
                "recurrent_share": 1.0 - steady["loop_free"] / steady["baseline"],
                "recurrent_layers_traced": times["recurrent_layers_traced"],
            }
        )
    return records


if __name__ == "__main__":
    print(json.dumps(measure(**json.loads(sys.argv[1]))))
