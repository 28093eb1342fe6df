"""The vanilla (Elman) RNN cell."""

import keras

from keras_rnn_kit.cells.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VanillaRNNCell(RecurrentCell):
    """The vanilla RNN cell: `h_t = tanh(W [x_t; h_{t-1}] + b)`.

    Written with the two halves of `W` kept apart, as Keras does:

        h_t = activation(x_t W + h_{t-1} U + b)

    The hidden state is also the output. Weights: `kernel` `(input_dim, units)`,
    `recurrent_kernel` `(units, units)`, `bias` `(units,)`; state `[h]`. It is a drop-in
    for `keras.layers.SimpleRNNCell` (same keyword arguments and weight layout).

    Args:
        units: int > 0, width of `h`.
        activation: default `"tanh"`.
        **kwargs: see `RecurrentCell` (initializers, regularizers, constraints,
            `dropout`, `recurrent_dropout`, `seed`, `use_bias`).

    Call arguments:
        inputs: `(batch, input_dim)` float tensor, `x_t`.
        states: `[h_{t-1}]`, each `(batch, units)`.
        training: bool, whether dropout is applied.

    Returns:
        `(h_t, [h_t])`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import VanillaRNNCell
    >>> layer = keras.layers.RNN(VanillaRNNCell(8))
    >>> layer(np.zeros((2, 5, 3), "float32")).shape  # (batch, units)
    TensorShape([2, 8])

    Reference:
        Elman, "Finding structure in time", Cognitive Science 1990.
    """

    gate_count = 1
    state_count = 1

    def call(self, inputs, states, training=False):
        h_tm1 = states[0]
        # z_t = x_t W + h_{t-1} U + b
        z = self.pre_activation(inputs, h_tm1, training=training)
        # h_t = tanh(z_t)
        h = self.activation(z)
        return h, [h]
