"""The masked, new-lengths and application sections (tiny sizes; no timing
assertions: speed targets are for `python -m benchmarks`, not for unit tests)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from benchmarks import application_epochs
from benchmarks import masked_training
from benchmarks import new_lengths
from benchmarks.__main__ import main
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.layers import RNN

FIELDS = {"name", "kit", "baseline", "phase", "size", "kit_s", "baseline_s", "speedup"}


def _check_record(record):
    assert FIELDS <= set(record)
    assert record["kit_s"] > 0 and record["baseline_s"] > 0
    assert record["speedup"] == pytest.approx(record["baseline_s"] / record["kit_s"])


def test_bucketed_batches_are_right_padded_and_padded_per_batch():
    batches = masked_training.bucketed_batches(4, 6, (3, 12))
    assert len(batches) == 6
    for token_ids, labels in batches:
        assert token_ids.shape[0] == 4 and labels.shape == (4, 1)
        lengths = (token_ids != 0).sum(axis=1)
        assert 3 <= lengths.min() and lengths.max() == token_ids.shape[1] <= 12
        for row, length in zip(token_ids, lengths, strict=True):
            assert (row[:length] != 0).all() and (row[length:] == 0).all()
    assert len({token_ids.shape[1] for token_ids, _ in batches}) > 1


def test_application_baseline_refuses_a_model_with_kit_cells():
    inputs = keras.Input((None, 3))
    model = keras.Model(inputs, RNN(LSTMCell(2))(inputs))
    application_epochs._check_cells(model, "kit")
    with pytest.raises(RuntimeError, match="only LSTMCell cells, found"):
        application_epochs._check_cells(model, "baseline")


def test_without_recurrent_loops_takes_out_the_recurrence_and_keeps_the_projection(
    rng,
):
    layer = RNN(LSTMCell(3), return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 4, 5)).astype("float32")
    layer(x)
    with application_epochs.without_recurrent_loops() as traced:
        outputs, h, c = tf.function(lambda x: layer(x))(x)
    expected = np.tanh(x @ layer.cell.kernel.numpy()[:, :3])
    np.testing.assert_allclose(outputs, expected, atol=1e-6)
    np.testing.assert_allclose(h, expected[:, -1], atol=1e-6)
    np.testing.assert_array_equal(c, np.zeros((2, 3)))
    assert traced["calls"] == 1
    # Outside it, the layer recurs again.
    assert not np.allclose(layer(x)[0], expected, atol=1e-3)


def test_only_rejects_an_unknown_section():
    with pytest.raises(SystemExit):
        main(["--only", "masked,nope"])


@pytest.mark.slow
def test_masked_training_records_first_and_steady_epochs():
    records = masked_training.run(
        batch=4, batches=2, lengths=(3, 6), units=4, repeats=1
    )
    assert [r["phase"] for r in records] == ["first epoch", "train epoch"]
    for record in records:
        _check_record(record)
        assert record["size"] == "[4, 3-6, 4, 4]" and record["batches"] == 2


@pytest.mark.slow
def test_new_lengths_records_predict_and_call():
    records = new_lengths.run(lengths=(3, 5), units=4, repeats=1)
    assert [r["phase"] for r in records] == ["predict", "call"]
    for record in records:
        _check_record(record)
        assert record["lengths"] == [3, 5]


@pytest.mark.slow
def test_application_epoch_records():
    # One application: the five share this code, and each costs ~15 s here.
    name = "sentiment"
    records = application_epochs.run(names=[name], examples=16, repeats=1, tiny=True)
    assert [r["phase"] for r in records] == [
        "first epoch",
        "train epoch",
        "loop-free bound",
    ]
    for record in records:
        _check_record(record)
        assert record["name"].startswith(name) and record["size"].endswith("(tiny)")
    bound = records[-1]
    assert bound["recurrent_share"] == pytest.approx(1 - 1 / bound["speedup"])
    assert bound["recurrent_layers_traced"] > 0
