"""Raw source/target strings -> the translator's named inputs, labels and weights."""

import keras
import tensorflow as tf

from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.utils.validation import check_positive_int


def default_source_tokenizer():
    """The source side's default: `mode="pieces"` (one piece per CJK character,
    digit and punctuation mark, words otherwise), lower-cased."""
    return TextTokenizer(mode="pieces", lowercase=True, strip_punctuation=False)


def default_target_tokenizer():
    """The target side's default: `mode="pieces"` keeping case and punctuation,
    so the decoder writes "The price is RMB 1,280." and can spell any number."""
    return TextTokenizer(mode="pieces", lowercase=False, strip_punctuation=False)


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class TranslationPreprocessor(keras.layers.Layer):
    """Turns sentence pairs into teacher-forcing batches, with core TF ops only.

    The source goes through a `TextPreprocessor` (no markers) into `token_ids` and
    `padding_mask`. The target goes through one with `add_go=True, add_eos=True`
    and `sequence_length = target_sequence_length + 1`, giving
    `<go> y_1 .. y_n <eos> <pad>..`; the decoder reads all but the last position
    (`decoder_token_ids`), the labels are all but the first (`y_1 .. y_n <eos>`),
    and the sample weight is 1 on real label tokens and 0 on padding, which masks
    the loss. Both vocabularies live in the config, so `.keras` files restore
    them.

    Args:
        source_preprocessor: a `TextPreprocessor` without `<go>`/`<eos>`.
        target_preprocessor: a `TextPreprocessor` with `add_go=True` and
            `add_eos=True`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        source: `(batch,)` strings (str list, numpy or `tf.string`).
        target: optional `(batch,)` target strings.

    Returns:
        Without `target`, the dict `{"token_ids", "padding_mask"}`; with it,
        `(x, y, sample_weight)` where `x` also holds `decoder_token_ids` int32
        `(batch, target_sequence_length)`, `y` is int32 of the same shape and
        `sample_weight` float32 of the same shape.

    Example:

    >>> pre = TranslationPreprocessor.from_corpus(["三百", "二十"],
    ...                                           ["three hundred", "twenty"])
    >>> x, y, w = pre(["三百"], ["three hundred"])
    >>> x["token_ids"].shape, x["decoder_token_ids"].shape   # (batch, length)
    (TensorShape([1, 2]), TensorShape([1, 3]))
    >>> w.numpy().tolist()
    [[1.0, 1.0, 1.0]]
    """

    def __init__(self, source_preprocessor, target_preprocessor, **kwargs):
        super().__init__(**kwargs)
        if isinstance(source_preprocessor, dict):
            source_preprocessor = keras.saving.deserialize_keras_object(
                source_preprocessor
            )
        if isinstance(target_preprocessor, dict):
            target_preprocessor = keras.saving.deserialize_keras_object(
                target_preprocessor
            )
        for name, value in (
            ("source_preprocessor", source_preprocessor),
            ("target_preprocessor", target_preprocessor),
        ):
            if not isinstance(value, TextPreprocessor):
                raise TypeError(
                    f"`{name}` must be a TextPreprocessor, got {value!r} "
                    f"({type(value).__name__})."
                )
        if source_preprocessor.add_go or source_preprocessor.add_eos:
            raise ValueError(
                "`source_preprocessor` must not add markers; got add_go="
                f"{source_preprocessor.add_go}, add_eos={source_preprocessor.add_eos}."
            )
        if not (target_preprocessor.add_go and target_preprocessor.add_eos):
            raise ValueError(
                "`target_preprocessor` must have add_go=True and add_eos=True; got "
                f"add_go={target_preprocessor.add_go}, "
                f"add_eos={target_preprocessor.add_eos}."
            )
        self.source_preprocessor = source_preprocessor
        self.target_preprocessor = target_preprocessor
        self.built = True

    @classmethod
    def from_corpus(
        cls,
        sources,
        targets,
        source_sequence_length=None,
        target_sequence_length=None,
        source_tokenizer=None,
        target_tokenizer=None,
        overflow="error",
    ):
        """Builds both vocabularies (and default lengths) from a parallel corpus.

        Args:
            sources: list of source strings.
            targets: list of target strings, same length.
            source_sequence_length: int > 0, or None for the longest source.
            target_sequence_length: int > 0 (decoder steps, `<eos>` included), or
                None for the longest target plus one.
            source_tokenizer: a `TextTokenizer`, default `default_source_tokenizer()`:
                lower-cased pieces, one per CJK character, digit and
                punctuation mark.
            target_tokenizer: a `TextTokenizer`, default `default_target_tokenizer()`:
                pieces with case and punctuation kept, so that `translate`
                returns text in the references' own form and spells numbers it
                never saw digit by digit.
            overflow: `"error"` or `"truncate"`, for longer inputs later.

        Returns:
            A new `TranslationPreprocessor`.
        """
        if len(sources) != len(targets):
            raise ValueError(
                "`sources` and `targets` must have the same length, got "
                f"{len(sources)} and {len(targets)}."
            )
        if not sources:
            raise ValueError("`sources` must hold at least one sentence, got [].")
        source_tokenizer = source_tokenizer or default_source_tokenizer()
        target_tokenizer = target_tokenizer or default_target_tokenizer()
        source_tokens = [source_tokenizer.tokenize_python(s) for s in sources]
        target_tokens = [target_tokenizer.tokenize_python(t) for t in targets]
        if source_sequence_length is None:
            source_sequence_length = max(1, *(len(t) for t in source_tokens))
        if target_sequence_length is None:
            target_sequence_length = max(1, *(len(t) for t in target_tokens)) + 1
        check_positive_int("source_sequence_length", source_sequence_length)
        check_positive_int("target_sequence_length", target_sequence_length)
        return cls(
            TextPreprocessor(
                source_tokenizer,
                Vocabulary.build(source_tokens),
                source_sequence_length,
                overflow=overflow,
            ),
            TextPreprocessor(
                target_tokenizer,
                Vocabulary.build(target_tokens),
                target_sequence_length + 1,
                add_go=True,
                add_eos=True,
                overflow=overflow,
            ),
        )

    @property
    def source_vocabulary(self):
        return self.source_preprocessor.vocabulary

    @property
    def target_vocabulary(self):
        return self.target_preprocessor.vocabulary

    @property
    def target_sequence_length(self):
        """Decoder steps per example (`<eos>` included)."""
        return self.target_preprocessor.sequence_length - 1

    def __call__(self, source, target=None, **kwargs):
        source = to_string_tensor("source", source)
        if target is not None:
            target = to_string_tensor("target", target)
        return super().__call__(source, target=target, **kwargs)

    def call(self, source, target=None):
        # 1. Source ids and mask. (batch, source_length)
        x = dict(self.source_preprocessor(source))
        if target is None:
            return x
        # 2. <go> y_1 .. y_n <eos> <pad>.. (batch, target_length + 1)
        target_ids = self.target_preprocessor(target)
        # 3. Shift: the decoder reads [:-1], the loss targets [1:].
        x["decoder_token_ids"] = target_ids["token_ids"][:, :-1]
        y = target_ids["token_ids"][:, 1:]
        sample_weight = tf.cast(target_ids["padding_mask"][:, 1:], tf.float32)
        return x, y, sample_weight

    def detokenize(self, ids):
        """Target ids `(batch, time)` -> `(batch,)` strings (stops at `<eos>`)."""
        return self.target_preprocessor.detokenize(ids)

    def make_dataset(self, sources, targets, batch_size=64, shuffle=True, seed=0):
        """A `tf.data.Dataset` of `(x, y, sample_weight)` batches for `fit`.

        Args:
            sources: list of source strings.
            targets: list of target strings, same length.
            batch_size: int > 0.
            shuffle: bool, reshuffle the pairs every epoch.
            seed: int, the shuffle seed.

        Returns:
            A batched, prefetched `tf.data.Dataset`.
        """
        check_positive_int("batch_size", batch_size)
        if len(sources) != len(targets):
            raise ValueError(
                "`sources` and `targets` must have the same length, got "
                f"{len(sources)} and {len(targets)}."
            )
        dataset = tf.data.Dataset.from_tensor_slices(
            (to_string_tensor("sources", sources), to_string_tensor("targets", targets))
        )
        if shuffle:
            dataset = dataset.shuffle(len(sources), seed=seed)
        dataset = dataset.batch(batch_size)
        dataset = dataset.map(lambda s, t: self.call(s, t))
        return dataset.prefetch(tf.data.AUTOTUNE)

    def get_config(self):
        config = {
            "source_preprocessor": keras.saving.serialize_keras_object(
                self.source_preprocessor
            ),
            "target_preprocessor": keras.saving.serialize_keras_object(
                self.target_preprocessor
            ),
        }
        return {**super().get_config(), **config}
