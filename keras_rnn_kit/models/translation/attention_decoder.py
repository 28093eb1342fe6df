"""A recurrent decoder that attends over encoder memory, with input feeding."""

import keras
import tensorflow as tf
from keras import ops

from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class AttentionDecoder(keras.layers.Layer):
    """Runs a kit cell over target embeddings, attending to the source at each step.

    One step (Luong et al. 2015, with input feeding):

        h_t, s_t = cell([y_{t-1}; h̃_{t-1}], s_{t-1})     # h̃_0 = 0
        c_t, a_t = attention(h_t, memory, memory_mask)
        h̃_t      = tanh([c_t; h_t] W_c)                  # the attentional vector

    `h̃_t` is the step's output and is fed to the next step's input, so the
    decoder knows what it attended to before.

    Why not `keras.layers.RNN`: Keras 3's `RNN` has no `constants=` argument, so a
    cell cannot see the encoder memory except by tiling it into every time step's
    input (`T` copies) or carrying it in the state (which `RNN` would return and
    mask). Instead this layer loops itself with `tf.scan` over time (one bounded
    `tf.while_loop`, so a train step compiled by XLA, `jit_compile=True`, can
    differentiate it), and the same `step` method serves
    teacher-forced training here and token-by-token decoding in `Translator.step`,
    which is what the samplers and the export helpers call.

    Args:
        cell: a kit cell (e.g. `keras_rnn_kit.cells.LSTMCell(units)`), any object
            with the Keras cell protocol (`state_size`, `call(inputs, states)`).
        attention: an attention layer with `project_memory` and `attend` (e.g.
            `keras_rnn_kit.layers.BahdanauAttention` or `LuongAttention`).
        units: int > 0, width of the attentional vector `h̃_t`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `(batch, target_length, embedding_dim)` target embeddings of
            `<go> y_1 ... y_{T-1}` (teacher forcing).
        memory: `(batch, source_length, memory_dim)` encoder outputs.
        memory_mask: bool `(batch, source_length)`, True on real source tokens.
        initial_state: list of `(batch, size)` tensors, one per `cell.state_size`.

    Returns:
        `(outputs, weights)`: `(batch, target_length, units)` attentional vectors
        and `(batch, target_length, source_length)` attention weights.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> from keras_rnn_kit.layers import BahdanauAttention
    >>> decoder = AttentionDecoder(LSTMCell(8), BahdanauAttention(8), units=8)
    >>> outputs, weights = decoder(
    ...     np.zeros((2, 4, 5), "float32"),          # (batch, target, embedding)
    ...     np.zeros((2, 6, 10), "float32"),         # (batch, source, memory)
    ...     np.ones((2, 6), bool),
    ...     [np.zeros((2, 8), "float32")] * 2)
    >>> tuple(outputs.shape), tuple(weights.shape)
    ((2, 4, 8), (2, 4, 6))

    Reference:
        Luong, Pham & Manning, "Effective Approaches to Attention-based Neural
        Machine Translation", EMNLP 2015.
    """

    def __init__(self, cell, attention, units, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, dict):
            cell = keras.saving.deserialize_keras_object(cell)
        if isinstance(attention, dict):
            attention = keras.saving.deserialize_keras_object(attention)
        for name, value, needs in (
            ("cell", cell, ("state_size", "call")),
            ("attention", attention, ("project_memory", "attend")),
        ):
            if not all(hasattr(value, attribute) for attribute in needs):
                raise TypeError(
                    f"`{name}` must be a layer with {' and '.join(needs)}, got "
                    f"{value!r} ({type(value).__name__})."
                )
        self.cell = cell
        self.attention = attention
        self.units = check_positive_int("units", units)
        self.projection = keras.layers.Dense(
            units,
            activation="tanh",
            use_bias=False,
            dtype=self.dtype_policy,
            name="attention_projection",
        )

    @property
    def state_sizes(self):
        """The cell's state widths as a list."""
        sizes = self.cell.state_size
        return list(sizes) if isinstance(sizes, list | tuple) else [sizes]

    def build(
        self,
        inputs_shape,
        memory_shape,
        memory_mask_shape=None,
        initial_state_shape=None,
    ):
        check_rank("inputs", inputs_shape, 3, "(batch, target_length, embedding_dim)")
        check_rank("memory", memory_shape, 3, "(batch, source_length, memory_dim)")
        self.cell.build((inputs_shape[0], inputs_shape[-1] + self.units))
        query_shape = (inputs_shape[0], self.cell.output_size)
        self.attention.build(query_shape, memory_shape)
        self.projection.build(
            (inputs_shape[0], memory_shape[-1] + self.cell.output_size)
        )

    def prepare_memory(self, memory):
        """Returns the attention keys of `memory`, computed once per sentence."""
        return self.attention.project_memory(memory)

    def step(self, inputs, states, feed, memory, keys, memory_mask):
        """One decoder step.

        Args:
            inputs: `(batch, embedding_dim)` embedding of the previous token.
            states: list of the cell's `(batch, size)` states.
            feed: `(batch, units)` attentional vector of the previous step.
            memory: `(batch, source_length, memory_dim)`.
            keys: `prepare_memory(memory)`.
            memory_mask: bool `(batch, source_length)`.

        Returns:
            `(attentional, new_states, weights)`: `(batch, units)`, the new cell
            states and `(batch, source_length)` attention weights.
        """
        # 1. Input feeding: [y_{t-1}; h̃_{t-1}]. (batch, embedding_dim + units)
        x = ops.concatenate([inputs, feed], axis=-1)
        # 2. h_t, s_t = cell(x, s_{t-1}). (batch, cell_units)
        h, new_states = self.cell(x, list(states))
        new_states = (
            list(new_states) if isinstance(new_states, list | tuple) else [new_states]
        )
        # 3. c_t, a_t = attention(h_t, memory). (batch, memory_dim), (batch, source)
        context, weights = self.attention.attend(h, memory, keys, memory_mask)
        # 4. h̃_t = tanh([c_t; h_t] W_c). (batch, units)
        attentional = self.projection(ops.concatenate([context, h], axis=-1))
        return attentional, new_states, weights

    def call(self, inputs, memory, memory_mask, initial_state):
        keys = self.prepare_memory(memory)
        batch_size = ops.shape(inputs)[0]
        # The carry; `tf.scan` stacks each step's carry as its output.
        carry = {
            "states": list(initial_state),
            "feed": ops.zeros((batch_size, self.units), dtype=self.compute_dtype),
            "weights": ops.zeros(ops.shape(memory)[:2], dtype=self.compute_dtype),
        }

        def scan_step(carry, x_t):
            attentional, states, weights = self.step(
                x_t, carry["states"], carry["feed"], memory, keys, memory_mask
            )
            return {"states": states, "feed": attentional, "weights": weights}

        # Time-major for the scan. (target_length, batch, embedding_dim)
        # `tf.scan` bounds its loop (`maximum_iterations`), which XLA needs to
        # differentiate it; `keras.ops.scan`'s TF loop has no bound.
        per_step = tf.scan(
            scan_step, ops.transpose(inputs, (1, 0, 2)), initializer=carry
        )
        outputs = ops.transpose(per_step["feed"], (1, 0, 2))
        weights = ops.transpose(per_step["weights"], (1, 0, 2))
        return outputs, weights

    def compute_output_shape(
        self,
        inputs_shape,
        memory_shape,
        memory_mask_shape=None,
        initial_state_shape=None,
    ):
        prefix = tuple(inputs_shape[:2])
        return prefix + (self.units,), prefix + (memory_shape[1],)

    def get_config(self):
        config = {
            "cell": keras.saving.serialize_keras_object(self.cell),
            "attention": keras.saving.serialize_keras_object(self.attention),
            "units": self.units,
        }
        return {**super().get_config(), **config}
