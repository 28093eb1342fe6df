"""The original 1997 LSTM cell: input and output gates, no forget gate."""

import keras
from keras import ops

from keras_rnn_kit.cells.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class OriginalLSTMCell(RecurrentCell):
    """The LSTM of Hochreiter & Schmidhuber (1997), without a forget gate.

        i_t = σ(x_t W_i + h_{t-1} U_i + b_i)
        g_t = tanh(x_t W_g + h_{t-1} U_g + b_g)
        o_t = σ(x_t W_o + h_{t-1} U_o + b_o)
        c_t = c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    The cell state is a pure accumulator (the constant error carousel):
    `∂c_t/∂c_{t-1} = I`. Weights hold the gates side by side in the order
    `[i, g, o]`: `kernel` `(input_dim, 3 * units)`, `recurrent_kernel`
    `(units, 3 * units)`, `bias` `(3 * units,)`. State `[h, c]`.

    Args:
        units: int > 0, width of `h` and `c`.
        activation: for `g_t` and `tanh(c_t)`, default `"tanh"`.
        recurrent_activation: for the gates `i_t`, `o_t`, default `"sigmoid"`.
        **kwargs: see `RecurrentCell` (same names as `keras.layers.LSTMCell`).

    Call arguments:
        inputs: `(batch, input_dim)` float tensor.
        states: `[h_{t-1}, c_{t-1}]`, each `(batch, units)`.
        training: bool, whether dropout is applied.

    Returns:
        `(h_t, [h_t, c_t])`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import OriginalLSTMCell
    >>> rnn = keras.layers.RNN(OriginalLSTMCell(6), return_state=True)
    >>> h, h_last, c_last = rnn(np.ones((2, 4, 3), "float32"))
    >>> h.shape, c_last.shape  # (batch, units) each
    (TensorShape([2, 6]), TensorShape([2, 6]))

    Reference:
        Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 1997.
    """

    gate_count = 3
    state_count = 2

    def __init__(self, units, recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, **kwargs)
        self.recurrent_activation = keras.activations.get(recurrent_activation)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        # z_t = x_t [W_i W_g W_o] + h_{t-1} [U_i U_g U_o] + b
        z = self.pre_activation(inputs, h_tm1, training=training)
        z_i, z_g, z_o = ops.split(z, 3, axis=-1)
        # i_t = σ(z_i)
        i = self.recurrent_activation(z_i)
        # g_t = tanh(z_g)
        g = self.activation(z_g)
        # o_t = σ(z_o)
        o = self.recurrent_activation(z_o)
        # c_t = c_{t-1} + i_t ⊙ g_t
        c = self.update_cell_state(c_tm1, i * g)
        # h_t = o_t ⊙ tanh(c_t)
        h = o * self.activation(ops.cast(c, o.dtype))
        return h, [h, c]

    def get_config(self):
        config = {
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            )
        }
        return {**super().get_config(), **config}
