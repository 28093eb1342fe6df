"""`keras.layers.RNN` with whole-sequence kernels for the kit cells."""

import weakref

import keras
import tensorflow as tf

from keras_rnn_kit.layers import compiled_sequence
from keras_rnn_kit.layers import fused_lstm
from keras_rnn_kit.layers import keras_lstm_kernel
from keras_rnn_kit.utils import keras_compat
from keras_rnn_kit.utils.validation import check_choice

IMPLEMENTATIONS = ("auto", "compiled", "cudnn", "fused", "loop")

# layer -> its `keras.layers.LSTM` twin (see `RNN._keras_lstm`).
_KERAS_LSTM_TWINS = weakref.WeakKeyDictionary()


def _gpu_available():
    return bool(tf.config.list_physical_devices("GPU"))


def check_sequences_shape(shape):
    """Raises `ValueError` unless `shape` is `(batch, time, ...)` with `time != 0`.

    Example:

    >>> check_sequences_shape((2, 0, 3))
    Traceback (most recent call last):
    ...
    ValueError: `sequences` must have at least one time step, got shape (2, 0, 3). ...
    """
    shape = tuple(shape)
    if len(shape) < 3:
        raise ValueError(
            "`sequences` must have rank 3 (batch, time, features), got rank "
            f"{len(shape)} with shape {shape}. A single sequence needs a batch axis "
            "(x[None]); a single step needs a time axis (x[:, None])."
        )
    if shape[1] == 0:
        raise ValueError(
            f"`sequences` must have at least one time step, got shape {shape}. "
            "Drop empty sequences, or pad them to length 1 and mask the padding."
        )


def cudnn_takes_mask(mask):
    """Whether cuDNN can run a `(batch, time)` mask: every row right-padded
    (`[1, ..., 1, 0, ..., 0]`) with at least one real step.

    Example:

    >>> import numpy as np
    >>> bool(cudnn_takes_mask(np.array([[1, 1, 0], [1, 0, 0]], bool)))
    True
    >>> bool(cudnn_takes_mask(np.array([[0, 1, 1], [1, 0, 0]], bool)))  # left pad
    False
    >>> bool(cudnn_takes_mask(np.array([[1, 1, 0], [0, 0, 0]], bool)))  # empty row
    False
    """
    mask = tf.cast(mask, tf.int32)
    lengths = tf.reduce_sum(mask, axis=1)
    right_padded = tf.sequence_mask(lengths, tf.shape(mask)[1], tf.int32)
    return tf.logical_and(
        tf.reduce_all(tf.equal(mask, right_padded)), tf.reduce_all(lengths > 0)
    )


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class RNN(keras.layers.RNN):
    """A drop-in `keras.layers.RNN` that runs the kit cells on faster kernels.

    Same arguments and results as `keras.layers.RNN`. For `VanillaRNNCell`,
    `LSTMCell` and `OriginalLSTMCell` with their default activations it can run the
    whole sequence on one of two kernels instead of the Keras step loop:

    - `"compiled"` (`compiled_sequence`): the loop over time as one XLA program,
      the input projection `X W` of all steps as one matmul, and a hand-written
      backward pass whose weight gradients are matmuls over all steps at once.
      Any of the three cells, any mask, variational dropout included.
    - `"fused"` (`fused_lstm`): TensorFlow's `BlockLSTM` op. The two LSTM cells,
      without mask or active dropout.
    - `"cudnn"` (`keras_lstm_kernel`): `keras.layers.LSTM`'s own kernel on the
      cell's weights: cuDNN on a GPU, Keras's step loop elsewhere. `LSTMCell`
      with a bias, without active dropout. cuDNN takes only masks whose rows are
      all right-padded with at least one real step (`cudnn_takes_mask`); a masked
      call checks that at run time and runs the step loop for any other mask
      (left padding, or the empty rows of `HierarchicalRNN` segments and visual
      dialog histories), so no mask ever reaches cuDNN that it would reject.

    `implementation` picks the kernel:

    - `"loop"`: always the step loop of `keras.layers.RNN`.
    - `"compiled"` / `"cudnn"` / `"fused"`: that kernel whenever it applies, else
      the loop.
    - `"auto"` (default): on a machine without a GPU, `"compiled"` whenever it
      applies, in training and in inference alike; with a GPU, `"cudnn"` for
      `LSTMCell` (what `keras.layers.LSTM` runs there) and the loop for the other
      cells (the XLA kernel was not measured on a GPU).

    Why: on a 2-core CPU, `python -m benchmarks` found `"compiled"` the fastest of
    the kernels for every cell, size and phase (training step and forward pass),
    masked or not; `"fused"` loses to the loop at the large size. Its margin is
    smallest at batch 64 with 64 units: 0.9-1.1x the step loop on masked
    sequences of 16-64 steps (`benchmarks.masked_training.run(batch=64, ...)`).

    `"compiled"` applies to a float32 input and cell without unroll. Everything
    else (float64, mixed precision, other cells or activations) runs the step
    loop, and so does:

    - tracing for a SavedModel (`tf.saved_model.save`, Keras's `model.export()`,
      the kit's exporters): the graph then holds no XLA program, which LiteRT
      cannot convert and stock TF Serving refuses unless started with
      `--xla_cpu_compilation_enabled`;
    - a call watched by a `tf.autodiff.ForwardAccumulator` (forward mode).

    Second- and higher-order gradients (a gradient penalty's double tape) go
    through the compiled kernel exactly: its gradient is itself differentiable.
    All paths compute the same function to float32 rounding (tested to 1e-5 on a
    CPU, gradients included).

    XLA compiles one program per input shape; `"compiled"` pads the time axis to
    the next power of two (at least 8) and stops its loops at the true length,
    so lengths 1 to 128 share 5 programs (batch sizes are not padded: a smaller
    last batch compiles once more), however often Keras retraces `predict` or
    `train_step` for new shapes. Each compile takes 0.2-0.3 s on a 2-core CPU,
    more than a few calls save, so traced inference (`predict`, `evaluate`, a
    `tf.function` with `training=False`) first runs the same loop as plain ops
    and compiles a shape only once its plain calls have taken as long as a
    compile (`compile_when_repaid.CompileWhenRepaid`, per padded length and
    batch size); training compiles at once, and eager calls too (Keras's eager
    loop is slower still: `model(x)` 4x Keras for 19 new lengths,
    `python -m benchmarks --only new_lengths`).
    `"compiled"` leaves `supports_jit` True (a whole train step can be compiled
    with `jit_compile=True`, Keras's `"auto"` default);
    `"fused"` and `"cudnn"` set it False when the layer is constructed (their ops
    have no XLA kernel).

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
        # Neither BlockLSTM nor the cuDNN ops have an XLA kernel.
        if self._runs_fused() or self._runs_cudnn():
            self.supports_jit = False

    def _runs_fused(self):
        return self.implementation == "fused" and fused_lstm.fusable(self.cell)

    def _runs_cudnn(self):
        on_gpu = self.implementation == "auto" and _gpu_available()
        return (self.implementation == "cudnn" or on_gpu) and (
            keras_lstm_kernel.keras_lstm_applies(self.cell)
        )

    def selected_kernel(self, sequences, mask=None, training=False, initial_state=()):
        """Returns the kernel a call on these arguments runs.

        Args:
            sequences: the `(batch, time, features)` input tensor.
            mask: the call's mask, or None.
            training: the call's `training` flag.
            initial_state: the call's initial states (what a forward-mode
                accumulator may watch besides the inputs and the weights).

        Returns:
            `"compiled"`, `"cudnn"`, `"fused"` or `"loop"` (see the class
            docstring). `"cudnn"` with a mask still checks the mask at run time.
        """
        cell = self.cell
        dropout = training and (
            getattr(cell, "dropout", 0) > 0 or getattr(cell, "recurrent_dropout", 0) > 0
        )
        if (
            self.implementation == "loop"
            or self.unroll
            or keras_compat.in_save_context()
        ):
            return "loop"
        if self._runs_cudnn():
            return "loop" if dropout else "cudnn"
        if self.implementation == "auto" and _gpu_available():
            return "loop"
        # The kernels compute in float32; a cell of another dtype (float64
        # weights, say) is stepped by the loop, which casts for it as Keras does.
        if sequences.dtype != tf.float32 or cell.compute_dtype != "float32":
            return "loop"
        if self.implementation == "fused":
            fusable = self._runs_fused() and mask is None and not dropout
            return "fused" if fusable else "loop"
        if not compiled_sequence.compilable(cell):
            return "loop"
        # A forward-mode accumulator (`tf.autodiff.ForwardAccumulator`) cannot see
        # through the hand-written gradient: the step loop serves it.
        weights = [tf.convert_to_tensor(w) for w in cell.trainable_weights]
        if keras_compat.forward_mode_watches([sequences, *initial_state, *weights]):
            return "loop"
        return "compiled"

    def call(self, sequences, initial_state=None, mask=None, training=False):
        check_sequences_shape(sequences.shape)
        return super().call(sequences, initial_state, mask, training)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        path = self.selected_kernel(sequences, mask, training, initial_state)
        if path == "fused":
            return fused_lstm.fused_lstm(
                self.cell,
                sequences,
                initial_state,
                go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
            )
        if path == "cudnn":
            return self._cudnn_inner_loop(sequences, initial_state, mask, training)
        if path == "compiled":
            return compiled_sequence.compiled_sequence(
                self.cell,
                sequences,
                initial_state,
                mask=mask,
                go_backwards=self.go_backwards,
                return_sequences=self.return_sequences,
                zero_output_for_mask=self.zero_output_for_mask,
                training=bool(training),
            )
        return super().inner_loop(sequences, initial_state, mask, training)

    def _cudnn_inner_loop(self, sequences, initial_state, mask, training):
        """`keras.layers.LSTM`'s kernel, for masks it takes; else the step loop.

        cuDNN takes a mask only when every row is right-padded with at least one
        real step. `HierarchicalRNN` (empty segments), visual dialog (empty
        history rounds) and left-padded inputs give others, so a masked call
        checks its mask at run time and runs the step loop for those.
        """
        twin = self._keras_lstm()
        if mask is None:
            return twin.inner_loop(sequences, initial_state, None, training=training)
        return tf.cond(
            cudnn_takes_mask(mask),
            lambda: twin.inner_loop(sequences, initial_state, mask, training=training),
            lambda: super(RNN, self).inner_loop(
                sequences, initial_state, mask, training
            ),
        )

    def build(self, sequences_shape, initial_state_shape=None):
        check_sequences_shape(sequences_shape)
        super().build(sequences_shape, initial_state_shape)
        if self._runs_cudnn():
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
