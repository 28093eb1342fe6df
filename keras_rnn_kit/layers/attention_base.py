"""What the kit's attention layers share: masked softmax, context, config."""

import keras
from keras import ops

from keras_rnn_kit.utils.validation import check_rank


def masked_softmax(scores, mask=None):
    """Softmax over the last axis that is exactly 0 where `mask` is False.

    The softmax runs in float32 with masked scores replaced by -1e9, so `exp`
    underflows to exactly 0 on padding; the result is then multiplied by the
    mask, so a row with no valid position is all zeros instead of uniform.

    Args:
        scores: `(..., source_length)` float tensor.
        mask: optional bool tensor broadcastable to `scores`.

    Returns:
        A tensor like `scores`; each row sums to 1 over its valid positions.
    """
    if mask is None:
        return ops.softmax(scores, axis=-1)
    mask = ops.cast(mask, "bool")
    scores32 = ops.cast(scores, "float32")
    weights = ops.softmax(ops.where(mask, scores32, -1e9), axis=-1)
    return ops.cast(weights * ops.cast(mask, "float32"), scores.dtype)


class AttentionBase(keras.layers.Layer):
    """Scores a query against encoder memory and returns the weighted context.

    Subclasses implement `build`, `project_memory(memory)` (the query-independent
    part of the score, computed once per source sentence) and
    `score(query, keys)`. Decoders that loop over time call `project_memory` once
    and `attend` at every step; `call` does both.

    Call arguments:
        query: `(batch, query_dim)` for one decoder step, or
            `(batch, target_length, query_dim)` for all steps at once.
        memory: `(batch, source_length, memory_dim)` encoder outputs.
        memory_mask: optional bool `(batch, source_length)`, True on real tokens.

    Returns:
        `(context, weights)`: `context` `(batch, [target_length,] memory_dim)` and
        `weights` `(batch, [target_length,] source_length)`, which sum to 1 over
        unpadded source positions and are exactly 0 on padding.
    """

    def project_memory(self, memory):
        """Returns the keys the score compares the query with (default: `memory`)."""
        return memory

    def score(self, query, keys):
        """Returns `(batch, target_length, source_length)` unnormalised scores for a
        `(batch, target_length, query_dim)` query."""
        raise NotImplementedError

    def attend(self, query, memory, keys, memory_mask=None):
        """Attention with precomputed `keys = project_memory(memory)`.

        Same arguments and returns as `call`, plus `keys`.
        """
        single_step = len(query.shape) == 2
        if single_step:
            query = ops.expand_dims(query, 1)
        # 1. Unnormalised scores. (batch, target_length, source_length)
        scores = self.score(query, keys)
        # 2. Masked softmax over source positions.
        mask = None if memory_mask is None else ops.expand_dims(memory_mask, 1)
        weights = masked_softmax(scores, mask)
        # 3. Context: the weighted sum of memory. (batch, target_length, memory_dim)
        context = ops.matmul(weights, ops.cast(memory, weights.dtype))
        if single_step:
            return ops.squeeze(context, 1), ops.squeeze(weights, 1)
        return context, weights

    def call(self, query, memory, memory_mask=None):
        check_rank("query", query.shape, (2, 3), "(batch, [target_length,] dim)")
        check_rank("memory", memory.shape, 3, "(batch, source_length, dim)")
        if memory_mask is not None:
            check_rank("memory_mask", memory_mask.shape, 2, "(batch, source_length)")
        return self.attend(query, memory, self.project_memory(memory), memory_mask)

    def compute_output_shape(self, query_shape, memory_shape, memory_mask_shape=None):
        prefix = tuple(query_shape[:-1])
        return prefix + (memory_shape[-1],), prefix + (memory_shape[1],)
