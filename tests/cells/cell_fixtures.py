"""Cell factories shared by the cell tests."""

import keras
import numpy as np

from keras_rnn_kit import cells

CELL_NAMES = ["vanilla", "additive", "original_lstm", "lstm"]


def randomize_weights(layer, seed=0, scale=0.5):
    """Fills every weight of `layer` with normal noise so biases are non-zero too."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(0.0, scale, size=weight.shape).astype("float32"))


def build_rnn(name, units=5, input_dim=3, time=6, seed=0, dtype=None, **rnn_kwargs):
    """A built `keras.layers.RNN` around the named kit cell, with random weights.

    `dtype` (default: the global policy) goes to the cell and the layer alike.
    """
    cell = cells.get_cell(name, units, dtype=dtype)
    layer = keras.layers.RNN(cell, dtype=dtype, **rnn_kwargs)
    layer.build((None, time, input_dim))
    randomize_weights(layer, seed=seed)
    return layer
