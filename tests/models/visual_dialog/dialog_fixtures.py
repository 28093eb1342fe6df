"""A tiny visual dialog model for tests that need one (export, serving, training)."""

from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
from keras_rnn_kit.models.visual_dialog import VisualDialogModel
from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor


def tiny_dialog_model(texts, image_size, units=4, **preprocessor_kwargs):
    """An untrained HRE `VisualDialogModel`: one 4-filter convolution, 4-d
    embeddings, `units` recurrent units, a vocabulary built from `texts`."""
    pre = VisualDialogPreprocessor.from_texts(
        texts, image_size=image_size, **preprocessor_kwargs
    )
    backbone = VisualDialogBackbone(
        pre.vocabulary_size,
        encoder="hre",
        embedding_dim=4,
        units=units,
        image_size=image_size,
        answer_length=pre.answer_length,
        image_encoder=ImageEncoder(filters=(4,), image_size=image_size),
    )
    return VisualDialogModel(backbone, pre)
