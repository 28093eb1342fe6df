"""Keras's own LSTM kernel (cuDNN on a GPU) run on the kit `LSTMCell`'s weights.

On a GPU, `keras.layers.LSTM` runs NVIDIA's cuDNN LSTM, which no step loop or
XLA program matches there. The kit's `LSTMCell` holds the very same weights in
the very same layout (`kernel`, `recurrent_kernel`, `bias`, gates `[i, f, g, o]`),
so `keras_lstm_twin` builds a `keras.layers.LSTM` that computes with those
variables and owns none, and `keras_rnn_kit.layers.RNN` calls its `inner_loop`:
on a GPU that is cuDNN (masks of right-padded sequences included, as Keras
documents), elsewhere Keras's step loop. Either way the result is
`keras.layers.LSTM`'s with the cell's weights, so a test on a CPU checks the
weight hand-over (which is all this module adds) to 1e-5.
"""

import keras

from keras_rnn_kit.cells.lstm_cell import LSTMCell
from keras_rnn_kit.layers.compiled_sequence import compilable


def keras_lstm_applies(cell):
    """Whether `keras.layers.LSTM` computes exactly what `cell` computes."""
    return type(cell) is LSTMCell and cell.use_bias and compilable(cell)


def keras_lstm_twin(layer):
    """A `keras.layers.LSTM` that computes with `layer.cell`'s variables.

    Create it outside `tf.function` (e.g. in `build`): a Keras LSTM cell makes a
    seed-generator variable when constructed. Keep it out of `layer`'s tracked
    attributes, so that it adds nothing to `layer.weights`.

    Args:
        layer: a `keras_rnn_kit.layers.RNN` whose built cell passes
            `keras_lstm_applies`.

    Returns:
        The built `keras.layers.LSTM`; it owns no weights of its own.

    Example:

    >>> from keras_rnn_kit.cells import LSTMCell
    >>> from keras_rnn_kit.layers import RNN
    >>> layer = RNN(LSTMCell(4))
    >>> layer.build((None, 5, 3))
    >>> keras_lstm_twin(layer).cell.kernel is layer.cell.kernel
    True
    """
    cell = layer.cell
    twin = keras.layers.LSTM(
        cell.units,
        return_sequences=layer.return_sequences,
        go_backwards=layer.go_backwards,
        unroll=layer.unroll,
        dtype=layer.dtype_policy,
        name=f"{layer.name}_keras_lstm",
    )
    twin.cell.kernel = cell.kernel
    twin.cell.recurrent_kernel = cell.recurrent_kernel
    twin.cell.bias = cell.bias
    twin.cell.built = True
    twin.built = True
    return twin
