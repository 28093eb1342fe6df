"""`keras.layers.RNN` with a fused whole-sequence path for the kit LSTM cells."""

import keras
import tensorflow as tf

from keras_rnn_kit.layers import fused_lstm
from keras_rnn_kit.utils.validation import check_choice

IMPLEMENTATIONS = ("auto", "fused", "loop")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class RNN(keras.layers.RNN):
    """A drop-in `keras.layers.RNN` that runs kit LSTM cells on a fused kernel.

    Same arguments and results as `keras.layers.RNN`. For `LSTMCell` and
    `OriginalLSTMCell` with their default activations it can run the whole sequence
    in TensorFlow's fused `BlockLSTM` op instead of a step loop; it chooses:

    - `implementation="loop"`: always the step loop of `keras.layers.RNN`.
    - `implementation="fused"`: the fused kernel whenever it applies.
    - `implementation="auto"` (default): the fused kernel when it applies and the
      step is small enough for it to win, i.e. when `batch * (input_dim + units) *
      4 * units <= fused_lstm.FUSED_MAX_MACS_PER_STEP` (decided at run time, so a
      dynamic batch size works), and only on CPU-only machines.

    The fused kernel applies when the cell is one of those two classes with
    `tanh`/`sigmoid` activations, the input is float32, there is no mask, no unroll,
    and no dropout is active. Otherwise, the step loop runs. Both paths compute the
    same function to float32 rounding (tested to 1e-5, gradients included).

    Args:
        cell: a kit or Keras RNN cell (see `keras.layers.RNN`).
        implementation: `"auto"`, `"fused"` or `"loop"`.
        **kwargs: `keras.layers.RNN` arguments (`return_sequences`, `return_state`,
            `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`, ...).

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.cells import OriginalLSTMCell
    >>> from keras_rnn_kit.layers import RNN
    >>> RNN(OriginalLSTMCell(8))(np.ones((2, 5, 3), "float32")).shape  # (batch, units)
    TensorShape([2, 8])
    """

    def __init__(self, cell, implementation="auto", **kwargs):
        super().__init__(cell, **kwargs)
        self.implementation = check_choice(
            "implementation", implementation, IMPLEMENTATIONS
        )
        if self.implementation != "loop" and fused_lstm.fusable(self.cell):
            # BlockLSTM has no XLA kernel.
            self.supports_jit = False

    def _fused_applies(self, sequences, mask, training):
        cell = self.cell
        if self.implementation == "loop" or not fused_lstm.fusable(cell):
            return False
        if mask is not None or self.unroll or sequences.dtype != tf.float32:
            return False
        if training and (cell.dropout > 0 or cell.recurrent_dropout > 0):
            return False
        if self.implementation == "auto" and tf.config.list_physical_devices("GPU"):
            return False
        return True

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self._fused_applies(sequences, mask, training):
            return super().inner_loop(sequences, initial_state, mask, training)

        def fused():
            return fused_lstm.fused_lstm(
                self.cell,
                sequences,
                initial_state,
                go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
            )

        if self.implementation == "fused":
            return fused()

        def loop():
            last, outputs, states = super(RNN, self).inner_loop(
                sequences, initial_state, mask, training
            )
            return last, outputs, list(states)

        small = fused_lstm.macs_per_step(self.cell, sequences) <= (
            fused_lstm.FUSED_MAX_MACS_PER_STEP
        )
        return tf.cond(small, fused, loop)

    def get_config(self):
        return {**super().get_config(), "implementation": self.implementation}
