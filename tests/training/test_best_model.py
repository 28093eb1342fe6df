"""Tests for keras_rnn_kit.training.best_model."""

import json
import os

import keras
import numpy as np
import pytest

from keras_rnn_kit.training.best_model import BestModelCheckpoint


@pytest.fixture
def model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _set_bias(model, value):
    model.layers[-1].bias.assign([value])


def _saved_bias(path):
    return float(keras.saving.load_model(path).layers[-1].bias.numpy()[0])


def test_saves_only_improvements_and_records_the_best(tmp_path, model):
    best = BestModelCheckpoint(str(tmp_path), monitor="loss")
    best.set_model(model)
    best.on_train_begin()
    for epoch, (bias, loss) in enumerate(
        [(1.0, 3.0), (2.0, 5.0), (3.0, 1.0), (4.0, 1.0)]
    ):
        _set_bias(model, bias)
        best.on_epoch_end(epoch, {"loss": loss})
    assert _saved_bias(best.path) == 3.0
    assert json.loads((tmp_path / "best.json").read_text()) == {
        "monitor": "loss",
        "value": 1.0,
        "epoch": 3,
    }
    assert sorted(os.listdir(tmp_path)) == ["best.json", "best.keras"]


def test_a_resumed_run_only_overwrites_a_better_model(tmp_path, model):
    first = BestModelCheckpoint(str(tmp_path), monitor="val_acc", mode="max")
    first.set_model(model)
    _set_bias(model, 1.0)
    first.on_epoch_end(0, {"val_acc": 0.8})
    resumed = BestModelCheckpoint(str(tmp_path), monitor="val_acc", mode="max")
    resumed.set_model(model)
    resumed.on_train_begin()
    assert resumed.best == 0.8
    _set_bias(model, 2.0)
    resumed.on_epoch_end(1, {"val_acc": 0.7})
    assert _saved_bias(resumed.path) == 1.0
    _set_bias(model, 3.0)
    resumed.on_epoch_end(2, {"val_acc": float("nan")})
    resumed.on_epoch_end(3, {"val_acc": 0.9})
    assert _saved_bias(resumed.path) == 3.0


def test_non_writer_writes_nothing(tmp_path, model):
    best = BestModelCheckpoint(str(tmp_path / "ckpt"), monitor="loss", writer=False)
    best.set_model(model)
    best.on_epoch_end(0, {"loss": 1.0})
    assert best.best == 1.0
    assert not os.path.exists(tmp_path / "ckpt")


def test_missing_monitor_and_bad_mode_are_named(tmp_path, model):
    best = BestModelCheckpoint(str(tmp_path), monitor="val_loss")
    best.set_model(model)
    with pytest.raises(KeyError, match=r"'val_loss', which is not among .*\['loss'\]"):
        best.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="`mode` must be one of 'min', 'max'"):
        BestModelCheckpoint(str(tmp_path), mode="lowest")


def test_the_saved_model_reloads_with_the_same_outputs(tmp_path, model):
    best = BestModelCheckpoint(str(tmp_path), monitor="loss")
    best.set_model(model)
    best.on_epoch_end(0, {"loss": 0.5})
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(
        keras.saving.load_model(best.path).predict(x, verbose=0),
        model.predict(x, verbose=0),
        atol=1e-7,
    )
