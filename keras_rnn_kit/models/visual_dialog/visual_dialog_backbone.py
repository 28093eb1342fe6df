"""Late-fusion and hierarchical (HRE) encoders for Visual Dialog (Das et al.)."""

import keras

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.layers import HierarchicalRNN
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.visual_dialog.candidate_encoder import CandidateEncoder
from keras_rnn_kit.utils.precision import float32_under_mixed_precision
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

ENCODERS = ("late_fusion", "hre")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VisualDialogBackbone(keras.Model):
    """Encodes (image, history, question) and every candidate answer.

    Encoders (Das et al. 2017):
    - `"late_fusion"`: the history rounds are joined into one token sequence
      and encoded by one RNN; the question by another; the image vector, the
      question vector and the history vector are concatenated and fused by a
      tanh layer.
    - `"hre"` (hierarchical recurrent encoder): a `HierarchicalRNN` encodes
      each history round (inner RNN) and then the sequence of rounds (outer
      RNN); empty rounds are skipped. Fusion as above.
    The candidate answers are encoded by a shared answer RNN (the
    discriminative decoder's side); the task scores them by dot product.

    Args:
        vocabulary_size: int > 0 (one vocabulary for all text).
        encoder: `"late_fusion"` or `"hre"`.
        embedding_dim: int > 0.
        units: int > 0, width of every RNN and of the encoding.
        cell: kit cell name.
        image_encoder: an `ImageEncoder` or `None` (default small CNN).
        image_size: int > 0.
        answer_length: int > 0, tokens per candidate answer (a static shape).
        **kwargs: base `keras.Model` arguments.

    Call arguments:
        inputs: dict with `images`, `token_ids`/`padding_mask` `(batch, q)`,
            `history_token_ids`/`history_padding_mask` `(batch, rounds, h)`,
            `candidate_token_ids`/`candidate_padding_mask`
            `(batch, options, answer_length)`.

    Returns:
        Dict with `encoding` `(batch, units)` and `candidate_encodings`
        `(batch, options, units)`.

    Example:

    >>> import numpy as np
    >>> backbone = VisualDialogBackbone(20, encoder="hre", units=8, image_size=16,
    ...                                 answer_length=2)
    >>> out = backbone({
    ...     "images": np.zeros((2, 16, 16, 3)),
    ...     "token_ids": np.ones((2, 4), "int32"),
    ...     "padding_mask": np.ones((2, 4), bool),
    ...     "history_token_ids": np.ones((2, 3, 5), "int32"),
    ...     "history_padding_mask": np.ones((2, 3, 5), bool),
    ...     "candidate_token_ids": np.ones((2, 6, 2), "int32"),
    ...     "candidate_padding_mask": np.ones((2, 6, 2), bool)})
    >>> tuple(out["encoding"].shape), tuple(out["candidate_encodings"].shape)
    ((2, 8), (2, 6, 8))

    Reference:
        Das et al., "Visual Dialog", CVPR 2017.
    """

    def __init__(
        self,
        vocabulary_size,
        encoder="hre",
        embedding_dim=32,
        units=64,
        cell="lstm",
        image_encoder=None,
        image_size=64,
        answer_length=1,
        **kwargs,
    ):
        # === Layers ===
        check_positive_int("vocabulary_size", vocabulary_size)
        check_choice("encoder", encoder, ENCODERS)
        check_positive_int("embedding_dim", embedding_dim)
        check_positive_int("units", units)
        check_choice("cell", cell, CELLS)
        check_positive_int("image_size", image_size)
        check_positive_int("answer_length", answer_length)
        if image_encoder is None:
            image_encoder = ImageEncoder(image_size=image_size, name="image_encoder")
        elif not isinstance(image_encoder, ImageEncoder):
            raise ValueError(
                "`image_encoder` must be an ImageEncoder or None, got "
                f"{type(image_encoder).__name__}."
            )
        embedding = keras.layers.Embedding(
            vocabulary_size, embedding_dim, name="token_embedding"
        )
        question_rnn = RNN(get_cell(cell, units), name="question_rnn")
        if encoder == "hre":
            history_rnn = HierarchicalRNN(
                get_cell(cell, units), get_cell(cell, units), name="history_rnn"
            )
        else:
            history_rnn = RNN(get_cell(cell, units), name="history_rnn")
        answer_rnn = CandidateEncoder(RNN(get_cell(cell, units)), name="answer_rnn")
        image_projection = keras.layers.Dense(
            units, activation="tanh", name="image_projection"
        )
        fusion = keras.layers.Dense(units, activation="tanh", name="fusion")

        # === Functional model ===
        inputs = {
            "images": keras.Input((image_size, image_size, 3), name="images"),
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="bool", name="padding_mask"),
            "history_token_ids": keras.Input(
                (None, None), dtype="int32", name="history_token_ids"
            ),
            "history_padding_mask": keras.Input(
                (None, None), dtype="bool", name="history_padding_mask"
            ),
            "candidate_token_ids": keras.Input(
                (None, answer_length), dtype="int32", name="candidate_token_ids"
            ),
            "candidate_padding_mask": keras.Input(
                (None, answer_length), dtype="bool", name="candidate_padding_mask"
            ),
        }
        # 1. Image vector, L2-normalised then projected: (batch, units).
        grid = image_encoder(inputs["images"])
        image_vector = keras.layers.GlobalMaxPooling2D(name="image_pooling")(grid)
        image_vector = image_projection(
            keras.layers.UnitNormalization(
                dtype=float32_under_mixed_precision(), name="image_l2_norm"
            )(image_vector)
        )
        # 2. Question: (batch, units).
        question = question_rnn(
            embedding(inputs["token_ids"]), mask=inputs["padding_mask"]
        )
        # 3. History: (batch, rounds, tokens, embedding_dim) -> (batch, units).
        history_mask = inputs["history_padding_mask"]
        history_tokens = embedding(inputs["history_token_ids"])
        if encoder == "hre":
            history = history_rnn(history_tokens, padding_mask=history_mask)
        else:
            flat_tokens = keras.layers.Reshape((-1, embedding_dim))(history_tokens)
            flat_mask = keras.layers.Reshape((-1,))(history_mask)
            history = history_rnn(flat_tokens, mask=flat_mask)
        # 4. Late fusion: (batch, units).
        encoding = fusion(
            keras.layers.Concatenate(name="fused")([image_vector, question, history])
        )
        # 5. Candidate answers: (batch, options, units).
        candidates = answer_rnn(
            embedding(inputs["candidate_token_ids"]),
            mask=inputs["candidate_padding_mask"],
        )
        super().__init__(
            inputs=inputs,
            outputs={"encoding": encoding, "candidate_encodings": candidates},
            **kwargs,
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.encoder = encoder
        self.embedding_dim = embedding_dim
        self.units = units
        self.cell = cell
        self.image_encoder = image_encoder
        self.image_size = image_size
        self.answer_length = answer_length

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "encoder": self.encoder,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "cell": self.cell,
            "image_encoder": keras.layers.serialize(self.image_encoder),
            "image_size": self.image_size,
            "answer_length": self.answer_length,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["image_encoder"] = keras.layers.deserialize(config["image_encoder"])
        return cls(**config)
