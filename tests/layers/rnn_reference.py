"""Numpy references for the structure layers, built on the cell equations."""

import keras
import numpy as np
import tensorflow as tf

from tests.cells.numpy_reference import STEPS


def cell_weights(cell):
    """`[kernel, recurrent_kernel, bias]` of a built kit cell, as float64 numpy."""
    return [np.asarray(w, dtype="float64") for w in cell.get_weights()]


def run_cell(name, inputs, weights, initial_states=None, state_count=None):
    """Runs a kit cell's numpy step over `inputs` `(batch, time, features)`.

    Args:
        name: cell short name (`"vanilla"`, `"lstm"`, ...).
        inputs: numpy array, no padding.
        weights: `[kernel, recurrent_kernel, bias]`.
        initial_states: optional list of `(batch, units)` arrays.
        state_count: number of states when `initial_states` is None.

    Returns:
        `(outputs (batch, time, units), final states list)`.
    """
    kernel, recurrent_kernel, bias = weights
    units = recurrent_kernel.shape[0]
    if initial_states is None:
        initial_states = [np.zeros((inputs.shape[0], units))] * state_count
    states = [np.asarray(s, "float64") for s in initial_states]
    outputs = []
    for t in range(inputs.shape[1]):
        h, states = STEPS[name](inputs[:, t], *states, kernel, recurrent_kernel, bias)
        outputs.append(h)
    return np.stack(outputs, axis=1), states


STATE_COUNTS = {"vanilla": 1, "additive": 2, "original_lstm": 2, "lstm": 2}


def run_stack(names, inputs, weight_lists, residual=False, initial_states=None):
    """A stacked RNN in numpy: `h^l = cell_l(h^{l-1}) (+ h^{l-1} if residual)`.

    The first layer's skip applies only when the widths match (the layer's rule).

    Returns:
        `(top outputs (batch, time, units), flat list of every layer's states)`.
    """
    x = np.asarray(inputs, "float64")
    flat_states, start = [], 0
    for name, weights in zip(names, weight_lists, strict=True):
        count = STATE_COUNTS[name]
        init = None
        if initial_states is not None:
            init = initial_states[start : start + count]
        start += count
        y, states = run_cell(name, x, weights, init, state_count=count)
        if residual and y.shape[-1] == x.shape[-1]:
            y = y + x
        flat_states.extend(states)
        x = y
    return x, flat_states


def pad_with_garbage(rows, length, rng, scale=10.0):
    """Right-pads `(time_i, features)` rows to `length` with large random values.

    Returns:
        `(padded (batch, length, features) float32, mask (batch, length) bool)`.
    """
    features = rows[0].shape[-1]
    padded = rng.normal(0.0, scale, size=(len(rows), length, features))
    mask = np.zeros((len(rows), length), bool)
    for i, row in enumerate(rows):
        padded[i, : len(row)] = row
        mask[i, : len(row)] = True
    return padded.astype("float32"), mask


def values_and_gradients(layer, x, states, seed, mask=None, training=False):
    """Outputs and final states of `layer(x, initial_state=states)`, and the
    gradient of a random linear loss of all of them (seeded by `seed`) w.r.t. the
    inputs, the initial states and every weight."""
    rng = np.random.default_rng(seed)
    with tf.GradientTape() as tape:
        tape.watch([x, *states])
        results = keras.tree.flatten(
            layer(x, initial_state=states, mask=mask, training=training)
        )
        loss = sum(
            tf.reduce_sum(r * rng.normal(size=r.shape).astype("float32"))
            for r in results
        )
    return results, tape.gradient(loss, [x, *states, *layer.trainable_weights])


def assert_same_values_and_gradients(reference, layer, x, states, seed, **kwargs):
    """`layer` equals `reference` to 1e-5: outputs, final states and the gradients
    of `values_and_gradients` (`kwargs`: its `mask` and `training`)."""
    want = values_and_gradients(reference, x, states, seed, **kwargs)
    got = values_and_gradients(layer, x, states, seed, **kwargs)
    assert len(got[1]) == 1 + len(states) + len(reference.trainable_weights)
    for got_part, want_part in zip(got, want, strict=True):
        for g, w in zip(got_part, want_part, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
