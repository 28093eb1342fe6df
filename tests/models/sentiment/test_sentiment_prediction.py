import dataclasses

import numpy as np
import pytest

from keras_rnn_kit.models.sentiment import SentimentPrediction


def test_fields_length_and_immutability():
    prediction = SentimentPrediction(
        ["neg", "pos"], np.array([0, 1]), np.array([[0.9, 0.1], [0.3, 0.7]])
    )
    assert len(prediction) == 2 and prediction.labels == ["neg", "pos"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        prediction.labels = []
