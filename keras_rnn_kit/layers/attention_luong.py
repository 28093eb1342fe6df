"""Multiplicative (Luong) attention over encoder outputs: dot and general scores."""

import keras
from keras import ops

from keras_rnn_kit.layers.attention_base import AttentionBase
from keras_rnn_kit.utils.validation import check_choice

SCORE_MODES = ("dot", "general")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class LuongAttention(AttentionBase):
    """Multiplicative attention with Luong's `dot` or `general` score.

        dot:      e_{t,s} = q_tᵀ m_s
        general:  e_{t,s} = q_tᵀ W_a m_s
        a_{t,s} = exp(s e_{t,s}) / Σ_{s' unpadded} exp(s e_{t,s'})   (0 on padding)
        c_t     = Σ_s a_{t,s} m_s

    where `s = 1/sqrt(dim)` if `scale` else 1. `dot` needs `query_dim ==
    memory_dim`; `general` learns `kernel` `(memory_dim, query_dim)` and
    `project_memory` computes `m_s W_a` once per sentence.

    Args:
        score_mode: `"general"` (default) or `"dot"`.
        scale: bool, divide scores by `sqrt(query_dim)` (scaled dot product).
        kernel_initializer: initializer of `kernel` (`general` only).
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
    >>> from keras_rnn_kit.layers import LuongAttention
    >>> memory = np.ones((2, 5, 6), "float32")      # (batch, source, dim)
    >>> layer = LuongAttention("general")
    >>> context, weights = layer(np.ones((2, 3, 4), "float32"), memory)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))

    Reference:
        Luong, Pham & Manning, "Effective Approaches to Attention-based Neural
        Machine Translation", EMNLP 2015.
    """

    def __init__(
        self,
        score_mode="general",
        scale=False,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.score_mode = check_choice("score_mode", score_mode, SCORE_MODES)
        self.scale = bool(scale)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, query_shape, memory_shape, memory_mask_shape=None):
        query_dim, memory_dim = query_shape[-1], memory_shape[-1]
        if self.score_mode == "dot" and query_dim != memory_dim:
            raise ValueError(
                "`score_mode='dot'` needs the query and memory widths to match; got "
                f"query_dim={query_dim} and memory_dim={memory_dim}. Use "
                "score_mode='general'."
            )
        if self.score_mode == "general":
            self.kernel = self.add_weight(
                shape=(memory_dim, query_dim),
                name="kernel",
                initializer=self.kernel_initializer,
            )

    def project_memory(self, memory):
        if self.score_mode == "dot":
            return memory
        # m_s W_aᵀ  (batch, source_length, query_dim)
        return ops.matmul(memory, self.kernel)

    def score(self, query, keys):
        # e_{t,s} = q_tᵀ k_s  (batch, target_length, source_length)
        scores = ops.matmul(query, ops.transpose(keys, (0, 2, 1)))
        if self.scale:
            scores = scores / ops.sqrt(ops.cast(query.shape[-1], scores.dtype))
        return scores

    def get_config(self):
        config = {
            "score_mode": self.score_mode,
            "scale": self.scale,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**super().get_config(), **config}
