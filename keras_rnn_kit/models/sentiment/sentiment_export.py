"""The SentimentClassifier's export signatures and text assets.

`serving_signatures` serve raw strings with core TF ops only (stock TF Serving):
the preprocessor's `tf.strings` tokenizer and lookup table run inside the graph.
`tflite_signatures` take batch-1 token ids; the text preprocessing stays outside
the `.tflite`, and `text_assets` describe it (vocabulary, tokenizer settings,
sequence length, class names) as JSON so that a device can tokenize with
`TextTokenizer.tokenize_python` and look ids up in a plain dict.
"""

import json
import os

import keras
import tensorflow as tf

from keras_rnn_kit.data.vocabulary import RESERVED_TOKENS
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import LINE_BREAK
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SENTENCE_END

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
    """`serving_default`: `token_ids` int32 `(1, length)` (or `(1, sentences,
    length)` for a hierarchical backbone) in, `probabilities` `(1, num_classes)`
    out. The padding mask is `token_ids != 0` (`<pad>` is id 0)."""
    hierarchical = classifier.backbone.structure == "hierarchical"
    shape = (1, None, None) if hierarchical else (1, None)

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.int32, name="token_ids")])
    def serving_default(token_ids):
        inputs = {"token_ids": token_ids, "padding_mask": tf.not_equal(token_ids, 0)}
        logits = classifier(inputs, training=False)
        return {"probabilities": probabilities(classifier, logits)}

    return {"serving_default": serving_default}


def text_assets(classifier):
    """What a device needs to turn text into the TFLite model's `token_ids`.

    Returns:
        A JSON-ready dict: `format`, `tokenizer` (`TextTokenizer` arguments),
        `vocabulary` (tokens in id order), `reserved_tokens` (ids 0-3; text never
        maps to them: a token spelled like one is `<oov>`), `pad_id`, `oov_id`,
        `sequence_length` (pad or cut to it), `max_sentences`, `sentence_split`
        (the regexes of hierarchical mode), `num_classes` and `class_names`.
    """
    preprocessor = classifier.preprocessor
    if preprocessor is None:
        raise ValueError(
            "`export_text_assets` needs a preprocessor; this SentimentClassifier was "
            "built with preprocessor=None."
        )
    tokenizer = preprocessor.tokenizer
    vocabulary = preprocessor.vocabulary
    return {
        "format": TEXT_ASSETS_FORMAT,
        "tokenizer": {
            "mode": tokenizer.mode,
            "lowercase": tokenizer.lowercase,
            "strip_punctuation": tokenizer.strip_punctuation,
        },
        "vocabulary": vocabulary.tokens,
        "reserved_tokens": list(RESERVED_TOKENS),
        "pad_id": vocabulary.pad_id,
        "oov_id": vocabulary.oov_id,
        "sequence_length": preprocessor.sequence_length,
        "max_sentences": preprocessor.max_sentences,
        "sentence_split": {"line_break": LINE_BREAK, "sentence_end": SENTENCE_END},
        "num_classes": classifier.num_classes,
        "class_names": classifier.class_names,
    }


def export_text_assets(classifier, path):
    """Writes `text_assets(classifier)` as UTF-8 JSON to `path`; returns `path`."""
    path = os.fspath(path)
    if not path.endswith(".json"):
        raise ValueError(f"`path` must name a .json file, got {path!r}.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(text_assets(classifier), f, ensure_ascii=False, indent=1)
    return path
