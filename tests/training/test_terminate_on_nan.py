"""Tests for keras_rnn_kit.training.terminate_on_nan."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.training.terminate_on_nan import TerminateOnNaN


def _model(learning_rate=0.05):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    return model


def test_error_names_epoch_step_last_loss_and_remedies():
    x = np.ones((12, 3), "float32")
    y = np.ones((12, 1), "float32")
    y[-1] = np.inf  # the third batch of 4, in every epoch
    with pytest.raises(FloatingPointError) as info:
        _model().fit(
            x,
            y,
            batch_size=4,
            epochs=2,
            verbose=0,
            shuffle=False,
            callbacks=[TerminateOnNaN()],
        )
    message = str(info.value)
    assert "became inf at epoch 1, step 3 (global step 3)" in message
    assert "the last finite loss was " in message
    assert (
        "clipnorm" in message and "lower the learning rate (currently 0.05)" in message
    )


def test_later_epochs_report_the_global_step():
    callback = TerminateOnNaN()
    callback.set_model(_model(0.5))
    callback.set_params({"steps": 10})
    callback.on_epoch_begin(2)
    callback.on_train_batch_end(0, {"loss": 1.5})
    with pytest.raises(
        FloatingPointError, match=r"nan at epoch 3, step 4 \(global step 24\)"
    ):
        callback.on_train_batch_end(3, {"loss": float("nan")})
    assert callback.model.stop_training


def test_finite_losses_and_other_monitors_pass():
    callback = TerminateOnNaN(monitor="val_loss")
    callback.set_model(_model())
    callback.on_train_batch_end(0, {"loss": float("nan")})
    callback.on_train_batch_end(1, {"val_loss": 2.0})
    assert not callback.model.stop_training
