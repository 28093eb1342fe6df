"""The slides' "idea of LSTM": an additive cell state with no gates."""

import keras
from keras import ops

from keras_rnn_kit.cells.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class AdditiveRNNCell(RecurrentCell):
    """An RNN whose memory adds instead of multiplying: the constant error flow idea.

        c_t = c_{t-1} + tanh(x_t W + h_{t-1} U + b)
        h_t = tanh(c_t)

    `∂c_t/∂c_{t-1}` contains the identity, so the error reaching `c_1` does not decay
    as it does through the vanilla cell's repeated `tanh(U ·)`. This is the stepping
    stone between `VanillaRNNCell` and `OriginalLSTMCell` (which adds the input and
    output gates). Weights as `VanillaRNNCell`; state `[h, c]`.

    Args:
        units: int > 0, width of `h` and `c`.
        activation: default `"tanh"`, used for the increment and for `h`.
        **kwargs: see `RecurrentCell`.

    Call arguments:
        inputs: `(batch, input_dim)` float tensor.
        states: `[h_{t-1}, c_{t-1}]`, each `(batch, units)`.
        training: bool, whether dropout is applied.

    Returns:
        `(h_t, [h_t, c_t])`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import AdditiveRNNCell
    >>> keras.layers.RNN(AdditiveRNNCell(4))(np.ones((1, 3, 2), "float32")).shape
    TensorShape([1, 4])
    """

    gate_count = 1
    state_count = 2

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        # z_t = x_t W + h_{t-1} U + b
        z = self.pre_activation(inputs, h_tm1, training=training)
        # c_t = c_{t-1} + tanh(z_t)
        c = self.update_cell_state(c_tm1, self.activation(z))
        # h_t = tanh(c_t)
        h = self.activation(ops.cast(c, z.dtype))
        return h, [h, c]
