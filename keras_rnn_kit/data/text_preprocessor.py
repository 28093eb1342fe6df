"""Raw strings -> padded token ids and padding mask, with core TF ops only."""

import logging

import keras
import tensorflow as tf

from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.data.vocabulary import OOV_TOKEN
from keras_rnn_kit.data.vocabulary import RESERVED_TOKENS
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

logger = logging.getLogger(__name__)

OVERFLOW_MODES = ("error", "truncate")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class TextPreprocessor(keras.layers.Layer):
    """Turns raw strings into the named inputs `token_ids` and `padding_mask`.

    Tokenizes with a `TextTokenizer`, looks tokens up in a `tf.lookup.StaticHashTable`
    built from the vocabulary (unknown tokens, and text that spells a reserved token
    such as `"<eos>"`, map to `<oov>`), optionally adds `<go>` / `<eos>`, and pads
    with `<pad>` (id 0) to `sequence_length`. Only core TF ops run, so the layer can
    sit inside a SavedModel served by stock TF Serving; the vocabulary is part of the
    config, so `.keras` files restore it, a SavedModel holds it as table constants,
    and `get_vocabulary()` lets `export_saved_model` write it as the asset
    `<layer name>.vocab.txt`.

    Sequences longer than `sequence_length` (counting `<go>`/`<eos>`) raise with
    `overflow="error"`. With `overflow="truncate"` the text is cut (the `<go>` and
    `<eos>` markers are kept), the non-trainable int64 weight `truncated_count` adds
    the number of cut sequences, and eager calls log a warning with the count.
    Served graphs follow `export_saved_model(overflow=...)` instead ("truncate" by
    default, so one long request cannot fail a TF Serving batch).

    Args:
        tokenizer: a `TextTokenizer`.
        vocabulary: a `Vocabulary`, its token list, or the path of a vocabulary file.
        sequence_length: int > 0, width of the outputs.
        add_go: bool, prepend `<go>` (id 2).
        add_eos: bool, append `<eos>` (id 3).
        overflow: `"error"` or `"truncate"`.
        **kwargs: base `keras.layers.Layer` arguments (`name`, ...).

    Call arguments:
        inputs: `tf.string` tensor `(batch,)`, a list of str, or a numpy array.

    Returns:
        `{"token_ids": int32 (batch, sequence_length),
        "padding_mask": bool (batch, sequence_length)}`.

    Example:

    >>> from keras_rnn_kit.data import TextPreprocessor, TextTokenizer, Vocabulary
    >>> vocab = Vocabulary.build(["the food was good"])
    >>> pre = TextPreprocessor(TextTokenizer(), vocab, sequence_length=6, add_eos=True)
    >>> out = pre(["The food was GREAT"])
    >>> out["token_ids"].numpy().tolist()  # (1, 6)
    [[6, 4, 7, 1, 3, 0]]
    >>> [s.decode() for s in pre.detokenize(out["token_ids"]).numpy()]
    ['the food was <oov>']
    """

    def __init__(
        self,
        tokenizer,
        vocabulary,
        sequence_length,
        add_go=False,
        add_eos=False,
        overflow="error",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(tokenizer, TextTokenizer):
            raise TypeError(
                f"`tokenizer` must be a TextTokenizer, got {tokenizer!r} "
                f"({type(tokenizer).__name__})."
            )
        self.tokenizer = tokenizer
        self.vocabulary = _as_vocabulary(vocabulary)
        self.sequence_length = check_positive_int("sequence_length", sequence_length)
        self.add_go = bool(add_go)
        self.add_eos = bool(add_eos)
        self.overflow = check_choice("overflow", overflow, OVERFLOW_MODES)
        self._special_count = int(self.add_go) + int(self.add_eos)
        if self.sequence_length <= self._special_count:
            raise ValueError(
                f"`sequence_length` must exceed the {self._special_count} markers "
                f"added by add_go/add_eos, got {sequence_length}."
            )
        tokens = self.vocabulary.tokens
        keys = [OOV_TOKEN] + tokens[len(RESERVED_TOKENS) :]
        values = [self.vocabulary.oov_id] + list(
            range(len(RESERVED_TOKENS), len(tokens))
        )
        self._table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(keys, tf.string), tf.constant(values, tf.int64)
            ),
            default_value=self.vocabulary.oov_id,
        )
        self._id_to_token = tf.constant(tokens, tf.string)
        # On the CPU, where tf.data pipelines (which call this layer) run.
        with tf.device("/CPU:0"):
            self.truncated_count = self.add_weight(
                name="truncated_count",
                shape=(),
                dtype="int64",
                initializer="zeros",
                trainable=False,
            )
        self.built = True

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    def get_vocabulary(self):
        """The tokens in id order, reserved tokens first (as `StringLookup`'s
        `get_vocabulary()`; `export_saved_model` writes them as an asset)."""
        return self.vocabulary.tokens

    def __call__(self, inputs, **kwargs):
        # Keras only lets tensors through positionally: convert lists/arrays first.
        if not isinstance(inputs, keras.KerasTensor):
            inputs = to_string_tensor("inputs", inputs)
        return super().__call__(inputs, **kwargs)

    def call(self, inputs):
        strings = inputs
        if strings.shape.rank != 1:
            raise ValueError(
                f"`inputs` must have shape (batch,), got shape {tuple(strings.shape)}."
            )
        # 1. Tokens -> ids, (batch, None) ragged.
        ids = tf.ragged.map_flat_values(
            self._table.lookup, self.tokenizer.tokenize(strings)
        )
        # 2. Overflow: check or cut the text part, leaving room for the markers.
        room = self.sequence_length - self._special_count
        ids = self._handle_overflow(ids, room)
        # 3. Markers.
        batch = tf.shape(strings, out_type=tf.int64)[:1]
        if self.add_go:
            go = tf.fill(batch, tf.constant(self.vocabulary.go_id, tf.int64))
            ids = tf.concat([tf.expand_dims(go, 1), ids], axis=1)
        if self.add_eos:
            eos = tf.fill(batch, tf.constant(self.vocabulary.eos_id, tf.int64))
            ids = tf.concat([ids, tf.expand_dims(eos, 1)], axis=1)
        # 4. Pad to (batch, sequence_length).
        token_ids = ids.to_tensor(
            default_value=self.vocabulary.pad_id, shape=[None, self.sequence_length]
        )
        positions = tf.range(self.sequence_length, dtype=tf.int64)
        padding_mask = positions[None, :] < ids.row_lengths()[:, None]
        return {
            "token_ids": tf.cast(token_ids, tf.int32),
            "padding_mask": padding_mask,
        }

    def _handle_overflow(self, ids, room):
        lengths = ids.row_lengths()
        too_long = lengths > room
        if self.overflow == "error":
            longest = tf.reduce_max(tf.concat([lengths, [0]], axis=0))
            message = (
                f"`sequence_length`={self.sequence_length} is too short: an input has "
                f"more than {room} tokens (plus {self._special_count} markers). "
                'Raise `sequence_length` or pass overflow="truncate".'
            )
            if tf.executing_eagerly():
                if bool(tf.reduce_any(too_long)):
                    rows = tf.where(too_long)[:, 0].numpy().tolist()
                    raise ValueError(
                        f"{message} Longest: {int(longest)} tokens; rows {rows[:10]}."
                    )
            else:
                tf.debugging.assert_less_equal(
                    longest, tf.constant(room, tf.int64), message=message
                )
            return ids
        cut = tf.reduce_sum(tf.cast(too_long, tf.int64))
        self.truncated_count.assign_add(cut)
        if tf.executing_eagerly() and int(cut) > 0:
            logger.warning(
                "TextPreprocessor truncated %d of %d inputs to sequence_length=%d "
                "(%d truncated so far).",
                int(cut),
                int(tf.size(lengths)),
                self.sequence_length,
                int(self.truncated_count.numpy()),
            )
        return ids[:, :room]

    def detokenize(self, ids):
        """Turns ids back into text.

        Stops at the first `<eos>`, drops `<pad>` and `<go>`, and joins the
        tokens with the tokenizer's `join` (spaces except between two CJK
        characters; for `mode="pieces"` the text as written).

        Args:
            ids: int tensor or array `(batch, time)`.

        Returns:
            A `tf.string` tensor `(batch,)`.
        """
        ids = tf.convert_to_tensor(ids)
        if not ids.dtype.is_integer:
            raise TypeError(f"`ids` must be integers, got dtype {ids.dtype.name}.")
        if ids.shape.rank != 2:
            raise ValueError(
                f"`ids` must have shape (batch, time), got shape {tuple(ids.shape)}."
            )
        ids = tf.cast(ids, tf.int64)
        size = len(self.vocabulary)
        message = f"`ids` must lie in [0, {size}) (the vocabulary size)."
        if tf.executing_eagerly():
            if ids.shape.num_elements() and not bool(
                tf.reduce_all((ids >= 0) & (ids < size))
            ):
                raise ValueError(f"{message} Got min {int(tf.reduce_min(ids))}, "
                                 f"max {int(tf.reduce_max(ids))}.")
        else:
            tf.debugging.assert_non_negative(ids, message=message)
            tf.debugging.assert_less(ids, tf.constant(size, tf.int64), message=message)
        before_eos = tf.cumsum(tf.cast(ids == self.vocabulary.eos_id, tf.int32), 1) == 0
        keep = (
            before_eos
            & (ids != self.vocabulary.pad_id)
            & (ids != self.vocabulary.go_id)
        )
        tokens = tf.ragged.boolean_mask(tf.gather(self._id_to_token, ids), keep)
        return self.tokenizer.join(tokens)

    def get_config(self):
        config = {
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "vocabulary": self.vocabulary.tokens,
            "sequence_length": self.sequence_length,
            "add_go": self.add_go,
            "add_eos": self.add_eos,
            "overflow": self.overflow,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["tokenizer"] = keras.saving.deserialize_keras_object(config["tokenizer"])
        return cls(**config)


def _as_vocabulary(vocabulary):
    if isinstance(vocabulary, Vocabulary):
        return vocabulary
    if isinstance(vocabulary, str):
        return Vocabulary.load(vocabulary)
    if isinstance(vocabulary, list | tuple):
        return Vocabulary(list(vocabulary))
    raise TypeError(
        "`vocabulary` must be a Vocabulary, a list of tokens or a file path, got "
        f"{vocabulary!r} ({type(vocabulary).__name__})."
    )
