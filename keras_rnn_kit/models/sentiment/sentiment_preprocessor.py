"""Raw reviews -> `{"token_ids", "padding_mask"}` for the sentiment backbone."""

import logging

import keras
import tensorflow as tf

from keras_rnn_kit.data.text_preprocessor import OVERFLOW_MODES
from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

logger = logging.getLogger(__name__)

# Sentence ends: . ! ? and their CJK full-width forms; HTML line breaks (which
# are dropped, as IMDB reviews use `<br /><br />` between paragraphs).
SENTENCE_END = r"([.!?。！？]+)"
LINE_BREAK = r"<br\s*/?>"


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class SentimentPreprocessor(keras.layers.Layer):
    """Tokenizes reviews into the named inputs of `SentimentBackbone`.

    Flat mode (`max_sentences=None`): `token_ids`/`padding_mask` of shape
    `(batch, sequence_length)`. Hierarchical mode: the text is first cut into
    sentences after `.`, `!`, `?`, `。`, `！`, `？` and at `<br />` (removed); empty
    sentences are dropped and the outputs have shape
    `(batch, max_sentences, sequence_length)`.

    Long inputs follow `overflow` (see `TextPreprocessor`): `"truncate"` (the
    default here, as reviews are often long) cuts and counts, in the weights
    `truncated_count` of the inner `TextPreprocessor` (texts or sentences with too
    many tokens) and `truncated_documents` (documents with too many sentences),
    and logs a warning in eager calls; `"error"` raises.

    Args:
        tokenizer: a `TextTokenizer`.
        vocabulary: a `Vocabulary`, its token list or a vocabulary file path.
        sequence_length: int > 0, tokens per text (per sentence when
            hierarchical).
        max_sentences: int > 0 for the hierarchical backbone, else None.
        overflow: `"truncate"` or `"error"`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        x: strings `(batch,)` (tensor, list or numpy array).
        y: optional integer labels `(batch,)`, passed through.
        sample_weight: optional, passed through.

    Returns:
        `x` as `{"token_ids", "padding_mask"}`, or the tuple `(x, y)` /
        `(x, y, sample_weight)` when those are given.

    Example:

    >>> from keras_rnn_kit.models.sentiment import SentimentPreprocessor
    >>> pre = SentimentPreprocessor.from_texts(["good food", "bad food"], 4)
    >>> pre(["Good. Really good!"])["token_ids"].numpy().tolist()  # (1, 4)
    [[6, 1, 6, 0]]
    """

    def __init__(
        self,
        tokenizer,
        vocabulary,
        sequence_length=200,
        max_sentences=None,
        overflow="truncate",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sequence_length = check_positive_int("sequence_length", sequence_length)
        if max_sentences is not None:
            check_positive_int("max_sentences", max_sentences)
        self.max_sentences = max_sentences
        self.overflow = check_choice("overflow", overflow, OVERFLOW_MODES)
        self.text_preprocessor = TextPreprocessor(
            tokenizer,
            vocabulary,
            sequence_length,
            overflow=overflow,
            name="text_preprocessor",
        )
        # On the CPU, where tf.data pipelines (which call this layer) run.
        with tf.device("/CPU:0"):
            self.truncated_documents = self.add_weight(
                name="truncated_documents",
                shape=(),
                dtype="int64",
                initializer="zeros",
                trainable=False,
            )
        self.built = True

    @classmethod
    def from_texts(
        cls,
        texts,
        sequence_length=200,
        vocabulary_size=20000,
        min_frequency=1,
        tokenizer=None,
        **kwargs,
    ):
        """Builds the vocabulary from training texts and returns a preprocessor.

        Args:
            texts: iterable of training strings.
            sequence_length: int > 0, see the class arguments.
            vocabulary_size: int >= 4, the most tokens kept (reserved included).
            min_frequency: int >= 1, drop rarer tokens.
            tokenizer: a `TextTokenizer`, default `TextTokenizer()`.
            **kwargs: other constructor arguments (`max_sentences`, ...).
        """
        tokenizer = tokenizer or TextTokenizer()
        vocabulary = Vocabulary.build(
            texts,
            tokenizer=tokenizer,
            max_size=vocabulary_size,
            min_frequency=min_frequency,
        )
        return cls(tokenizer, vocabulary, sequence_length, **kwargs)

    @property
    def tokenizer(self):
        return self.text_preprocessor.tokenizer

    @property
    def vocabulary(self):
        return self.text_preprocessor.vocabulary

    def get_vocabulary(self):
        """The vocabulary's tokens in id order; `export_saved_model` writes them
        as the asset `<layer name>.vocab.txt` (this layer's name: the inner
        `TextPreprocessor` holds the same tokens and gets no file of its own)."""
        return self.vocabulary.tokens

    def __call__(self, x, y=None, sample_weight=None, **kwargs):
        if not isinstance(x, keras.KerasTensor):
            x = to_string_tensor("x", x)
        return super().__call__(x, y=y, sample_weight=sample_weight, **kwargs)

    def call(self, x, y=None, sample_weight=None):
        if self.max_sentences is None:
            inputs = self.text_preprocessor(x)
        else:
            inputs = self._sentences(x)
        return keras.utils.pack_x_y_sample_weight(inputs, y, sample_weight)

    def _sentences(self, strings):
        # 1. Cut into sentences: (batch, None) ragged strings.
        marked = tf.strings.regex_replace(strings, LINE_BREAK, "\x1f")
        marked = tf.strings.regex_replace(marked, SENTENCE_END, "\\1\x1f")
        sentences = tf.strings.split(marked, sep="\x1f")
        # 2. Tokenize every sentence: (total_sentences, sequence_length).
        flat = self.text_preprocessor(sentences.flat_values)
        real = tf.reduce_any(flat["padding_mask"], axis=-1)
        # 3. Drop empty sentences, regroup by document: (batch, None, length).
        splits = sentences.row_splits
        keep = tf.RaggedTensor.from_row_splits(real, splits)
        grouped = {
            key: tf.ragged.boolean_mask(
                tf.RaggedTensor.from_row_splits(value, splits), keep
            )
            for key, value in flat.items()
        }
        # 4. Too many sentences: raise or cut and count.
        counts = grouped["token_ids"].row_lengths()
        too_many = counts > self.max_sentences
        message = (
            f"`max_sentences`={self.max_sentences} is too small: a document has more "
            'sentences. Raise it or pass overflow="truncate".'
        )
        if self.overflow == "error":
            if tf.executing_eagerly():
                if bool(tf.reduce_any(too_many)):
                    longest = int(tf.reduce_max(counts))
                    raise ValueError(f"{message} Longest: {longest} sentences.")
            else:
                tf.debugging.assert_less_equal(
                    tf.reduce_max(tf.concat([counts, [0]], 0)),
                    tf.constant(self.max_sentences, tf.int64),
                    message=message,
                )
        else:
            cut = tf.reduce_sum(tf.cast(too_many, tf.int64))
            self.truncated_documents.assign_add(cut)
            if tf.executing_eagerly() and int(cut) > 0:
                logger.warning(
                    "SentimentPreprocessor kept the first %d sentences of %d documents "
                    "(%d truncated so far).",
                    self.max_sentences,
                    int(cut),
                    int(self.truncated_documents.numpy()),
                )
        shape = [None, self.max_sentences, self.sequence_length]
        return {
            "token_ids": grouped["token_ids"].to_tensor(0, shape=shape),
            "padding_mask": grouped["padding_mask"].to_tensor(False, shape=shape),
        }

    def get_config(self):
        config = {
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "vocabulary": self.vocabulary.tokens,
            "sequence_length": self.sequence_length,
            "max_sentences": self.max_sentences,
            "overflow": self.overflow,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["tokenizer"] = keras.saving.deserialize_keras_object(config["tokenizer"])
        return cls(**config)
