"""Raw images and question strings -> the named inputs of `VQABackbone`."""

import keras

from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.models.image_text_preprocessor import ImageTextPreprocessor


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VQAPreprocessor(ImageTextPreprocessor):
    """Turns `{"images", "questions"}` into `images`, `token_ids`, `padding_mask`.

    Images: a `(batch, height, width, channels)` tensor, `uint8` (scaled by
    1/255) or float in `[0, 1]`. One channel is repeated to RGB; any other count
    but 3 raises. Images of another spatial size are resized bilinearly to
    `image_size` (documented, not an error); another rank raises. Questions go
    through the `TextPreprocessor`: a question with more tokens than its
    `sequence_length` raises (`overflow="error"`, the default of `from_questions`)
    or is cut with a logged warning (`overflow="truncate"`). Only core TF ops run,
    so the layer works inside `tf.data` pipelines and SavedModels.

    Args:
        text_preprocessor: a `TextPreprocessor` (its vocabulary travels in the
            config, so a saved model keeps it).
        image_size: int > 0, side of the square images the backbone takes.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: dict with `images` and `questions` (`(batch,)` strings).

    Returns:
        Dict with `images` `(batch, image_size, image_size, 3)` float32,
        `token_ids` `(batch, sequence_length)` int32 and `padding_mask` bool.

    Example:

    >>> import numpy as np
    >>> pre = VQAPreprocessor.from_questions(["what shape is it?"], image_size=8)
    >>> out = pre({"images": np.zeros((1, 16, 16, 3), "uint8"),
    ...            "questions": ["what colour is it?"]})
    >>> out["images"].shape, out["token_ids"].numpy().tolist()
    (TensorShape([1, 8, 8, 3]), [[7, 1, 4, 5]])
    """

    text_key = "questions"

    @classmethod
    def from_questions(
        cls,
        questions,
        image_size=64,
        sequence_length=None,
        max_vocabulary_size=None,
        overflow="error",
    ):
        """Builds the vocabulary and sequence length from training questions.

        Args:
            questions: iterable of question strings.
            image_size: int > 0.
            sequence_length: int > 0, or `None` for the longest question.
            max_vocabulary_size: int or `None` (keep every token).
            overflow: `"error"` or `"truncate"` for longer questions later.

        Returns:
            A `VQAPreprocessor`.
        """
        questions = list(questions)
        tokenizer = TextTokenizer()
        token_lists = [tokenizer.tokenize_python(q) for q in questions]
        vocabulary = Vocabulary.build(token_lists, max_size=max_vocabulary_size)
        if sequence_length is None:
            sequence_length = max((len(t) for t in token_lists), default=1) or 1
        text = TextPreprocessor(
            tokenizer, vocabulary, sequence_length, overflow=overflow
        )
        return cls(text, image_size=image_size)

    @property
    def sequence_length(self):
        return self.text_preprocessor.sequence_length

    @property
    def vocabulary_size(self):
        return self.text_preprocessor.vocabulary_size

    def call(self, inputs):
        # 1. Images: (batch, image_size, image_size, 3) float32 in [0, 1].
        outputs = {"images": self.preprocess_images(inputs["images"])}
        # 2. Questions: token_ids and padding_mask, (batch, sequence_length).
        outputs.update(self.text_preprocessor(inputs["questions"]))
        return outputs
