"""The base of the preprocessors that pair one image with one text."""

import keras
import tensorflow as tf

from keras_rnn_kit.data.image_io import preprocess_image_batch
from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.utils.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class ImageTextPreprocessor(keras.layers.Layer):
    """Validates and converts `{"images", <text_key>}` inputs; serializes itself.

    Subclasses (`VQAPreprocessor`, `CaptioningPreprocessor`) set `text_key` (the
    name of the text input, e.g. `"questions"`) and implement `call`. Images are
    checked, scaled to `[0, 1]` and resized to `image_size` by
    `preprocess_images` (`keras_rnn_kit.data.image_io.preprocess_image_batch`);
    the text goes through `text_preprocessor`.

    Args:
        text_preprocessor: a `TextPreprocessor`.
        image_size: int > 0, side of the square images the backbone takes.
        **kwargs: base `keras.layers.Layer` arguments.
    """

    text_key = "texts"

    def __init__(self, text_preprocessor, image_size=64, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(text_preprocessor, TextPreprocessor):
            raise TypeError(
                "`text_preprocessor` must be a TextPreprocessor, got "
                f"{type(text_preprocessor).__name__}."
            )
        self.text_preprocessor = text_preprocessor
        self.image_size = check_positive_int("image_size", image_size)
        self.built = True

    def preprocess_images(self, images):
        """Checks, scales and resizes a batch of images (see
        `keras_rnn_kit.data.image_io.preprocess_image_batch`)."""
        return preprocess_image_batch(images, self.image_size)

    def __call__(self, inputs, **kwargs):
        # Keras only lets tensors through: convert lists of strings first.
        key = self.text_key
        if not isinstance(inputs, dict) or {"images", key} - set(inputs):
            raise ValueError(
                f"`inputs` must be a dict with keys 'images' and '{key}', got "
                f"{sorted(inputs) if isinstance(inputs, dict) else type(inputs)}."
            )
        inputs = {
            "images": tf.convert_to_tensor(inputs["images"]),
            key: to_string_tensor(key, inputs[key]),
        }
        return super().__call__(inputs, **kwargs)

    def get_config(self):
        config = {
            "text_preprocessor": keras.saving.serialize_keras_object(
                self.text_preprocessor
            ),
            "image_size": self.image_size,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["text_preprocessor"] = keras.saving.deserialize_keras_object(
            config["text_preprocessor"]
        )
        return cls(**config)
