"""Show-and-tell and show-attend-and-tell caption decoders over a CNN grid."""

import keras
from keras import ops

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.layers import BahdanauAttention
from keras_rnn_kit.layers import LuongAttention
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.translation.attention_decoder import AttentionDecoder
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rate

ATTENTION_TYPES = (None, "bahdanau", "luong_general")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class CaptioningBackbone(keras.Model):
    """Image + caption prefix -> decoder features (teacher forcing).

    The `ImageEncoder` grid `(h, w, c)` becomes `h * w` region vectors. Their
    mean, through a tanh layer, gives the decoder cell's initial states (Xu et
    al.'s `f_init`; show-and-tell's "image as the first input" in state form).
    Without attention (`attention=None`, show and tell) a kit cell in
    `keras.layers.RNN` reads the word embeddings. With attention (show, attend
    and tell) the kit `AttentionDecoder` attends over the regions at every
    step (Luong-style, with input feeding) and also returns the attention
    weights, one map over the grid per word.

    Args:
        vocabulary_size: int > 0.
        embedding_dim: int > 0.
        units: int > 0, width of the cell (and of the attention).
        cell: kit cell name (`"lstm"`, `"original_lstm"`, `"vanilla"`,
            `"additive"`).
        attention: `None`, `"bahdanau"` or `"luong_general"`.
        image_encoder: an `ImageEncoder`, or `None` for the default small CNN.
        image_size: int > 0, side of the square images.
        dropout: float in [0, 1), dropout on the embeddings and the output.
        **kwargs: base `keras.Model` arguments.

    Call arguments:
        inputs: dict with `images` `(batch, image_size, image_size, 3)` float,
            `decoder_token_ids` int `(batch, time)` (`<go>` then the caption) and
            `decoder_padding_mask` bool `(batch, time)`.

    Returns:
        Dict with `sequence_output` `(batch, time, units)` and, with attention,
        `attention_weights` `(batch, time, h * w)`.

    Example:

    >>> import numpy as np
    >>> backbone = CaptioningBackbone(20, units=8, image_size=16, attention="bahdanau")
    >>> out = backbone({"images": np.zeros((2, 16, 16, 3)),
    ...                 "decoder_token_ids": np.ones((2, 5), "int32"),
    ...                 "decoder_padding_mask": np.ones((2, 5), bool)})
    >>> tuple(out["sequence_output"].shape), tuple(out["attention_weights"].shape)
    ((2, 5, 8), (2, 5, 4))

    Reference:
        Vinyals et al., "Show and Tell: A Neural Image Caption Generator", CVPR
        2015; Xu et al., "Show, Attend and Tell", ICML 2015.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=64,
        units=128,
        cell="lstm",
        attention=None,
        image_encoder=None,
        image_size=64,
        dropout=0.0,
        **kwargs,
    ):
        # === Layers ===
        check_positive_int("vocabulary_size", vocabulary_size)
        check_positive_int("embedding_dim", embedding_dim)
        check_positive_int("units", units)
        check_choice("cell", cell, CELLS)
        check_choice("attention", attention, ATTENTION_TYPES)
        check_positive_int("image_size", image_size)
        check_rate("dropout", dropout)
        if image_encoder is None:
            image_encoder = ImageEncoder(image_size=image_size, name="image_encoder")
        elif not isinstance(image_encoder, ImageEncoder):
            raise ValueError(
                "`image_encoder` must be an ImageEncoder or None, got "
                f"{type(image_encoder).__name__}."
            )
        decoder_cell = get_cell(cell, units)
        state_sizes = list(decoder_cell.state_size)
        token_embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, name="token_embedding"
        )
        state_bridge = keras.layers.Dense(
            sum(state_sizes), activation="tanh", name="state_bridge"
        )
        if attention is None:
            decoder = RNN(decoder_cell, return_sequences=True, name="decoder")
        else:
            scorer = (
                BahdanauAttention(units, name="attention")
                if attention == "bahdanau"
                else LuongAttention("general", name="attention")
            )
            decoder = AttentionDecoder(decoder_cell, scorer, units, name="decoder")
        embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
        output_dropout = keras.layers.Dropout(dropout, name="output_dropout")

        # === Functional model ===
        images = keras.Input((image_size, image_size, 3), name="images")
        token_ids = keras.Input((None,), dtype="int32", name="decoder_token_ids")
        padding_mask = keras.Input((None,), dtype="bool", name="decoder_padding_mask")
        # 1. Regions: (batch, h * w, channels).
        grid = image_encoder(images)
        memory = keras.layers.Reshape((-1, grid.shape[-1]), name="regions")(grid)
        # 2. Initial states from the mean region: each (batch, units).
        mean_region = keras.layers.GlobalAveragePooling1D(name="mean_region")(memory)
        states = ops.split(state_bridge(mean_region), len(state_sizes), axis=-1)
        # 3. Word embeddings of <go> y_1 ... y_{T-1}: (batch, time, embedding_dim).
        x = embedding_dropout(token_embedding(token_ids))
        # 4. Decoder: (batch, time, units) [+ (batch, time, h * w) weights].
        outputs = {}
        if attention is None:
            sequence = decoder(x, initial_state=states, mask=padding_mask)
        else:
            memory_mask = ops.ones_like(memory[..., 0], dtype="bool")
            sequence, weights = decoder(x, memory, memory_mask, states)
            outputs["attention_weights"] = weights
        outputs["sequence_output"] = output_dropout(sequence)
        super().__init__(
            inputs={
                "images": images,
                "decoder_token_ids": token_ids,
                "decoder_padding_mask": padding_mask,
            },
            outputs=outputs,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.cell = cell
        self.attention = attention
        self.image_encoder = image_encoder
        self.image_size = image_size
        self.dropout = dropout
        self.token_embedding = token_embedding
        self.state_bridge = state_bridge
        self.decoder = decoder
        self.state_count = len(state_sizes)

    def encode(self, images):
        """Encodes preprocessed images into the decoding state (a dict).

        Args:
            images: `(batch, image_size, image_size, 3)` float.

        Returns:
            Dict with `cell_states` and, with attention, `memory`, `keys`,
            `memory_mask` and `feed` (every leaf has a leading batch axis, so
            samplers can tile and reorder it).
        """
        grid = self.image_encoder(images, training=False)
        memory = ops.reshape(grid, (ops.shape(grid)[0], -1, grid.shape[-1]))
        states = ops.split(
            self.state_bridge(ops.mean(memory, axis=1)), self.state_count, axis=-1
        )
        state = {"cell_states": list(states)}
        if self.attention is not None:
            state.update(
                memory=memory,
                keys=self.decoder.prepare_memory(memory),
                memory_mask=ops.ones_like(memory[..., 0], dtype="bool"),
                feed=ops.zeros((ops.shape(memory)[0], self.units), memory.dtype),
            )
        return state

    def step(self, token_ids, state):
        """One decoder step from `(batch,)` previous tokens.

        Returns:
            `(features, new_state, weights)`: `(batch, units)`, the updated
            state dict, and `(batch, h * w)` attention weights (`None` without
            attention).
        """
        x = self.token_embedding(token_ids)  # (batch, embedding_dim)
        if self.attention is None:
            h, cell_states = self.decoder.cell(x, state["cell_states"])
            return h, {"cell_states": list(cell_states)}, None
        features, cell_states, weights = self.decoder.step(
            x,
            state["cell_states"],
            state["feed"],
            state["memory"],
            state["keys"],
            state["memory_mask"],
        )
        new_state = {**state, "cell_states": list(cell_states), "feed": features}
        return features, new_state, weights

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "cell": self.cell,
            "attention": self.attention,
            "image_encoder": keras.layers.serialize(self.image_encoder),
            "image_size": self.image_size,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["image_encoder"] = keras.layers.deserialize(config["image_encoder"])
        return cls(**config)
