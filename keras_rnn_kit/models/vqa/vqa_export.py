"""The VQAModel's export signatures and question assets.

`serving_signatures` serve raw inputs with core TF ops only (stock TF Serving):
encoded image bytes are decoded with `tf.io.decode_image` and resized with
`tf.image.resize` (`decode_image_bytes`, shared by the vision applications), and
questions go through the preprocessor's `tf.strings` tokenizer and lookup table.
`tflite_signatures` take float images and question token ids (any batch); the
question vocabulary and tokenizer settings travel next to the `.tflite` as JSON
(`text_assets`), so a device tokenizes with `TextTokenizer.tokenize_python` and a
plain dict.
"""

import keras
import tensorflow as tf

from keras_rnn_kit.data.image_io import decode_image_bytes
from keras_rnn_kit.data.vocabulary import RESERVED_TOKENS
from keras_rnn_kit.utils.batch_rows import map_rows

TEXT_ASSETS_FORMAT = "keras_rnn_kit.vqa_text_assets/1"


def _require_preprocessor(model, what):
    if model.preprocessor is None:
        raise ValueError(
            f"`{what}` needs a preprocessor; this {type(model).__name__} was built "
            "with preprocessor=None."
        )


def serving_signatures(model):
    """`serving_default`: `image_bytes` and `question`, `tf.string (batch,)`.

    Outputs: `answer` `tf.string (batch,)` (the most probable answer),
    `answer_id` int32 `(batch,)`, `score` float32 `(batch,)` (its probability,
    as `VQAModel.answer` returns) and `probabilities` `(batch, num_answers)`.
    """
    _require_preprocessor(model, "serving_signatures")
    if model.backbone.image_feature_dim is not None:
        raise ValueError(
            "`serving_signatures` serves image bytes, but this VQAModel's backbone "
            f"takes precomputed `image_features` (image_feature_dim="
            f"{model.backbone.image_feature_dim}); export it with its default "
            "signature (`signatures=None` and no preprocessor) or a pixel backbone."
        )
    preprocessor = model.preprocessor
    answers = tf.constant(model.answers, tf.string)

    @tf.function(
        input_signature=[
            tf.TensorSpec((None,), tf.string, name="image_bytes"),
            tf.TensorSpec((None,), tf.string, name="question"),
        ]
    )
    def serving_default(image_bytes, question):
        # 1. Image bytes -> (batch, image_size, image_size, 3) in [0, 1].
        images = decode_image_bytes(image_bytes, preprocessor.image_size)
        # 2. Questions -> token_ids, padding_mask: (batch, sequence_length).
        inputs = {"images": images, **preprocessor.text_preprocessor(question)}
        # 3. Probabilities over the answers: (batch, num_answers).
        probabilities = keras.ops.softmax(model(inputs, training=False), axis=-1)
        answer_id = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {
            "answer": tf.gather(answers, answer_id),
            "answer_id": answer_id,
            "score": tf.reduce_max(probabilities, axis=-1),
            "probabilities": probabilities,
        }

    return {"serving_default": serving_default}


def tflite_signatures(model):
    """`serving_default`: `images` float32 `(batch, size, size, 3)` in `[0, 1]`
    (or `image_features` `(batch, image_feature_dim)` for a feature backbone)
    and `token_ids` int32 `(batch, length)` in, `probabilities`
    `(batch, num_answers)` float32 out. The padding mask is `token_ids != 0`
    (`<pad>` is id 0).

    The batch may be any size, but its rows run one after another: the question
    RNN's `WHILE` loop converts to LiteRT builtins only with a static batch, so
    `keras_rnn_kit.utils.batch_rows.map_rows` calls the model at batch 1.
    """
    backbone = model.backbone
    if backbone.image_feature_dim is None:
        size = backbone.image_size
        image_spec = tf.TensorSpec((None, size, size, 3), tf.float32, name="images")
    else:
        shape = (None, backbone.image_feature_dim)
        image_spec = tf.TensorSpec(shape, tf.float32, name="image_features")
    row_spec = tf.TensorSpec((len(model.answers),), tf.float32)

    def row_probabilities(image, token_ids):
        # One image and its question, each with a batch axis of 1.
        inputs = {
            image_spec.name: image,
            "token_ids": token_ids,
            "padding_mask": tf.not_equal(token_ids, 0),
        }
        return keras.ops.softmax(model(inputs, training=False), axis=-1)

    @tf.function(
        input_signature=[
            image_spec,
            tf.TensorSpec((None, None), tf.int32, name="token_ids"),
        ]
    )
    def serving_default(image, token_ids):
        probabilities = map_rows(row_probabilities, (image, token_ids), row_spec)
        return {"probabilities": probabilities}

    return {"serving_default": serving_default}


def text_preprocessor_assets(text_preprocessor):
    """A `TextPreprocessor` as JSON-ready settings: `tokenizer` (`TextTokenizer`
    arguments), `vocabulary` (tokens in id order), `reserved_tokens` (text never
    maps to them), `pad_id`, `oov_id`, `go_id`, `eos_id`, `add_go`, `add_eos`,
    `sequence_length` (pad to it) and `overflow` (`"error"` or `"truncate"`
    for longer texts): what `keras_rnn_kit.data.text_rules.TextEncoder` takes."""
    tokenizer = text_preprocessor.tokenizer
    vocabulary = text_preprocessor.vocabulary
    return {
        "tokenizer": {
            "mode": tokenizer.mode,
            "lowercase": tokenizer.lowercase,
            "strip_punctuation": tokenizer.strip_punctuation,
        },
        "vocabulary": vocabulary.tokens,
        "reserved_tokens": list(RESERVED_TOKENS),
        "pad_id": vocabulary.pad_id,
        "oov_id": vocabulary.oov_id,
        "go_id": vocabulary.go_id,
        "eos_id": vocabulary.eos_id,
        "add_go": text_preprocessor.add_go,
        "add_eos": text_preprocessor.add_eos,
        "sequence_length": text_preprocessor.sequence_length,
        "overflow": text_preprocessor.overflow,
    }


def text_assets(model):
    """What a device needs next to the `.tflite`: `format`, the question
    settings of `text_preprocessor_assets`, `image_size` (the float image's
    side, values in `[0, 1]`) and `answers` (the class names in id order)."""
    _require_preprocessor(model, "export_text_assets")
    return {
        "format": TEXT_ASSETS_FORMAT,
        **text_preprocessor_assets(model.preprocessor.text_preprocessor),
        "image_size": model.preprocessor.image_size,
        "answers": list(model.answers),
    }
