import keras
import numpy as np
import pytest

from keras_rnn_kit.metrics import MaskedTokenAccuracy


def numpy_accuracy(y_true, logits, pad_id=0, weights=None):
    mask = (y_true != pad_id).astype(float)
    if weights is not None:
        mask = mask * weights
    return ((logits.argmax(-1) == y_true) * mask).sum() / mask.sum()


def test_matches_numpy_over_batches(rng):
    metric = MaskedTokenAccuracy()
    all_true, all_logits = [], []
    for _ in range(3):
        y_true = rng.integers(0, 5, size=(4, 6))
        logits = rng.normal(size=(4, 6, 5)).astype("float32")
        metric.update_state(y_true, logits)
        all_true.append(y_true)
        all_logits.append(logits)
    want = numpy_accuracy(np.concatenate(all_true), np.concatenate(all_logits))
    assert float(metric.result()) == pytest.approx(want, abs=1e-6)


def test_padding_never_counts_and_weights_multiply(rng):
    y_true = np.array([[4, 3, 0, 0], [2, 0, 0, 0]])
    logits = np.eye(5)[[[4, 1, 0, 0], [2, 0, 0, 0]]].astype("float32")
    metric = MaskedTokenAccuracy()
    metric.update_state(y_true, logits)
    assert float(metric.result()) == pytest.approx(2 / 3)
    weights = np.array([[1.0, 3.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    metric.reset_state()
    metric.update_state(y_true, logits, sample_weight=weights)
    assert float(metric.result()) == pytest.approx(2 / 5)


def test_other_pad_id(rng):
    y_true = rng.integers(0, 5, size=(3, 7))
    logits = rng.normal(size=(3, 7, 5)).astype("float32")
    metric = MaskedTokenAccuracy(pad_id=4)
    metric.update_state(y_true, logits)
    want = numpy_accuracy(y_true, logits, pad_id=4)
    assert float(metric.result()) == pytest.approx(want, abs=1e-6)


def test_all_padding_gives_zero_not_nan():
    metric = MaskedTokenAccuracy()
    metric.update_state(np.zeros((2, 3)), np.ones((2, 3, 4), "float32"))
    assert float(metric.result()) == 0.0


def test_config_round_trip():
    metric = MaskedTokenAccuracy(pad_id=2, name="acc")
    clone = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(metric)
    )
    assert isinstance(clone, MaskedTokenAccuracy)
    assert clone.pad_id == 2 and clone.name == "acc"


def test_bad_pad_id_names_the_argument():
    with pytest.raises(ValueError, match="`pad_id`"):
        MaskedTokenAccuracy(pad_id=-1)
