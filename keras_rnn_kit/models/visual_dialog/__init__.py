"""Visual Dialog: late-fusion and hierarchical encoders, discriminative decoder."""

from keras_rnn_kit.models.visual_dialog.candidate_encoder import CandidateEncoder
from keras_rnn_kit.models.visual_dialog.visual_dialog_backbone import (
    VisualDialogBackbone,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_model import VisualDialogModel
from keras_rnn_kit.models.visual_dialog.visual_dialog_preprocessor import (
    VisualDialogPreprocessor,
)

__all__ = [
    "CandidateEncoder",
    "VisualDialogBackbone",
    "VisualDialogModel",
    "VisualDialogPreprocessor",
]
