"""Tiny kit models and their exports, built once per session (TF work is slow)."""

import os

import keras
import numpy as np
import pytest

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import export_tflite

VOCABULARY = ["the", "food", "was", "good", "bad", "chicken", "uncooked"]
TEXTS = np.array(["the food was good", "bad chicken", "was the chicken uncooked"])


@pytest.fixture(scope="session")
def text_classifier():
    """Raw strings -> TextVectorization -> Embedding -> RNN(LSTMCell) -> softmax."""
    keras.utils.set_random_seed(7)
    vectorizer = keras.layers.TextVectorization(
        vocabulary=VOCABULARY, name="vectorizer"
    )
    text = keras.Input((), dtype="string", name="text")
    x = keras.layers.Embedding(len(VOCABULARY) + 2, 4, mask_zero=True)(vectorizer(text))
    x = keras.layers.RNN(LSTMCell(4), name="rnn")(x)
    probs = keras.layers.Dense(2, activation="softmax", name="probs")(x)
    return keras.Model(text, probs, name="text_classifier")


@pytest.fixture(scope="session")
def classifier_export(text_classifier, tmp_path_factory):
    """`export_saved_model` of `text_classifier`, versions 1 and 2."""
    base = os.path.join(tmp_path_factory.mktemp("serving"), "classifier")
    export_saved_model(text_classifier, base)
    export_saved_model(text_classifier, base)
    return base


@pytest.fixture(scope="session")
def cells_model():
    """One RNN branch per kit cell over the same `(batch, time, 3)` input."""
    keras.utils.set_random_seed(11)
    x = keras.Input((None, 3), name="x")
    outputs = {
        name: keras.layers.RNN(get_cell(name, 4), name=f"rnn_{name}")(x)
        for name in CELLS
    }
    return keras.Model(x, outputs, name="cells")


@pytest.fixture(scope="session")
def cells_tflite(cells_model, tmp_path_factory):
    path = os.path.join(tmp_path_factory.mktemp("tflite"), "cells.tflite")
    return export_tflite(cells_model, path)
