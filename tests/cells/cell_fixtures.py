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


def build_rnn(name, units=5, input_dim=3, time=6, seed=0, **rnn_kwargs):
    """A built `keras.layers.RNN` around the named kit cell, with random weights."""
    layer = keras.layers.RNN(cells.get_cell(name, units), **rnn_kwargs)
    layer.build((None, time, input_dim))
    randomize_weights(layer, seed=seed)
    return layer
