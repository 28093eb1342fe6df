"""The LSTM cell with a forget gate, as used today."""

import keras
from keras import ops

from keras_rnn_kit.cells.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class LSTMCell(RecurrentCell):
    """The LSTM with a forget gate (Gers, Schmidhuber & Cummins 2000).

        i_t = σ(x_t W_i + h_{t-1} U_i + b_i)
        f_t = σ(x_t W_f + h_{t-1} U_f + b_f)
        g_t = tanh(x_t W_g + h_{t-1} U_g + b_g)
        o_t = σ(x_t W_o + h_{t-1} U_o + b_o)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    Weights hold the gates side by side in the order `[i, f, g, o]`, the layout of
    `keras.layers.LSTMCell`, so weights copy across unchanged: `kernel`
    `(input_dim, 4 * units)`, `recurrent_kernel` `(units, 4 * units)`, `bias`
    `(4 * units,)`. State `[h, c]`.

    Args:
        units: int > 0, width of `h` and `c`.
        activation: for `g_t` and `tanh(c_t)`, default `"tanh"`.
        recurrent_activation: for the gates, default `"sigmoid"`.
        unit_forget_bias: if True (default), `b_f` starts at 1 (Jozefowicz et al.
            2015) and `bias_initializer` fills the rest.
        **kwargs: see `RecurrentCell` (same names as `keras.layers.LSTMCell`).

    Call arguments:
        inputs: `(batch, input_dim)` float tensor.
        states: `[h_{t-1}, c_{t-1}]`, each `(batch, units)`.
        training: bool, whether dropout is applied.

    Returns:
        `(h_t, [h_t, c_t])`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> keras.layers.RNN(LSTMCell(5))(np.ones((2, 7, 3), "float32")).shape
    TensorShape([2, 5])

    Reference:
        Gers, Schmidhuber & Cummins, "Learning to Forget: Continual Prediction
        with LSTM", Neural Computation 2000.
    """

    gate_count = 4
    state_count = 2

    def __init__(
        self, units, recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs
    ):
        super().__init__(units, **kwargs)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer_for_build(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def bias_initializer(_, *args, **kwargs):
            return ops.concatenate(
                [
                    base((units,), *args, **kwargs),
                    keras.initializers.get("ones")((units,), *args, **kwargs),
                    base((units * 2,), *args, **kwargs),
                ]
            )

        return bias_initializer

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        # z_t = x_t [W_i W_f W_g W_o] + h_{t-1} [U_i U_f U_g U_o] + b
        z = self.pre_activation(inputs, h_tm1, training=training)
        z_i, z_f, z_g, z_o = ops.split(z, 4, axis=-1)
        # i_t = σ(z_i), f_t = σ(z_f), o_t = σ(z_o)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        o = self.recurrent_activation(z_o)
        # g_t = tanh(z_g)
        g = self.activation(z_g)
        # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        c = self.update_cell_state(c_tm1, i * g, forget=f)
        # h_t = o_t ⊙ tanh(c_t)
        h = o * self.activation(ops.cast(c, o.dtype))
        return h, [h, c]

    def get_config(self):
        config = {
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "unit_forget_bias": self.unit_forget_bias,
        }
        return {**super().get_config(), **config}
