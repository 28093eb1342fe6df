"""Raw images, questions, histories and candidate answers -> dialog inputs."""

import keras
import tensorflow as tf

from keras_rnn_kit.data.image_io import preprocess_image_batch
from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.utils.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VisualDialogPreprocessor(keras.layers.Layer):
    """Tokenizes the three kinds of dialog text with one vocabulary.

    Questions, history rounds and candidate answers share the vocabulary and
    have their own lengths. Text longer than its length raises (`overflow=
    "error"`) or is cut with a logged warning (`"truncate"`); an empty history
    round (`""`) becomes an all-padding segment, which the encoders skip.
    Images go through `preprocess_image_batch`.

    Args:
        tokenizer: a `TextTokenizer`.
        vocabulary: a `Vocabulary` or its token list.
        question_length: int > 0.
        history_length: int > 0, tokens per history round.
        answer_length: int > 0, tokens per candidate answer.
        image_size: int > 0.
        overflow: `"error"` or `"truncate"`.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: dict with `images` `(batch, h, w, c)`, `questions` `(batch,)`,
            `histories` `(batch, rounds)` and `candidates` `(batch, options)`
            strings.

    Returns:
        Dict with `images`, `token_ids`/`padding_mask` `(batch,
        question_length)`, `history_token_ids`/`history_padding_mask`
        `(batch, rounds, history_length)` and `candidate_token_ids`/
        `candidate_padding_mask` `(batch, options, answer_length)`.

    Example:

    >>> import numpy as np
    >>> pre = VisualDialogPreprocessor.from_texts(
    ...     ["is it red?", "is it red? yes", "yes", "no"], image_size=8)
    >>> out = pre({"images": np.zeros((1, 8, 8, 3), "uint8"),
    ...            "questions": ["is it red?"], "histories": [["", ""]],
    ...            "candidates": [["yes", "no"]]})
    >>> tuple(out["history_token_ids"].shape), tuple(out["candidate_token_ids"].shape)
    ((1, 2, 4), (1, 2, 4))
    """

    def __init__(
        self,
        tokenizer,
        vocabulary,
        question_length,
        history_length,
        answer_length,
        image_size=64,
        overflow="error",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        vocabulary = (
            vocabulary if isinstance(vocabulary, Vocabulary) else Vocabulary(vocabulary)
        )
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.question_length = check_positive_int("question_length", question_length)
        self.history_length = check_positive_int("history_length", history_length)
        self.answer_length = check_positive_int("answer_length", answer_length)
        self.image_size = check_positive_int("image_size", image_size)
        self.overflow = overflow
        self.question_text, self.history_text, self.answer_text = (
            TextPreprocessor(
                tokenizer, vocabulary, length, overflow=overflow, name=f"{kind}_text"
            )
            for kind, length in (
                ("question", question_length),
                ("history", history_length),
                ("answer", answer_length),
            )
        )
        self.built = True

    @classmethod
    def from_texts(cls, texts, image_size=64, overflow="error"):
        """Builds the vocabulary and the three lengths from training text.

        Args:
            texts: iterable of strings (questions, "question answer" history
                rounds and answers); each length is the longest text.
            image_size: int > 0.
            overflow: `"error"` or `"truncate"`.

        Returns:
            A `VisualDialogPreprocessor` with one length for all three kinds.
        """
        tokenizer = TextTokenizer()
        token_lists = [tokenizer.tokenize_python(t) for t in texts]
        length = max((len(t) for t in token_lists), default=1) or 1
        return cls(
            tokenizer,
            Vocabulary.build(token_lists),
            length,
            length,
            length,
            image_size=image_size,
            overflow=overflow,
        )

    @classmethod
    def from_dialogs(cls, examples, image_size=64, overflow="error", lengths_from=()):
        """Builds a preprocessor from a `DialogExamples` (own length per kind).

        Args:
            examples: the training `DialogExamples` (vocabulary and lengths).
            image_size: int > 0.
            overflow: `"error"` or `"truncate"`.
            lengths_from: further `DialogExamples` (e.g. the test split) whose
                texts must also fit; they do not add to the vocabulary.

        Returns:
            A `VisualDialogPreprocessor`.
        """
        tokenize = TextTokenizer().tokenize_python

        def texts(dialogs):
            questions = [tokenize(q) for q in dialogs.questions]
            histories = [tokenize(h) for h in set(dialogs.histories.reshape(-1)) if h]
            answers = [tokenize(a) for a in dialogs.candidates]
            return questions, histories, answers

        questions, histories, answers = texts(examples)
        vocabulary = Vocabulary.build(questions + histories + answers)
        lengths = [
            max([len(t) for t in kind] or [1])
            for kind in (questions, histories, answers)
        ]
        for other in lengths_from:
            lengths = [
                max([length] + [len(t) for t in kind])
                for length, kind in zip(lengths, texts(other), strict=True)
            ]
        return cls(
            TextTokenizer(),
            vocabulary,
            *lengths,
            image_size=image_size,
            overflow=overflow,
        )

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    def __call__(self, inputs, **kwargs):
        keys = {"images", "questions", "histories", "candidates"}
        if not isinstance(inputs, dict) or keys - set(inputs):
            raise ValueError(
                f"`inputs` must be a dict with keys {sorted(keys)}, got "
                f"{sorted(inputs) if isinstance(inputs, dict) else type(inputs)}."
            )
        converted = {"images": tf.convert_to_tensor(inputs["images"])}
        for key, rank in (("questions", 1), ("histories", 2), ("candidates", 2)):
            value = tf.convert_to_tensor(inputs[key], tf.string)
            if value.shape.rank != rank:
                raise ValueError(
                    f"`{key}` must have rank {rank}, got shape {tuple(value.shape)}."
                )
            converted[key] = value
        return super().__call__(converted, **kwargs)

    def encode_nested(self, text, strings):
        """`(batch, n)` strings -> `(batch, n, length)` ids and mask.

        Args:
            text: one of `question_text`, `history_text`, `answer_text`.
            strings: `(batch, n)` `tf.string` tensor.

        Returns:
            Dict with `token_ids` and `padding_mask`, `(batch, n, length)`.
        """
        shape = tf.shape(strings)
        flat = text(to_string_tensor("strings", tf.reshape(strings, [-1])))
        return {
            key: tf.reshape(value, tf.concat([shape, [text.sequence_length]], 0))
            for key, value in flat.items()
        }

    def call(self, inputs):
        # 1. Images: (batch, image_size, image_size, 3).
        outputs = {"images": preprocess_image_batch(inputs["images"], self.image_size)}
        # 2. Question: (batch, question_length).
        outputs.update(self.question_text(inputs["questions"]))
        # 3. History rounds: (batch, rounds, history_length).
        history = self.encode_nested(self.history_text, inputs["histories"])
        outputs["history_token_ids"] = history["token_ids"]
        outputs["history_padding_mask"] = history["padding_mask"]
        # 4. Candidate answers: (batch, options, answer_length).
        candidates = self.encode_nested(self.answer_text, inputs["candidates"])
        outputs["candidate_token_ids"] = candidates["token_ids"]
        outputs["candidate_padding_mask"] = candidates["padding_mask"]
        return outputs

    def get_config(self):
        config = {
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "vocabulary": self.vocabulary.tokens,
            "question_length": self.question_length,
            "history_length": self.history_length,
            "answer_length": self.answer_length,
            "image_size": self.image_size,
            "overflow": self.overflow,
        }
        return {**super().get_config(), **config}
