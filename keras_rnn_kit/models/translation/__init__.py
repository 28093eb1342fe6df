"""Machine translation: encoder–decoder with attention, greedy and beam search."""

from keras_rnn_kit.models.translation.attention_decoder import AttentionDecoder
from keras_rnn_kit.models.translation.copy_head import CopyHead
from keras_rnn_kit.models.translation.copy_head import copy_maps
from keras_rnn_kit.models.translation.number_task import evaluate_translator
from keras_rnn_kit.models.translation.number_task import train_number_translator
from keras_rnn_kit.models.translation.translation_backbone import TranslationBackbone
from keras_rnn_kit.models.translation.translation_preprocessor import (
    TranslationPreprocessor,
)
from keras_rnn_kit.models.translation.translator import Translator

__all__ = [
    "AttentionDecoder",
    "CopyHead",
    "TranslationBackbone",
    "TranslationPreprocessor",
    "Translator",
    "copy_maps",
    "evaluate_translator",
    "train_number_translator",
]
