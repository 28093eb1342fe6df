"""The base every kit cell shares: arguments, weights, dropout masks and config."""

import keras
from keras import ops

from keras_rnn_kit.utils.keras_compat import DropoutRNNCell
from keras_rnn_kit.utils.validation import check_floating_dtype
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank
from keras_rnn_kit.utils.validation import check_rate

HALF_DTYPES = ("float16", "bfloat16")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class RecurrentCell(keras.layers.Layer, DropoutRNNCell):
    """Base class of the kit cells: `z_t = x_t W + h_{t-1} U + b` plus a state update.

    Subclasses set `gate_count` (how many `units`-wide blocks `W`, `U` and `b` hold)
    and `state_count` (`[h]` or `[h, c]`), and implement `call`. The base owns
    argument validation, the weights (`kernel` of shape `(input_dim, k * units)`,
    `recurrent_kernel` `(units, k * units)`, `bias` `(k * units,)`), variational
    dropout (one mask per sequence, reused at every step, off at inference),
    `get_initial_state` and `get_config`.

    Args:
        units: int > 0, width of the hidden state.
        activation: activation of the candidate / output, default `"tanh"`.
        use_bias: whether the cell has a bias vector `b`.
        kernel_initializer: initializer for `kernel` (input weights `W`).
        recurrent_initializer: initializer for `recurrent_kernel` (`U`).
        bias_initializer: initializer for `bias`.
        kernel_regularizer: regularizer for `kernel`.
        recurrent_regularizer: regularizer for `recurrent_kernel`.
        bias_regularizer: regularizer for `bias`.
        kernel_constraint: constraint for `kernel`.
        recurrent_constraint: constraint for `recurrent_kernel`.
        bias_constraint: constraint for `bias`.
        dropout: float in [0, 1), fraction of input units dropped.
        recurrent_dropout: float in [0, 1), fraction of `h_{t-1}` units dropped.
        seed: int, seed of the dropout masks.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).
    """

    gate_count = 1
    state_count = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [self.units] * self.state_count
        self.output_size = self.units

    def build(self, input_shape):
        check_rank("inputs", input_shape, 2, "(batch, features) per time step")
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                "`inputs` must have a known last (feature) dimension, got shape "
                f"{tuple(input_shape)}."
            )
        width = self.gate_count * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self._bias_initializer_for_build(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def _bias_initializer_for_build(self):
        """The initializer `build` uses for `bias`; `LSTMCell` overrides it."""
        return self.bias_initializer

    def pre_activation(self, inputs, h_tm1, training=False):
        """Returns `z = x_t W + h_{t-1} U + b`, after variational dropout.

        Args:
            inputs: `(batch, input_dim)` input at step t.
            h_tm1: `(batch, units)` hidden state at step t - 1.
            training: whether dropout masks apply.

        Returns:
            `(batch, gate_count * units)` pre-activations, gates side by side.
        """
        check_floating_dtype("inputs", inputs.dtype)
        # `keras.layers.RNN` makes the masks from its own inputs, in its dtype,
        # which differs from that of a cell given its own `dtype`.
        if training and self.dropout > 0.0:
            mask = self.get_dropout_mask(inputs)
            inputs = inputs * ops.cast(mask, inputs.dtype)
        if training and self.recurrent_dropout > 0.0:
            mask = self.get_recurrent_dropout_mask(h_tm1)
            h_tm1 = h_tm1 * ops.cast(mask, h_tm1.dtype)
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_tm1, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        return z

    def update_cell_state(self, c_tm1, increment, forget=None):
        """Returns `c_t = forget * c_{t-1} + increment`, in the dtype of `c_{t-1}`.

        A float32 or float64 cell state is updated in its own dtype. A float16 or
        bfloat16 one (a mixed-precision policy) is summed in float32 and rounded
        back once per step: `keras.layers.RNN` carries every state in the cell's
        compute dtype, so a mixed-precision `c` is rounded at every step. A cell
        built with `dtype="float32"` keeps `c` in float32 under such a policy.
        """
        dtype = keras.backend.standardize_dtype(c_tm1.dtype)
        accumulator = "float32" if dtype in HALF_DTYPES else dtype
        c = ops.cast(c_tm1, accumulator)
        if forget is not None:
            c = ops.cast(forget, accumulator) * c
        c = c + ops.cast(increment, accumulator)
        return ops.cast(c, dtype)

    def get_initial_state(self, batch_size=None):
        """Returns the zero state: a list of `state_count` `(batch, units)` tensors."""
        return [
            ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
            for _ in range(self.state_count)
        ]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": keras.regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": keras.constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
