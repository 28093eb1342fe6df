"""The captioning task: a `CaptioningBackbone`, a word head, and `caption()`."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_rnn_kit.metrics.masked_token_accuracy import MaskedTokenAccuracy
from keras_rnn_kit.models.captioning import captioning_export
from keras_rnn_kit.models.captioning.captioning_backbone import CaptioningBackbone
from keras_rnn_kit.models.captioning.captioning_preprocessor import (
    CaptioningPreprocessor,
)
from keras_rnn_kit.models.raw_samples import scale_token_weights
from keras_rnn_kit.models.task import Task
from keras_rnn_kit.samplers import BeamSampler
from keras_rnn_kit.samplers import GreedySampler
from keras_rnn_kit.utils.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class ImageCaptioner(Task):
    """Generates captions for images (show and tell / show, attend and tell).

    Training is teacher-forced: the model maps images and `<go> w_1 ...` to
    next-word logits. `caption()` decodes with the kit samplers (greedy for
    `beam_width=1`, beam search otherwise) in one `tf.function` per setting;
    `attention_maps()` returns, for an attention backbone, the grid each
    generated word attended to. `fit` / `evaluate` take raw images (uint8,
    float in [0, 1], or encoded JPEG/PNG/BMP bytes) and caption strings,
    `predict` a pair `(images, captions)` (see `Task`); `compile()` defaults
    to Adam, cross-entropy from logits and `MaskedTokenAccuracy`.

    Export (the `keras_rnn_kit.export` protocol): `serving_signatures()` caption
    encoded image bytes in the graph (greedy `serving_default`, `beam_search`),
    `tflite_signatures()` give the `encode` / `step` pair (any batch) that
    `TFLiteRunner` decodes, and `export_text_assets(path)` writes the vocabulary
    as JSON (see `captioning_export`).

    Args:
        backbone: a `CaptioningBackbone`.
        preprocessor: a `CaptioningPreprocessor` (needed by `caption`), or `None`.
        **kwargs: base `keras.Model` arguments.

    Call arguments:
        inputs: the backbone's dict.

    Returns:
        `(batch, time, vocabulary_size)` logits.

    Example:

    >>> import numpy as np
    >>> pre = CaptioningPreprocessor.from_captions(["a red circle"], image_size=16)
    >>> backbone = CaptioningBackbone(len(pre.vocabulary), units=8, image_size=16)
    >>> captioner = ImageCaptioner(backbone, pre)
    >>> images = np.zeros((2, 16, 16, 3), "uint8")  # (batch, height, width, 3)
    >>> captioner.compile()
    >>> _ = captioner.fit(images, ["a red circle"] * 2, epochs=1, verbose=0)
    >>> len(captioner.caption(images, beam_width=2))
    2

    Reference:
        Vinyals et al., "Show and Tell", CVPR 2015; Xu et al., "Show, Attend
        and Tell", ICML 2015.
    """

    def __init__(self, backbone, preprocessor=None, **kwargs):
        # === Layers ===
        if not isinstance(backbone, CaptioningBackbone):
            raise TypeError(
                "`backbone` must be a CaptioningBackbone, got "
                f"{type(backbone).__name__}."
            )
        if preprocessor is not None and not isinstance(
            preprocessor, CaptioningPreprocessor
        ):
            raise TypeError(
                "`preprocessor` must be a CaptioningPreprocessor or None, got "
                f"{type(preprocessor).__name__}."
            )
        word_head = keras.layers.Dense(backbone.vocabulary_size, name="word_head")

        # === Functional model ===
        inputs = backbone.input
        # 1. Decoder features: (batch, time, units).
        sequence = backbone(inputs)["sequence_output"]
        # 2. Next-word logits: (batch, time, vocabulary_size).
        logits = word_head(sequence)
        super().__init__(inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.word_head = word_head

    def default_metrics(self):
        return [MaskedTokenAccuracy()]

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """Raw images `(batch, h, w, c)` (uint8, float in [0, 1], or encoded
        JPEG/PNG/BMP bytes `(batch,)`) and captions `(batch,)` -> the
        teacher-forced inputs, next-word labels and padding weights."""
        self._require_preprocessor("raw image input")
        if y is None:
            raise ValueError(
                "`ImageCaptioner` reads the caption it scores (teacher forcing): "
                "pass `(images, captions)`; `caption(images)` writes new ones."
            )
        inputs, labels, weights = self.preprocessor({"images": x, "captions": y})
        return inputs, labels, scale_token_weights(weights, sample_weight)

    def step(self, token_ids, state):
        """The samplers' `step_fn`: `(batch,)` ids -> log-probs, new state."""
        features, new_state, _ = self.backbone.step(token_ids, state)
        logits = ops.cast(self.word_head(features), "float32")
        return ops.log_softmax(logits, axis=-1), new_state

    def generate(self, images, beam_width=1, max_length=None, length_penalty=0.0):
        """Decodes preprocessed images into token ids.

        Args:
            images: `(batch, image_size, image_size, 3)` float in `[0, 1]`.
            beam_width: int >= 1; 1 decodes greedily.
            max_length: int > 0, most tokens (`<eos>` included); default the
                preprocessor's `sequence_length` (20 without one).
            length_penalty: float >= 0, see `BeamSampler`.

        Returns:
            int32 `(batch, max_length)`: `<eos>` then `<pad>` after each caption.
        """
        check_positive_int("beam_width", beam_width)
        if max_length is None:
            max_length = self.preprocessor.sequence_length if self.preprocessor else 20
        check_positive_int("max_length", max_length)
        key = (beam_width, max_length, float(length_penalty))
        cache = self.__dict__.setdefault("_generate_functions", {})
        if key not in cache:
            if beam_width == 1:
                sampler = GreedySampler(max_length=max_length)
            else:
                sampler = BeamSampler(
                    beam_width=beam_width,
                    length_penalty=length_penalty,
                    max_length=max_length,
                )

            @tf.function(
                input_signature=(tf.TensorSpec((None, None, None, 3), tf.float32),)
            )
            def generate_function(images):
                out = sampler(self.step, self.backbone.encode(images))
                ids = out["token_ids"]
                return ids if beam_width == 1 else ids[:, 0]

            cache[key] = generate_function
        return cache[key](tf.convert_to_tensor(images, tf.float32))

    def caption(self, images, beam_width=1, max_length=None, length_penalty=0.0):
        """Captions a batch of raw images.

        Args:
            images: `(batch, height, width, channels)` `uint8` or float in
                `[0, 1]` (resized to the model's size; see the preprocessor).
            beam_width: int >= 1.
            max_length: int > 0 or `None` (the preprocessor's length).
            length_penalty: float >= 0.

        Returns:
            A list of `batch` caption strings.
        """
        self._require_preprocessor("caption()")
        images = self.preprocessor.preprocess_images(images)
        ids = self.generate(images, beam_width, max_length, length_penalty)
        return [s.decode("utf-8") for s in self.preprocessor.detokenize(ids).numpy()]

    def attention_maps(self, images, beam_width=1, max_length=None):
        """Greedy/beam captions and, per word, the attention over the grid.

        Args:
            images: raw images as for `caption`.
            beam_width: int >= 1.
            max_length: int > 0 or `None`.

        Returns:
            A list (one per image) of `(words, maps)`: the generated words and a
            `(len(words), grid_h, grid_w)` numpy array of attention weights.
        """
        self._require_preprocessor("attention_maps()")
        if self.backbone.attention is None:
            raise ValueError(
                "`attention_maps()` needs a backbone built with attention "
                "(attention='bahdanau' or 'luong_general')."
            )
        images = np.asarray(self.preprocessor.preprocess_images(images))
        ids = np.asarray(self.generate(images, beam_width, max_length))
        go = np.full((ids.shape[0], 1), self.preprocessor.vocabulary.go_id, ids.dtype)
        decoder_ids = np.concatenate([go, ids[:, :-1]], axis=1)
        outputs = self.backbone(
            {
                "images": images,
                "decoder_token_ids": decoder_ids,
                "decoder_padding_mask": np.ones_like(decoder_ids, bool),
            }
        )
        weights = np.asarray(outputs["attention_weights"])
        grid = self.backbone.image_encoder.compute_output_shape(tuple(images.shape))
        vocabulary = self.preprocessor.vocabulary
        results = []
        for row, weight in zip(ids, weights, strict=True):
            words = vocabulary.decode(row)
            maps = weight[: len(words)].reshape(len(words), grid[1], grid[2])
            results.append((words, maps))
        return results

    def serving_signatures(self, beam_width=3):
        """SavedModel signatures on image bytes; see
        `captioning_export.serving_signatures`."""
        return captioning_export.serving_signatures(self, beam_width)

    def tflite_signatures(self):
        """Batch-1 `encode` / `step`; see `captioning_export.tflite_signatures`."""
        return captioning_export.tflite_signatures(self)

    def text_assets(self):
        """The vocabulary and settings a TFLite deployment needs; see
        `captioning_export.text_assets`."""
        return captioning_export.text_assets(self)
