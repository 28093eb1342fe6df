"""Visual question answering: the deeper-LSTM-Q + norm-I baseline (Antol et al.)."""

from keras_rnn_kit.models.vqa.vqa_backbone import VQABackbone
from keras_rnn_kit.models.vqa.vqa_model import VQAModel
from keras_rnn_kit.models.vqa.vqa_preprocessor import VQAPreprocessor

__all__ = ["VQABackbone", "VQAModel", "VQAPreprocessor"]
