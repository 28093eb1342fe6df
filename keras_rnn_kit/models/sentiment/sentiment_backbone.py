"""The sentiment backbone: token embedding -> recurrent structure -> pooled vector."""

import keras
from keras import ops

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.layers import AttentionPooling
from keras_rnn_kit.layers import BidirectionalRNN
from keras_rnn_kit.layers import HierarchicalRNN
from keras_rnn_kit.layers import StackedRNN
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_non_negative_int
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rate

STRUCTURES = ("single", "stacked", "bidirectional", "hierarchical")
POOLINGS = ("last", "mean", "max_mean", "attention")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class SentimentBackbone(keras.Model):
    """Encodes token ids into one vector per text with any kit cell and structure.

        e_t = Embedding(token_ids_t)                      (mask from padding_mask)
              [; BigramEmbedding(hash(token_ids_t, token_ids_{t+1}))]
        h_1..h_T = RNN_structure(e_1..e_T)                 kit cell in each layer
        y = pool(h_1..h_T)                                 (batch, output_dim)

    Structures: `"single"` (one recurrent layer), `"stacked"` (`num_layers` layers
    with `StackedRNN`), `"bidirectional"` (`num_layers` `BidirectionalRNN` layers,
    each reading the concatenated outputs of the one below, like
    `keras.layers.Bidirectional(LSTM)` stacks) and `"hierarchical"` (sentence ->
    document with `HierarchicalRNN`: token ids are `(batch, sentences, tokens)`).

    Pooling: `"last"` (the final state; for bidirectional the forward end and the
    backward start), `"mean"` (masked mean of the outputs; not hierarchical),
    `"max_mean"` (the masked max and the masked mean, concatenated; not
    hierarchical) or `"attention"` (`AttentionPooling`; for hierarchical at both
    levels).

    Bigrams (`bigram_buckets > 0`): each step's input also holds an embedding
    of the pair (this token, the next one), hashed into `bigram_buckets` rows
    (bucket 0 for a token without a next one). Character bigrams are most of
    what a Chinese n-gram model knows (words are mostly two characters); the
    hash is integer arithmetic, so exports keep to builtin ops. A text
    without tokens (empty or padding only) is read as a single `<pad>` step (the
    hierarchical encoder skips empty sentences and returns zeros for an empty
    document), so every text gets a finite representation.

    Args:
        vocabulary_size: int > 0, rows of the embedding (the vocabulary size).
        embedding_dim: int > 0, width of the token embeddings.
        cell: kit cell name: `"lstm"`, `"original_lstm"`, `"vanilla"`, `"additive"`.
        units: int > 0, width of each recurrent layer (per direction).
        structure: one of `"single"`, `"stacked"`, `"bidirectional"`,
            `"hierarchical"`.
        num_layers: int > 0, layers for `"stacked"` / `"bidirectional"` (must be 1
            for `"single"`; ignored by `"hierarchical"`, which has two levels).
        pooling: `"last"`, `"mean"`, `"max_mean"` or `"attention"`.
        dropout: float in [0, 1), dropout on the embeddings and between layers.
        attention_units: int > 0, width of the attention space (`"attention"`).
        bigram_buckets: int >= 0, rows of the bigram embedding (0: none).
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: dict with `"token_ids"` int `(batch, time)` and `"padding_mask"`
            bool `(batch, time)`; `(batch, sentences, tokens)` for
            `"hierarchical"`.
        training: bool, whether dropout applies.

    Returns:
        `(batch, output_dim)` float tensor (`output_dim` is `units`, doubled for
        `"bidirectional"` and doubled again for `"max_mean"`).

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.models.sentiment import SentimentBackbone
    >>> backbone = SentimentBackbone(100, 8, cell="original_lstm", units=6)
    >>> ids = np.array([[5, 7, 9, 0], [4, 0, 0, 0]])
    >>> backbone({"token_ids": ids, "padding_mask": ids != 0}).shape  # (batch, 2*6)
    TensorShape([2, 12])

    Reference:
        Hochreiter & Schmidhuber 1997; Schuster & Paliwal 1997; Yang et al.,
        "Hierarchical Attention Networks for Document Classification", NAACL 2016.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=128,
        cell="lstm",
        units=64,
        structure="bidirectional",
        num_layers=2,
        pooling="last",
        dropout=0.0,
        attention_units=64,
        bigram_buckets=0,
        **kwargs,
    ):
        check_positive_int("vocabulary_size", vocabulary_size)
        check_positive_int("embedding_dim", embedding_dim)
        check_choice("cell", cell, tuple(CELLS))
        check_positive_int("units", units)
        check_choice("structure", structure, STRUCTURES)
        check_positive_int("num_layers", num_layers)
        check_choice("pooling", pooling, POOLINGS)
        check_rate("dropout", dropout)
        check_positive_int("attention_units", attention_units)
        if check_non_negative_int("bigram_buckets", bigram_buckets):
            check_bigram_buckets(bigram_buckets)
        if structure == "single" and num_layers != 1:
            raise ValueError(
                f'`num_layers` must be 1 for structure="single", got {num_layers}; '
                'use structure="stacked" for several layers.'
            )
        if structure == "hierarchical" and pooling in ("mean", "max_mean"):
            raise ValueError(
                '`pooling` must be "last" or "attention" for structure='
                f'"hierarchical", got "{pooling}".'
            )
        hierarchical = structure == "hierarchical"
        sequences = pooling != "last"

        # === Layers ===
        token_embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, mask_zero=True, name="token_embedding"
        )
        bigram_embedding = None
        if bigram_buckets:
            bigram_embedding = keras.layers.Embedding(
                bigram_buckets, embedding_dim, name="bigram_embedding"
            )
        embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
        encoders = _encoders(
            cell, units, structure, num_layers, pooling, dropout, attention_units
        )
        pooler = None
        if not hierarchical and pooling == "attention":
            pooler = AttentionPooling(attention_units, name="attention_pooling")

        # === Functional graph ===
        id_shape = (None, None) if hierarchical else (None,)
        token_ids = keras.Input(shape=id_shape, dtype="int32", name="token_ids")
        padding_mask = keras.Input(shape=id_shape, dtype="bool", name="padding_mask")
        # 1. A text with no real token keeps its first step: (batch, time) bool.
        # (HierarchicalRNN itself skips empty segments and documents.)
        mask = padding_mask
        if not hierarchical:
            ones = ops.ones_like(padding_mask, dtype="int32")
            mask = ops.logical_or(mask, ops.equal(ops.cumsum(ones, axis=-1), 1))
        # 2. Embed: (batch, time, embedding_dim), twice that with bigrams.
        x = token_embedding(token_ids)
        if bigram_embedding is not None:
            pairs = bigram_ids(token_ids, padding_mask, vocabulary_size, bigram_buckets)
            x = ops.concatenate([x, bigram_embedding(pairs)], axis=-1)
        x = embedding_dropout(x)
        # 3. Recurrent structure: (batch, time, d) or (batch, d).
        if hierarchical:
            x = encoders[0](x, padding_mask=mask)
        else:
            for encoder in encoders:
                x = encoder(x, mask=mask)
        # 4. Pool to (batch, d).
        if pooler is not None:
            x = pooler(x, mask=mask)
        elif sequences and not hierarchical:
            weights = ops.cast(mask, x.dtype)[:, :, None]
            mean = ops.sum(x * weights, axis=1) / ops.sum(weights, axis=1)
            if pooling == "max_mean":
                # Every text has a real step (1.): the max is never the fill.
                fill = ops.full_like(x, float("-inf"))
                maximum = ops.max(ops.where(mask[:, :, None], x, fill), axis=1)
                x = ops.concatenate([maximum, mean], axis=-1)
            else:
                x = mean
        super().__init__(
            inputs={"token_ids": token_ids, "padding_mask": padding_mask},
            outputs=x,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.cell = cell
        self.units = units
        self.structure = structure
        self.num_layers = num_layers
        self.pooling = pooling
        self.dropout = dropout
        self.attention_units = attention_units
        self.bigram_buckets = bigram_buckets
        self.token_embedding = token_embedding
        self.output_dim = (
            units
            * (2 if structure == "bidirectional" else 1)
            * (2 if pooling == "max_mean" else 1)
        )

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "cell": self.cell,
            "units": self.units,
            "structure": self.structure,
            "num_layers": self.num_layers,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "attention_units": self.attention_units,
            "bigram_buckets": self.bigram_buckets,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def bigram_ids(token_ids, padding_mask, vocabulary_size, buckets):
    """Each token's bigram (it, the next token) hashed into `[1, buckets)`.

    `(a * vocabulary_size + b) mod (buckets - 1) + 1` numbers every pair of ids
    `a, b < vocabulary_size` before folding, in int64, so no pair overflows.

    Args:
        token_ids: int tensor `(..., time)`.
        padding_mask: bool tensor like `token_ids`, True at real tokens.
        vocabulary_size: int, more than every id.
        buckets: int >= 2, the rows of the bigram embedding.

    Returns:
        int32 tensor like `token_ids`: the bucket of each real token's pair
        with the next real token, 0 where either is padding (or at the end).

    Example:

    >>> import numpy as np
    >>> ids = np.array([[3, 4, 5, 0]])  # pairs (3, 4): 34 % 7 + 1; (4, 5): 45 % 7 + 1
    >>> bigram_ids(ids, ids != 0, vocabulary_size=10, buckets=8).numpy().tolist()
    [[7, 4, 0, 0]]
    """
    check_bigram_buckets(buckets)
    pad = [[0, 0]] * (len(token_ids.shape) - 1) + [[0, 1]]
    ids = ops.cast(token_ids, "int64")
    next_ids = ops.pad(ids[..., 1:], pad)
    next_real = ops.pad(padding_mask[..., 1:], pad, constant_values=False)
    pair = ids * vocabulary_size + next_ids
    hashed = ops.mod(pair, buckets - 1) + 1
    both_real = ops.logical_and(padding_mask, next_real)
    return ops.cast(ops.where(both_real, hashed, 0), "int32")


def check_bigram_buckets(buckets):
    """Raises unless `buckets` is an int >= 2 (row 0 is for tokens without a
    next token, so one row would hold no pair)."""
    if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 2:
        raise ValueError(
            "`bigram_buckets` must be 0 (no bigrams) or an int >= 2 (row 0 is for "
            f"tokens without a next token), got {buckets!r}."
        )


def _encoders(cell, units, structure, num_layers, pooling, dropout, attention_units):
    """The recurrent layers of a structure, bottom first."""
    sequences = pooling != "last"
    if structure == "single":
        return [RNN(get_cell(cell, units), return_sequences=sequences, name="rnn")]
    if structure == "stacked":
        cells = [get_cell(cell, units) for _ in range(num_layers)]
        return [
            StackedRNN(
                cells,
                return_sequences=sequences,
                dropout_between=dropout,
                name="stacked_rnn",
            )
        ]
    if structure == "bidirectional":
        layers = []
        for index in range(num_layers):
            top = index == num_layers - 1
            layers.append(
                BidirectionalRNN(
                    get_cell(cell, units),
                    return_sequences=sequences or not top,
                    name=f"bidirectional_{index}",
                )
            )
            if not top and dropout:
                layers.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
        return layers
    pool = "attention" if pooling == "attention" else "last"
    return [
        HierarchicalRNN(
            get_cell(cell, units),
            get_cell(cell, units),
            inner_pooling=pool,
            outer_pooling="attention" if pool == "attention" else None,
            attention_units=attention_units,
            name="hierarchical_rnn",
        )
    ]
