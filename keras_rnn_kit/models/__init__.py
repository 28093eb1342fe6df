"""keras_rnn_kit.models."""
from keras_rnn_kit.models.captioning import ImageCaptioner  # noqa: F401
from keras_rnn_kit.models.sentiment import SentimentClassifier  # noqa: F401
from keras_rnn_kit.models.translation import Translator  # noqa: F401
from keras_rnn_kit.models.visual_dialog import VisualDialogModel  # noqa: F401
from keras_rnn_kit.models.vqa import VQAModel  # noqa: F401
