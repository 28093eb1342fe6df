"""Additive (Bahdanau) attention over encoder outputs."""

import keras
from keras import ops

from keras_rnn_kit.layers.attention_base import AttentionBase
from keras_rnn_kit.utils.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class BahdanauAttention(AttentionBase):
    """Additive attention: `score(q, m_s) = vᵀ tanh(q W_q + m_s W_m + b)`.

        e_{t,s} = vᵀ tanh(q_t W_q + m_s W_m + b)
        a_{t,s} = exp(e_{t,s}) / Σ_{s' unpadded} exp(e_{t,s'})   (0 on padding)
        c_t     = Σ_s a_{t,s} m_s

    `m_s W_m` does not depend on the query, so `project_memory` computes it once
    per sentence and a decoder loop only adds `q_t W_q` at each step. Weights:
    `query_kernel` `(query_dim, units)`, `memory_kernel` `(memory_dim, units)`,
    `bias` `(units,)`, `score_kernel` `(units,)` (the vector `v`).

    Args:
        units: int > 0, width of the hidden layer of the score.
        kernel_initializer: initializer of the three kernels.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        query: `(batch, query_dim)` or `(batch, target_length, query_dim)`.
        memory: `(batch, source_length, memory_dim)`.
        memory_mask: optional bool `(batch, source_length)`, True on real tokens.

    Returns:
        `(context, weights)`, `(batch, [target_length,] memory_dim)` and
        `(batch, [target_length,] source_length)`.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.layers import BahdanauAttention
    >>> memory = np.ones((2, 5, 6), "float32")      # (batch, source, dim)
    >>> mask = np.array([[1, 1, 1, 0, 0], [1] * 5], bool)
    >>> query = np.ones((2, 3), "float32")           # (batch, query_dim)
    >>> context, weights = BahdanauAttention(4)(query, memory, mask)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 6), (2, 5))

    Reference:
        Bahdanau, Cho & Bengio, "Neural Machine Translation by Jointly Learning to
        Align and Translate", ICLR 2015.
    """

    def __init__(self, units, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, query_shape, memory_shape, memory_mask_shape=None):
        self.query_kernel = self.add_weight(
            shape=(query_shape[-1], self.units),
            name="query_kernel",
            initializer=self.kernel_initializer,
        )
        self.memory_kernel = self.add_weight(
            shape=(memory_shape[-1], self.units),
            name="memory_kernel",
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            shape=(self.units,), name="bias", initializer="zeros"
        )
        self.score_kernel = self.add_weight(
            shape=(self.units,),
            name="score_kernel",
            initializer=self.kernel_initializer,
        )

    def project_memory(self, memory):
        # m_s W_m + b  (batch, source_length, units)
        return ops.matmul(memory, self.memory_kernel) + self.bias

    def score(self, query, keys):
        # q_t W_q  (batch, target_length, 1, units); an einsum, not a rank-3 by
        # rank-2 matmul, whose TF gradient XLA cannot compile inside a loop.
        q = ops.expand_dims(ops.einsum("btd,du->btu", query, self.query_kernel), 2)
        # e_{t,s} = vᵀ tanh(q_t W_q + m_s W_m + b)  (batch, target, source)
        return ops.sum(ops.tanh(q + ops.expand_dims(keys, 1)) * self.score_kernel, -1)

    def get_config(self):
        config = {
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**super().get_config(), **config}
