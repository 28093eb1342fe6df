"""Sentiment classification: backbone, preprocessor and classifier task."""

from keras_rnn_kit.models.sentiment.sentiment_backbone import SentimentBackbone  # noqa: F401
from keras_rnn_kit.models.sentiment.sentiment_classifier import SentimentClassifier  # noqa: F401
from keras_rnn_kit.models.sentiment.sentiment_prediction import SentimentPrediction  # noqa: F401
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SentimentPreprocessor  # noqa: F401
