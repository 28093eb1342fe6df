"""Image captioning: show and tell, and show, attend and tell."""

from keras_rnn_kit.models.captioning.captioning_backbone import CaptioningBackbone
from keras_rnn_kit.models.captioning.captioning_preprocessor import (
    CaptioningPreprocessor,
)
from keras_rnn_kit.models.captioning.image_captioner import ImageCaptioner

__all__ = ["CaptioningBackbone", "CaptioningPreprocessor", "ImageCaptioner"]
