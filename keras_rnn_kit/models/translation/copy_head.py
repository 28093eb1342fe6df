"""A pointer-generator output head: write a vocabulary piece or copy a source one."""

import keras
import numpy as np
from keras import ops

from keras_rnn_kit.data.text_rules import PIECE_MARK
from keras_rnn_kit.data.vocabulary import RESERVED_TOKENS
from keras_rnn_kit.utils.validation import check_positive_int


def copy_maps(source_tokens, target_tokens):
    """Which target piece each source piece copies to.

    A source piece copies to the target pieces with the same text, with and
    without the word-start mark `▁` (the head's mark gate picks between the
    two; where only one exists, both point to it). Reserved tokens and pieces
    the target vocabulary lacks copy to nothing.

    Args:
        source_tokens: the source vocabulary's tokens, in id order.
        target_tokens: the target vocabulary's tokens, in id order.

    Returns:
        `(source_columns, target_columns, K)`: int32 `(len(source_tokens), 2)`,
        the copy column of each source id without / with the mark; int32
        `(len(target_tokens),)`, each target id's column; and `K`, how many
        target pieces can be copied. Columns number those pieces `0 .. K-1`;
        `K` means "none".
    """
    target_ids = {token: i for i, token in enumerate(target_tokens)}
    reserved = set(RESERVED_TOKENS)
    pairs = []
    for token in source_tokens:
        text = token.removeprefix(PIECE_MARK)
        if token in reserved or not text:
            pairs.append((None, None))
            continue
        plain, marked = target_ids.get(text), target_ids.get(PIECE_MARK + text)
        pairs.append(
            (marked if plain is None else plain, plain if marked is None else marked)
        )
    copyable = sorted({i for pair in pairs for i in pair if i is not None})
    column_of = {target_id: column for column, target_id in enumerate(copyable)}
    none = len(copyable)
    source_columns = np.array(
        [[none if i is None else column_of[i] for i in pair] for pair in pairs],
        dtype="int32",
    ).reshape(-1, 2)
    target_columns = np.array(
        [column_of.get(i, none) for i in range(len(target_tokens))], dtype="int32"
    )
    return source_columns, target_columns, none


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class CopyHead(keras.layers.Layer):
    """Mixes the vocabulary distribution with copies of the source pieces.

    A pointer-generator (See et al. 2017) over the decoder's own attention:

        P(w) ∝ g · softmax(logits)_w
               + (1 - g) · Σ_j a_j [source piece j copies to w]

    where `g = σ(h̃ W_g)` chooses between writing and copying, `a` are the
    attention weights over the source pieces, and a mark gate `m = σ(h̃ W_m)`
    sends a copy to the target piece with (`m`) or without (`1 - m`) the
    word-start mark. Attention on pieces the target vocabulary lacks copies to
    nothing, and the mixture is renormalized over what can be written. The head
    returns log-probabilities, so softmax, log-softmax, argmax and a from-logits
    cross-entropy read them as they read logits. Only core ops (gather, one-hot,
    matmul), so SavedModel and TFLite exports keep working.

    The copy maps (`copy_maps`) are non-trainable int32 weights: a reloaded
    model keeps them. `Translator` sets them from its preprocessor.

    Args:
        source_vocabulary_size: int > 0.
        target_vocabulary_size: int > 0.
        num_copy_targets: int >= 0, `K`: how many target pieces can be copied.
        source_columns: optional int `(source_vocabulary_size, 2)`, see
            `copy_maps` (default: nothing copies).
        target_columns: optional int `(target_vocabulary_size,)`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        logits: `(batch, ..., target_vocabulary_size)` vocabulary logits.
        attentional: `(batch, ..., units)` the decoder's attentional vectors.
        attention_weights: `(batch, ..., source_length)`.
        source_ids: int `(batch, source_length)`.

    Returns:
        log-probabilities, the shape of `logits`: float64 for a float64 head,
        else float32 (a mixed-precision head mixes its probabilities in float32).

    Example:

    >>> import numpy as np
    >>> maps = copy_maps(["<pad>", "<oov>", "<go>", "<eos>", "7"],
    ...                  ["<pad>", "<oov>", "<go>", "<eos>", "▁7", "7"])
    >>> source_columns, target_columns, num_copy_targets = maps
    >>> head = CopyHead(5, 6, num_copy_targets, source_columns, target_columns)
    >>> log_probs = head(np.zeros((1, 6), "float32"), np.zeros((1, 4), "float32"),
    ...                  np.ones((1, 1), "float32"), np.array([[4]]))
    >>> [round(float(p), 3) for p in np.exp(log_probs)[0]]  # half copied
    [0.083, 0.083, 0.083, 0.083, 0.333, 0.333]

    Reference:
        See, Liu & Manning, "Get To The Point: Summarization with
        Pointer-Generator Networks", ACL 2017.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        num_copy_targets,
        source_columns=None,
        target_columns=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.source_vocabulary_size = check_positive_int(
            "source_vocabulary_size", source_vocabulary_size
        )
        self.target_vocabulary_size = check_positive_int(
            "target_vocabulary_size", target_vocabulary_size
        )
        if not isinstance(num_copy_targets, int) or num_copy_targets < 0:
            raise ValueError(
                f"`num_copy_targets` must be an int >= 0, got {num_copy_targets!r}."
            )
        self.num_copy_targets = num_copy_targets
        none = num_copy_targets
        self._initial = {
            "source_columns": self._check_columns(
                "source_columns",
                source_columns,
                (source_vocabulary_size, 2),
                none,
            ),
            "target_columns": self._check_columns(
                "target_columns", target_columns, (target_vocabulary_size,), none
            ),
        }
        self.gates = keras.layers.Dense(
            2, activation="sigmoid", dtype=self.dtype_policy, name="gates"
        )

    @staticmethod
    def _check_columns(name, value, shape, none):
        if value is None:
            return np.full(shape, none, "int32")
        value = np.asarray(value)
        if value.shape != shape or not np.issubdtype(value.dtype, np.integer):
            raise ValueError(
                f"`{name}` must be an int array of shape {shape}, got "
                f"{value.dtype} {value.shape}."
            )
        if value.size and (value.min() < 0 or value.max() > none):
            raise ValueError(
                f"`{name}` must hold columns in [0, {none}] (num_copy_targets="
                f"{none}), got values in [{value.min()}, {value.max()}]."
            )
        return value.astype("int32")

    def build(
        self,
        logits_shape,
        attentional_shape,
        attention_weights_shape=None,
        source_ids_shape=None,
    ):
        for name, values in self._initial.items():
            weight = self.add_weight(
                name=name,
                shape=values.shape,
                dtype="int32",
                trainable=False,
                initializer=lambda shape, dtype, values=values: ops.convert_to_tensor(
                    values, dtype
                ),
            )
            setattr(self, name, weight)
        self.gates.build(attentional_shape)

    @property
    def probability_dtype(self):
        """The dtype the mixture is computed and returned in: float64 for a
        float64 head, else float32."""
        return "float64" if self.compute_dtype == "float64" else "float32"

    def call(self, logits, attentional, attention_weights, source_ids):
        none = self.num_copy_targets
        dtype = self.probability_dtype
        # 1. Write or copy (g), and copy with or without the mark (m). (..., 1)
        gates = ops.cast(self.gates(attentional), dtype)
        write, marked = gates[..., :1], gates[..., 1:]
        # 2. Each source position's copy column, one-hot. (batch, source, K + 1)
        columns = ops.take(self.source_columns, ops.cast(source_ids, "int32"), axis=0)
        plain = ops.one_hot(columns[..., 0], none + 1, dtype=dtype)
        with_mark = ops.one_hot(columns[..., 1], none + 1, dtype=dtype)
        # 3. Attention summed per copy column. (batch, ..., K + 1)
        weights = ops.cast(attention_weights, dtype)
        squeeze = len(weights.shape) == 2  # one decoder step
        if squeeze:
            weights = weights[:, None]
            marked = marked[:, None]
        copies = (1.0 - marked) * ops.matmul(weights, plain) + marked * ops.matmul(
            weights, with_mark
        )
        if squeeze:
            copies = copies[:, 0]
        # 4. Drop the "none" column, spread the columns over the vocabulary.
        copies = ops.concatenate(
            [copies[..., :none], ops.zeros_like(copies[..., :1])], axis=-1
        )
        copied = ops.take(copies, self.target_columns, axis=-1)
        # 5. Mix and renormalize over what can be written.
        probabilities = (
            write * ops.softmax(ops.cast(logits, dtype)) + (1.0 - write) * copied
        )
        total = write + (1.0 - write) * ops.sum(copies, axis=-1, keepdims=True)
        return ops.log(ops.maximum(probabilities, 1e-30)) - ops.log(total)

    def compute_output_spec(self, logits, *args):
        return keras.KerasTensor(logits.shape, dtype=self.probability_dtype)

    def get_config(self):
        config = {
            "source_vocabulary_size": self.source_vocabulary_size,
            "target_vocabulary_size": self.target_vocabulary_size,
            "num_copy_targets": self.num_copy_targets,
        }
        return {**super().get_config(), **config}
