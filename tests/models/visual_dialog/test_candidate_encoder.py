"""Tests for keras_rnn_kit/models/visual_dialog/candidate_encoder.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.models.visual_dialog import CandidateEncoder
from tests.test_case import assert_config_round_trip


@pytest.fixture(scope="module")
def encoder():
    keras.utils.set_random_seed(3)
    layer = CandidateEncoder(keras.layers.RNN(LSTMCell(5)), name="answer_rnn")
    layer.build((None, None, 3, 4))
    return layer


def per_option_reference(encoder, x, mask):
    """The same RNN run on each option's `(batch, tokens, features)` slice."""
    return np.stack(
        [
            np.asarray(encoder.layer(x[:, i], mask=mask[:, i]))
            for i in range(x.shape[1])
        ],
        axis=1,
    )


@pytest.mark.parametrize("batch, options", [(6, 3), (2, 5)])
def test_traced_with_unknown_options_equals_one_rnn_per_option(
    encoder, rng, batch, options
):
    """Batch > options and batch < options: TimeDistributed's traced path fails
    on the first and drops candidates on the second (see the class docstring)."""
    x = rng.normal(size=(batch, options, 3, 4)).astype("float32")
    mask = rng.random((batch, options, 3)) < 0.7
    mask[:, :, 0] = True
    traced = tf.function(
        lambda x, mask: encoder(x, mask=mask),
        input_signature=[
            tf.TensorSpec((None, None, 3, 4), tf.float32),
            tf.TensorSpec((None, None, 3), tf.bool),
        ],
    )
    got = traced(x, mask).numpy()
    assert got.shape == (batch, options, 5)
    want = per_option_reference(encoder, x, mask)
    np.testing.assert_allclose(got, want, atol=1e-6)
    # A masked token leaves a candidate's encoding as if it were absent.
    short = x.copy()
    short[~mask] = 100.0
    np.testing.assert_allclose(traced(short, mask).numpy(), got, atol=1e-6)


def test_config_round_trip_and_errors(encoder):
    assert_config_round_trip(encoder)
    assert encoder.compute_output_shape((2, 7, 3, 4)) == (2, 7, 5)
    with pytest.raises(TypeError, match="`layer` must be a keras Layer"):
        CandidateEncoder(LSTMCell)
    with pytest.raises(ValueError, match="inputs"):
        CandidateEncoder(keras.layers.RNN(LSTMCell(2))).build((2, 3, 4))
