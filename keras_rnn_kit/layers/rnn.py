"""`keras.layers.RNN` with whole-sequence kernels for the kit cells."""

import weakref

import keras
import tensorflow as tf

from keras_rnn_kit.layers import compiled_sequence
from keras_rnn_kit.layers import fused_lstm
from keras_rnn_kit.layers import keras_lstm_kernel
from keras_rnn_kit.utils.validation import check_choice

IMPLEMENTATIONS = ("auto", "compiled", "cudnn", "fused", "loop")

# layer -> its `keras.layers.LSTM` twin (see `RNN._keras_lstm`).
_KERAS_LSTM_TWINS = weakref.WeakKeyDictionary()


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class RNN(keras.layers.RNN):
    """A drop-in `keras.layers.RNN` that runs the kit cells on faster kernels.

    Same arguments and results as `keras.layers.RNN`. For `VanillaRNNCell`,
    `LSTMCell` and `OriginalLSTMCell` with their default activations it can run the
    whole sequence on one of two kernels instead of the Keras step loop:

    - `"compiled"` (`compiled_sequence`): the loop over time as one XLA program,
      the input projection `X W` of all steps as one matmul, and a hand-written
      backward pass whose weight gradients are matmuls over all steps at once.
      Any of the three cells.
    - `"fused"` (`fused_lstm`): TensorFlow's `BlockLSTM` op. The two LSTM cells.
    - `"cudnn"` (`keras_lstm_kernel`): `keras.layers.LSTM`'s own kernel on the
      cell's weights: cuDNN on a GPU (right-padded masks included), Keras's step
      loop elsewhere. `LSTMCell` with a bias.

    `implementation` picks the kernel:

    - `"loop"`: always the step loop of `keras.layers.RNN`.
    - `"compiled"` / `"cudnn"` / `"fused"`: that kernel whenever it applies, else
      the loop.
    - `"auto"` (default): on a machine without a GPU, `"compiled"` whenever it
      applies, in training and in inference alike; with a GPU, `"cudnn"` for
      `LSTMCell` (what `keras.layers.LSTM` runs there) and the loop for the other
      cells (the XLA kernel was not measured on a GPU).

    Why: on a 2-core CPU, `python -m benchmarks --only cells` and per-kernel timings
    at (batch, time, input, units) = (64, 100, 128, 256), (32, 100, 32, 64) and
    (1, 100, 32, 64) found `"compiled"` the fastest of the three kernels for every
    cell, size and phase (training step and forward pass), tied with `"fused"`
    only in inference at batch 1; `"fused"` loses to the loop at the large size.

    A kernel applies when there is no unroll, no dropout is active, and the cell
    is one of the classes above with its default activations (`tanh`, and
    `sigmoid` gates); `"compiled"` and `"fused"` also need a float32 input and no
    mask. Otherwise, the step loop runs. All paths compute the same function to
    float32 rounding (tested to 1e-5 on a CPU, gradients included).

    `"compiled"` compiles its XLA programs once per input shape: the first call at a
    new (batch, time) shape takes longer. On the 2-core CPU, at (32, 100, 32, 64)
    and (64, 100, 128, 256), the first training step (tracing plus the XLA compile
    of the forward and backward programs) took 0.4-0.9 s against 0.3-0.55 s for
    the step loop, and the first forward pass 0.15-0.25 s against 0.07-0.15 s; the
    compile time hardly depends on the size. Batches of many different lengths (or
    a smaller last batch) compile once per shape: pad to a few fixed lengths.
    `"compiled"` leaves `supports_jit` True (a whole train step can be compiled
    with `jit_compile=True`); `"fused"` sets it False (`BlockLSTM` has no XLA
    kernel). Exports trace the step loop
    (`keras_rnn_kit.export.signatures.step_loops`, which `export_tflite` and
    `export_saved_model` use): LiteRT cannot convert an XLA program, and stock TF
    Serving runs one only when started with `--xla_cpu_compilation_enabled`.

    Args:
        cell: a kit or Keras RNN cell (see `keras.layers.RNN`).
        implementation: `"auto"`, `"compiled"`, `"cudnn"`, `"fused"` or `"loop"`.
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
        if self.implementation == "fused" and fused_lstm.fusable(self.cell):
            # BlockLSTM has no XLA kernel.
            self.supports_jit = False
        if self.implementation == "cudnn" and keras_lstm_kernel.keras_lstm_applies(
            self.cell
        ):
            # cuDNN ops have none either.
            self.supports_jit = False

    def selected_kernel(self, sequences, mask=None, training=False):
        """Returns the kernel a call on these arguments runs.

        Args:
            sequences: the `(batch, time, features)` input tensor.
            mask: the call's mask, or None.
            training: the call's `training` flag.

        Returns:
            `"compiled"`, `"cudnn"`, `"fused"` or `"loop"` (see the class
            docstring).
        """
        cell = self.cell
        dropout = training and (
            getattr(cell, "dropout", 0) > 0 or getattr(cell, "recurrent_dropout", 0) > 0
        )
        if self.implementation == "loop" or self.unroll or dropout:
            return "loop"
        on_gpu = bool(tf.config.list_physical_devices("GPU"))
        if self.implementation == "cudnn" or (self.implementation == "auto" and on_gpu):
            return "cudnn" if keras_lstm_kernel.keras_lstm_applies(cell) else "loop"
        if mask is not None or sequences.dtype != tf.float32:
            return "loop"
        if self.implementation == "fused":
            return "fused" if fused_lstm.fusable(cell) else "loop"
        return "compiled" if compiled_sequence.compilable(cell) else "loop"

    def inner_loop(self, sequences, initial_state, mask, training=False):
        path = self.selected_kernel(sequences, mask, training)
        if path == "fused":
            return fused_lstm.fused_lstm(
                self.cell,
                sequences,
                initial_state,
                go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
            )
        if path == "cudnn":
            # As `keras.layers.LSTM` does: cuDNN ops do not compile with XLA.
            self.supports_jit = False
            return self._keras_lstm().inner_loop(
                sequences, initial_state, mask, training=training
            )
        if path == "compiled":
            return compiled_sequence.compiled_sequence(
                self.cell,
                sequences,
                initial_state,
                go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
                training=bool(training),
            )
        return super().inner_loop(sequences, initial_state, mask, training)

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        if self.implementation == "cudnn" or (
            self.implementation == "auto" and tf.config.list_physical_devices("GPU")
        ):
            self._keras_lstm()

    def _keras_lstm(self):
        """The `keras.layers.LSTM` twin of an `LSTMCell`, made once.

        It lives outside the layer (`_KERAS_LSTM_TWINS`), so neither the layer's
        weights nor its saved files hold its (the cell's) variables twice, and a
        model saved on a GPU machine loads on any other.
        """
        twin = _KERAS_LSTM_TWINS.get(self)
        if twin is None and keras_lstm_kernel.keras_lstm_applies(self.cell):
            twin = keras_lstm_kernel.keras_lstm_twin(self)
            _KERAS_LSTM_TWINS[self] = twin
        return twin

    def get_config(self):
        return {**super().get_config(), "implementation": self.implementation}
