"""A tiny VQA model for tests that need one (export, serving)."""

from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.vqa import VQABackbone
from keras_rnn_kit.models.vqa import VQAModel
from keras_rnn_kit.models.vqa import VQAPreprocessor


def tiny_vqa_model(questions, image_size, answers, dropout=0.5, **preprocessor_kwargs):
    """An untrained `VQAModel`: one 4-filter convolution, 4-d embeddings, LSTM
    and fusion, a question vocabulary built from `questions`, `dropout` before
    the answer layer."""
    pre = VQAPreprocessor.from_questions(
        questions, image_size=image_size, **preprocessor_kwargs
    )
    backbone = VQABackbone(
        pre.vocabulary_size,
        embedding_dim=4,
        hidden_dim=4,
        fusion_dim=4,
        image_size=image_size,
        image_encoder=ImageEncoder(filters=(4,), image_size=image_size),
    )
    return VQAModel(backbone, answers, preprocessor=pre, hidden_dim=4, dropout=dropout)
