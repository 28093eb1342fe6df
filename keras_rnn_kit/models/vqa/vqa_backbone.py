"""The "deeper LSTM Q + norm I" VQA backbone (Antol et al. 2015)."""

import keras
from keras import ops

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.layers import StackedRNN
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.utils.precision import float32_under_mixed_precision
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rate

POOLINGS = ("flatten", "average", "max")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VQABackbone(keras.Model):
    """Encodes an image and a question into one fused vector.

    Question: token embeddings, a `StackedRNN` of `num_layers` kit cells, and
    the final states of every layer (`h` and, for LSTMs, `c`) concatenated and
    projected with a tanh layer to `fusion_dim` ("deeper LSTM Q").
    Image: a CNN grid (`ImageEncoder`) pooled to one vector, L2-normalised, and
    projected with a tanh layer to `fusion_dim` ("norm I"). With
    `image_feature_dim` the image side instead takes precomputed feature vectors.
    Fusion: the element-wise product of the two `fusion_dim` vectors.

    Args:
        vocabulary_size: int > 0, number of question token ids (0 is padding).
        embedding_dim: int > 0, width of the token embeddings.
        hidden_dim: int > 0, units of each recurrent layer.
        num_layers: int > 0, recurrent layers in the question stack.
        fusion_dim: int > 0, width of both projected vectors and the output.
        cell: kit cell name: `"vanilla"`, `"additive"`, `"original_lstm"` or
            `"lstm"`.
        image_encoder: an `ImageEncoder`; `None` builds the default small CNN
            for `image_size`. Ignored when `image_feature_dim` is set.
        image_size: int > 0, side of the square `images` input.
        pooling: how the image grid becomes a vector: `"flatten"`, `"average"`
            or `"max"`.
        image_feature_dim: `None` (the model sees pixels) or the width of
            precomputed image features, fed as `image_features`.
        dropout: float in [0, 1), dropout on both projected vectors.
        image_scale: bool; if True (default) the unit-norm image vector is
            multiplied by the constant `sqrt(features)`, so its entries have unit
            scale and the tanh projection starts out of its flat region (the
            direction, all that "norm I" keeps, is unchanged).
        **kwargs: base `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: dict with `token_ids` `(batch, tokens)` int, `padding_mask`
            `(batch, tokens)` (true/1 for real tokens) and either `images`
            `(batch, image_size, image_size, 3)` float in `[0, 1]` or
            `image_features` `(batch, image_feature_dim)`.

    Returns:
        `(batch, fusion_dim)` fused vector.

    Example:

    >>> import numpy as np
    >>> backbone = VQABackbone(vocabulary_size=20, image_size=16, fusion_dim=8)
    >>> backbone({"images": np.zeros((2, 16, 16, 3)),
    ...           "token_ids": np.ones((2, 5), "int32"),
    ...           "padding_mask": np.ones((2, 5), "int32")}).shape
    TensorShape([2, 8])

    Reference:
        Antol et al., "VQA: Visual Question Answering", ICCV 2015.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=64,
        hidden_dim=128,
        num_layers=2,
        fusion_dim=128,
        cell="lstm",
        image_encoder=None,
        image_size=64,
        pooling="flatten",
        image_feature_dim=None,
        dropout=0.0,
        image_scale=True,
        **kwargs,
    ):
        # === Layers ===
        check_positive_int("vocabulary_size", vocabulary_size)
        check_positive_int("embedding_dim", embedding_dim)
        check_positive_int("hidden_dim", hidden_dim)
        check_positive_int("num_layers", num_layers)
        check_positive_int("fusion_dim", fusion_dim)
        check_choice("cell", cell, CELLS)
        check_positive_int("image_size", image_size)
        check_choice("pooling", pooling, POOLINGS)
        check_rate("dropout", dropout)
        if image_feature_dim is not None:
            check_positive_int("image_feature_dim", image_feature_dim)
            image_encoder = None
        elif image_encoder is None:
            image_encoder = ImageEncoder(image_size=image_size, name="image_encoder")
        elif not isinstance(image_encoder, ImageEncoder):
            raise ValueError(
                "`image_encoder` must be an ImageEncoder or None, got "
                f"{type(image_encoder).__name__}."
            )
        embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, name="token_embedding"
        )
        question_rnn = StackedRNN(
            [get_cell(cell, hidden_dim) for _ in range(num_layers)],
            return_state=True,
            name="question_rnn",
        )
        question_projection = keras.layers.Dense(
            fusion_dim, activation="tanh", name="question_projection"
        )
        image_pooling = {
            "flatten": keras.layers.Flatten,
            "average": keras.layers.GlobalAveragePooling2D,
            "max": keras.layers.GlobalMaxPooling2D,
        }[pooling](name="image_pooling")
        image_projection = keras.layers.Dense(
            fusion_dim, activation="tanh", name="image_projection"
        )

        # === Functional model ===
        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        padding_mask = keras.Input((None,), dtype="bool", name="padding_mask")
        if image_feature_dim is None:
            image_input = keras.Input(
                (image_size, image_size, 3), dtype="float32", name="images"
            )
            # 1. Image grid, pooled: (batch, features).
            image_vector = image_pooling(image_encoder(image_input))
        else:
            image_input = keras.Input(
                (image_feature_dim,), dtype="float32", name="image_features"
            )
            image_vector = image_input
        # 2. "norm I": L2-normalise, project: (batch, fusion_dim).
        image_vector = keras.layers.UnitNormalization(
            dtype=float32_under_mixed_precision(), name="image_l2_norm"
        )(image_vector)
        if image_scale:
            feature_dim = image_vector.shape[-1]
            image_vector = keras.layers.Rescaling(
                float(feature_dim) ** 0.5, name="image_scale"
            )(image_vector)
        image_vector = image_projection(image_vector)
        # 3. "deeper LSTM Q": every layer's final states: (batch, fusion_dim).
        mask = ops.cast(padding_mask, "bool")
        x = embedding(token_ids)  # (batch, tokens, embedding_dim)
        # [last output, h_1, c_1, ..., h_L, c_L], each (batch, hidden_dim).
        _, *final_states = question_rnn(x, mask=mask)
        question_vector = question_projection(
            keras.layers.Concatenate(name="question_states")(final_states)
            if len(final_states) > 1
            else final_states[0]
        )
        if dropout > 0.0:
            image_vector = keras.layers.Dropout(dropout)(image_vector)
            question_vector = keras.layers.Dropout(dropout)(question_vector)
        # 4. Fusion by element-wise product: (batch, fusion_dim).
        fused = keras.layers.Multiply(name="fusion")([image_vector, question_vector])
        input_name = "images" if image_feature_dim is None else "image_features"
        super().__init__(
            inputs={
                input_name: image_input,
                "token_ids": token_ids,
                "padding_mask": padding_mask,
            },
            outputs=fused,
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.fusion_dim = fusion_dim
        self.cell = cell
        self.image_encoder = image_encoder
        self.image_size = image_size
        self.pooling = pooling
        self.image_feature_dim = image_feature_dim
        self.dropout = dropout
        self.image_scale = image_scale

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
            "fusion_dim": self.fusion_dim,
            "cell": self.cell,
            "image_encoder": (
                None
                if self.image_encoder is None
                else keras.layers.serialize(self.image_encoder)
            ),
            "image_size": self.image_size,
            "pooling": self.pooling,
            "image_feature_dim": self.image_feature_dim,
            "dropout": self.dropout,
            "image_scale": self.image_scale,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("image_encoder") is not None:
            config["image_encoder"] = keras.layers.deserialize(config["image_encoder"])
        return cls(**config)
