"""Raw images and captions -> the inputs and targets of `CaptioningBackbone`."""

import keras
import tensorflow as tf

from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.models.image_text_preprocessor import ImageTextPreprocessor


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class CaptioningPreprocessor(ImageTextPreprocessor):
    """Turns `{"images", "captions"}` into teacher-forcing inputs and targets.

    Captions are tokenized as `<go> w_1 ... w_n <eos>` padded to
    `sequence_length + 1` (a `TextPreprocessor` with `add_go`/`add_eos`); the
    decoder reads all but the last position and predicts all but the first.
    A caption longer than `sequence_length - 1` words raises (the default
    `overflow="error"`) or is cut with a logged warning (`"truncate"`). Images
    go through `preprocess_image_batch` (rank/channel checks, `uint8` scaling,
    bilinear resize to `image_size`).

    Args:
        text_preprocessor: a `TextPreprocessor` with `add_go=True` and
            `add_eos=True`.
        image_size: int > 0.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: dict with `images` and `captions` (`(batch,)` strings).

    Returns:
        `(x, y, sample_weight)`: `x` has `images`, `decoder_token_ids` and
        `decoder_padding_mask` `(batch, sequence_length)`; `y` is the int32
        target ids and `sample_weight` the float32 mask of real targets.

    Example:

    >>> import numpy as np
    >>> pre = CaptioningPreprocessor.from_captions(["a red circle"], image_size=8)
    >>> x, y, w = pre({"images": np.zeros((1, 8, 8, 3), "uint8"),
    ...                "captions": ["a red circle"]})
    >>> x["decoder_token_ids"].numpy().tolist(), y.numpy().tolist()
    ([[2, 4, 6, 5]], [[4, 6, 5, 3]])
    """

    text_key = "captions"

    def __init__(self, text_preprocessor, image_size=64, **kwargs):
        super().__init__(text_preprocessor, image_size=image_size, **kwargs)
        if not (text_preprocessor.add_go and text_preprocessor.add_eos):
            raise ValueError(
                "`text_preprocessor` must add <go> and <eos> (add_go=True, "
                "add_eos=True) for captioning."
            )

    @classmethod
    def from_captions(
        cls,
        captions,
        image_size=64,
        sequence_length=None,
        overflow="error",
        max_vocabulary_size=None,
    ):
        """Builds the vocabulary and length from training captions.

        Args:
            captions: iterable of caption strings.
            image_size: int > 0.
            sequence_length: decoder steps (words + `<eos>`), or `None` for the
                longest caption + 1.
            overflow: `"error"` or `"truncate"` for longer captions later.
            max_vocabulary_size: int or `None`.

        Returns:
            A `CaptioningPreprocessor`.
        """
        tokenizer = TextTokenizer()
        token_lists = [tokenizer.tokenize_python(c) for c in captions]
        vocabulary = Vocabulary.build(token_lists, max_size=max_vocabulary_size)
        if sequence_length is None:
            sequence_length = max((len(t) for t in token_lists), default=0) + 1
        text = TextPreprocessor(
            tokenizer,
            vocabulary,
            sequence_length + 1,
            add_go=True,
            add_eos=True,
            overflow=overflow,
        )
        return cls(text, image_size=image_size)

    @property
    def sequence_length(self):
        """Decoder steps: words plus `<eos>`."""
        return self.text_preprocessor.sequence_length - 1

    @property
    def vocabulary(self):
        return self.text_preprocessor.vocabulary

    def detokenize(self, token_ids):
        """Generated ids `(batch, time)` -> `(batch,)` caption strings."""
        return self.text_preprocessor.detokenize(token_ids)

    def call(self, inputs):
        # 1. Images: (batch, image_size, image_size, 3) float32.
        images = self.preprocess_images(inputs["images"])
        # 2. <go> w_1 ... w_n <eos> <pad>...: (batch, sequence_length + 1).
        text = self.text_preprocessor(inputs["captions"])
        ids, mask = text["token_ids"], text["padding_mask"]
        # 3. Shift: inputs drop the last position, targets the first; a step
        # is real when its target is (so the input <eos> is masked).
        x = {
            "images": images,
            "decoder_token_ids": ids[:, :-1],
            "decoder_padding_mask": mask[:, 1:],
        }
        return x, ids[:, 1:], tf.cast(mask[:, 1:], tf.float32)
