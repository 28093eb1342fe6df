"""A tiny captioning model for tests that need one (raw inputs, distribution)."""

from keras_rnn_kit.models.captioning import CaptioningBackbone
from keras_rnn_kit.models.captioning import CaptioningPreprocessor
from keras_rnn_kit.models.captioning import ImageCaptioner
from keras_rnn_kit.models.image_encoder import ImageEncoder


def tiny_captioner(captions, image_size, units=4, image_encoder=None):
    """An untrained show-attend-and-tell `ImageCaptioner`: 4-d embeddings,
    `units` LSTM units, Bahdanau attention, a vocabulary built from `captions`
    and `image_encoder` (default one 3-filter convolution)."""
    pre = CaptioningPreprocessor.from_captions(captions, image_size=image_size)
    backbone = CaptioningBackbone(
        len(pre.vocabulary),
        embedding_dim=4,
        units=units,
        attention="bahdanau",
        image_size=image_size,
        image_encoder=image_encoder
        or ImageEncoder(filters=(3,), image_size=image_size),
    )
    return ImageCaptioner(backbone, pre)
