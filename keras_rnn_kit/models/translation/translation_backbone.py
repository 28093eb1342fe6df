"""The encoder–decoder network with attention, as a functional backbone."""

import keras
from keras import ops

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.layers import BahdanauAttention
from keras_rnn_kit.layers import BidirectionalRNN
from keras_rnn_kit.layers import LuongAttention
from keras_rnn_kit.layers import StackedRNN
from keras_rnn_kit.models.translation.attention_decoder import AttentionDecoder
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rate

ENCODER_TYPES = ("bidirectional", "stacked")
ATTENTION_TYPES = ("bahdanau", "luong_general", "luong_dot")


def _make_attention(name, units):
    if name == "bahdanau":
        return BahdanauAttention(units, name="attention")
    return LuongAttention(name.split("_")[1], name="attention")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class TranslationBackbone(keras.Model):
    """Encoder–decoder with attention: source ids + target prefix -> decoder states.

    Encoder: an embedding and a kit RNN, either one `BidirectionalRNN` layer over
    `num_encoder_layers` stacked cells per direction (`"bidirectional"`, outputs
    `2 * units` wide) or a `StackedRNN` of `num_encoder_layers` cells
    (`"stacked"`). Bridge: a `Dense(tanh)` maps the encoder's final states,
    concatenated, to the decoder cell's initial states. Decoder: an
    `AttentionDecoder` (a kit cell with attention over the encoder outputs and
    input feeding; see its docstring for why it loops itself instead of using
    `keras.layers.RNN`). The task (`Translator`) adds the vocabulary head.

    Args:
        source_vocabulary_size: int > 0.
        target_vocabulary_size: int > 0.
        embedding_dim: int > 0, width of both embeddings.
        units: int > 0, width of every recurrent cell and of the attention.
        encoder_type: `"bidirectional"` (default) or `"stacked"`.
        num_encoder_layers: int > 0, cells stacked in the encoder (per direction).
        encoder_cell: kit cell name for the encoder (`"lstm"`, `"original_lstm"`,
            `"vanilla"`, `"additive"`).
        decoder_cell: kit cell name for the decoder, default `"lstm"`.
        attention: `"bahdanau"` (additive, default), `"luong_general"` or
            `"luong_dot"` (multiplicative; `dot` needs `encoder_type="stacked"` so
            the memory is `units` wide).
        dropout: float in [0, 1), dropout on embeddings and decoder outputs.
        **kwargs: base `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: dict with `token_ids` int `(batch, source_length)`, `padding_mask`
            bool `(batch, source_length)` and `decoder_token_ids` int
            `(batch, target_length)` (`<go>` then the target, teacher forcing).

    Returns:
        dict: `sequence_output` `(batch, target_length, units)` (attentional
        vectors) and `attention_weights` `(batch, target_length, source_length)`.

    Example:

    >>> import numpy as np
    >>> backbone = TranslationBackbone(20, 30, embedding_dim=8, units=8)
    >>> out = backbone({
    ...     "token_ids": np.ones((2, 5), "int32"),
    ...     "padding_mask": np.ones((2, 5), bool),
    ...     "decoder_token_ids": np.ones((2, 4), "int32")})
    >>> tuple(out["sequence_output"].shape), tuple(out["attention_weights"].shape)
    ((2, 4, 8), (2, 4, 5))

    Reference:
        Bahdanau, Cho & Bengio, "Neural Machine Translation by Jointly Learning to
        Align and Translate", ICLR 2015; Luong, Pham & Manning, "Effective
        Approaches to Attention-based Neural Machine Translation", EMNLP 2015.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=64,
        units=128,
        encoder_type="bidirectional",
        num_encoder_layers=1,
        encoder_cell="lstm",
        decoder_cell="lstm",
        attention="bahdanau",
        dropout=0.0,
        **kwargs,
    ):
        check_positive_int("source_vocabulary_size", source_vocabulary_size)
        check_positive_int("target_vocabulary_size", target_vocabulary_size)
        check_positive_int("embedding_dim", embedding_dim)
        check_positive_int("units", units)
        check_choice("encoder_type", encoder_type, ENCODER_TYPES)
        check_positive_int("num_encoder_layers", num_encoder_layers)
        check_choice("encoder_cell", encoder_cell, tuple(CELLS))
        check_choice("decoder_cell", decoder_cell, tuple(CELLS))
        check_choice("attention", attention, ATTENTION_TYPES)
        check_rate("dropout", dropout)
        if attention == "luong_dot" and encoder_type == "bidirectional":
            raise ValueError(
                "`attention='luong_dot'` needs the encoder outputs as wide as the "
                "decoder (`units`), but a bidirectional encoder gives 2 * units; got "
                "encoder_type='bidirectional'. Use 'luong_general' or 'stacked'."
            )

        # === Layers ===
        self.source_embedding = keras.layers.Embedding(
            source_vocabulary_size, embedding_dim, name="source_embedding"
        )
        self.target_embedding = keras.layers.Embedding(
            target_vocabulary_size, embedding_dim, name="target_embedding"
        )
        encoder_cells = [
            get_cell(encoder_cell, units) for _ in range(num_encoder_layers)
        ]
        if encoder_type == "bidirectional":
            self.encoder = BidirectionalRNN(
                StackedRNN(encoder_cells)
                if num_encoder_layers > 1
                else encoder_cells[0],
                return_sequences=True,
                return_state=True,
                name="encoder",
            )
        else:
            self.encoder = StackedRNN(
                encoder_cells, return_sequences=True, return_state=True, name="encoder"
            )
        cell = get_cell(decoder_cell, units)
        sizes = cell.state_size
        self.decoder_state_sizes = (
            list(sizes) if isinstance(sizes, list | tuple) else [sizes]
        )
        self.bridge = keras.layers.Dense(
            sum(self.decoder_state_sizes), activation="tanh", name="bridge"
        )
        self.decoder = AttentionDecoder(
            cell, _make_attention(attention, units), units, name="decoder"
        )
        self.dropout_layer = keras.layers.Dropout(dropout, name="dropout")

        # === Functional model ===
        inputs = {
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="bool", name="padding_mask"),
            "decoder_token_ids": keras.Input(
                (None,), dtype="int32", name="decoder_token_ids"
            ),
        }
        memory, initial_state = self.encode_layers(
            inputs["token_ids"], inputs["padding_mask"]
        )
        # Target prefix. (batch, target_length, embedding_dim)
        y = self.dropout_layer(self.target_embedding(inputs["decoder_token_ids"]))
        sequence_output, attention_weights = self.decoder(
            y, memory, inputs["padding_mask"], initial_state
        )
        outputs = {
            "sequence_output": self.dropout_layer(sequence_output),
            "attention_weights": attention_weights,
        }
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.encoder_type = encoder_type
        self.num_encoder_layers = num_encoder_layers
        self.encoder_cell = encoder_cell
        self.decoder_cell = decoder_cell
        self.attention = attention
        self.dropout = dropout

    def encode_layers(self, token_ids, padding_mask, training=None):
        """Runs embedding, encoder and bridge.

        Returns:
            `(memory, initial_state)`: `(batch, source_length, memory_dim)` encoder
            outputs and the decoder cell's initial states (a list).
        """
        # 1. Source embeddings. (batch, source_length, embedding_dim)
        x = self.dropout_layer(self.source_embedding(token_ids), training=training)
        # 2. Encoder outputs and final states (padding skipped by the mask).
        memory, *final_states = self.encoder(x, mask=padding_mask, training=training)
        # 3. Bridge: all final states -> the decoder's initial states.
        bridged = self.bridge(ops.concatenate(final_states, axis=-1))
        splits = []
        for size in self.decoder_state_sizes[:-1]:
            splits.append((splits[-1] if splits else 0) + size)
        initial_state = ops.split(bridged, splits, axis=-1) if splits else [bridged]
        return memory, list(initial_state)

    def get_config(self):
        return {
            "source_vocabulary_size": self.source_vocabulary_size,
            "target_vocabulary_size": self.target_vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "encoder_type": self.encoder_type,
            "num_encoder_layers": self.num_encoder_layers,
            "encoder_cell": self.encoder_cell,
            "decoder_cell": self.decoder_cell,
            "attention": self.attention,
            "dropout": self.dropout,
            "name": self.name,
            "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
