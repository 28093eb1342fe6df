"""The SentimentClassifier's export signatures and text assets.

`serving_signatures` serve raw strings with core TF ops only (stock TF Serving):
the preprocessor's `tf.strings` tokenizer and lookup table run inside the graph.
`tflite_signatures` take token ids (any batch); the text preprocessing stays outside
the `.tflite`, and `text_assets` describe it (vocabulary, tokenizer settings,
sequence length, class names) as JSON so that a device can turn text into ids
with `keras_rnn_kit.data.text_rules.TextEncoder` (no TensorFlow).
"""

import keras
import tensorflow as tf

from keras_rnn_kit.models.sentiment.sentiment_preprocessor import LINE_BREAK
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SENTENCE_END
from keras_rnn_kit.models.vqa.vqa_export import text_preprocessor_assets
from keras_rnn_kit.utils.batch_rows import map_rows

TEXT_ASSETS_FORMAT = "keras_rnn_kit.sentiment_text_assets/1"


def probabilities(classifier, logits):
    """Class probabilities `(batch, num_classes)` from the classifier's logits.

    Two classes use one logit: `[1 - σ(z), σ(z)]`; more use `softmax(z)`.
    """
    if classifier.num_classes == 2:
        positive = keras.ops.sigmoid(logits[:, 0])
        return keras.ops.stack([1.0 - positive, positive], axis=-1)
    return keras.ops.softmax(logits, axis=-1)


def _label_names(classifier, label_ids):
    if classifier.class_names:
        return tf.gather(tf.constant(classifier.class_names, tf.string), label_ids)
    return tf.strings.as_string(label_ids)


def serving_signatures(classifier):
    """`serving_default`: `text` `tf.string (batch,)` in; named outputs out.

    Outputs: `labels` `tf.string (batch,)` (the class names, or the class ids
    written in decimal without `class_names`), `label_ids` int32 `(batch,)` and
    `probabilities` float32 `(batch, num_classes)`.
    """
    preprocessor = classifier.preprocessor
    if preprocessor is None:
        raise ValueError(
            "`serving_signatures` needs a preprocessor; this SentimentClassifier was "
            "built with preprocessor=None."
        )

    @tf.function(input_signature=[tf.TensorSpec((None,), tf.string, name="text")])
    def serving_default(text):
        # 1. Raw strings -> {"token_ids", "padding_mask"}: (batch, ..., length).
        inputs = preprocessor(text)
        # 2. Probabilities: (batch, num_classes).
        probs = probabilities(classifier, classifier(inputs, training=False))
        # 3. The most probable class, as an id and a name: (batch,).
        label_ids = tf.argmax(probs, axis=-1, output_type=tf.int32)
        return {
            "labels": _label_names(classifier, label_ids),
            "label_ids": label_ids,
            "probabilities": probs,
        }

    return {"serving_default": serving_default}


def tflite_signatures(classifier):
    """`serving_default`: `token_ids` int32 `(batch, length)` (or `(batch,
    max_sentences, length)` for a hierarchical backbone) in, `probabilities`
    `(batch, num_classes)` float32 out. The padding mask is `token_ids != 0`
    (`<pad>` is id 0).

    The batch may be any size, but its rows run one after another at batch 1
    (`keras_rnn_kit.utils.batch_rows.map_rows`: LiteRT's `WHILE` loop needs a
    static batch). For the same reason the sentence axis of a hierarchical
    backbone is the preprocessor's `max_sentences` (its sentence RNN runs over
    `rows * sentences` sequences), as the preprocessor pads it.
    """
    shape = (None, None)
    if classifier.backbone.structure == "hierarchical":
        if classifier.preprocessor is None:
            raise ValueError(
                "`tflite_signatures` of a hierarchical SentimentClassifier needs its "
                "preprocessor's `max_sentences` (a static sentence axis); this one "
                "was built with preprocessor=None."
            )
        shape = (None, classifier.preprocessor.max_sentences, None)
    row_spec = tf.TensorSpec((classifier.num_classes,), tf.float32)

    def row_probabilities(token_ids):
        # (1, length) or (1, max_sentences, length) -> (1, num_classes).
        inputs = {"token_ids": token_ids, "padding_mask": tf.not_equal(token_ids, 0)}
        return probabilities(classifier, classifier(inputs, training=False))

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.int32, name="token_ids")])
    def serving_default(token_ids):
        probs = map_rows(row_probabilities, token_ids, row_spec)
        return {"probabilities": probs}

    return {"serving_default": serving_default}


def text_assets(classifier):
    """What a device needs to turn text into the TFLite model's `token_ids`.

    Returns:
        A JSON-ready dict: `format`, the text settings of
        `vqa_export.text_preprocessor_assets` (`tokenizer`, `vocabulary`,
        `reserved_tokens`, the special ids, `sequence_length`, `overflow`),
        `max_sentences`, `sentence_split` (the regexes of hierarchical mode),
        `num_classes` and `class_names`.
    """
    preprocessor = classifier.preprocessor
    if preprocessor is None:
        raise ValueError(
            "`export_text_assets` needs a preprocessor; this SentimentClassifier was "
            "built with preprocessor=None."
        )
    return {
        "format": TEXT_ASSETS_FORMAT,
        **text_preprocessor_assets(preprocessor.text_preprocessor),
        "max_sentences": preprocessor.max_sentences,
        "sentence_split": {"line_break": LINE_BREAK, "sentence_end": SENTENCE_END},
        "num_classes": classifier.num_classes,
        "class_names": classifier.class_names,
    }

