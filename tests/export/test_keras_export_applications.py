"""Keras's own `model.export()` of each application's model (not the kit's
exporters): no XLA program in the SavedModel (stock TF Serving and LiteRT refuse
them), and the served outputs equal the Keras model's on a training batch.
(Sentiment's raw-string classifier is covered in
`tests/models/sentiment/test_sentiment_export.py`.)"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.applications import APPLICATIONS
from keras_rnn_kit.training import make_dataset
from tests.test_case import tiny_application
from tests.test_case import xla_functions

# The Keras model runs the compiled kernel eagerly; the export traces the step
# loop. Same function, float32 summation order.
ATOL = 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in APPLICATIONS if n != "sentiment"])
def test_keras_export_serves_the_model_without_xla(name, tmp_path):
    _, prepared, model = tiny_application(name)
    dataset, _ = make_dataset(prepared.train, 4)
    inputs = next(iter(dataset))[0]
    want = keras.tree.flatten(model(inputs))
    path = str(tmp_path / "export")
    model.export(path, verbose=False)
    assert xla_functions(path) == []
    loaded = tf.saved_model.load(path)
    got = keras.tree.flatten(loaded.serve(inputs))
    assert len(got) == len(want)
    for served, keras_output in zip(got, want, strict=True):
        np.testing.assert_allclose(served, keras_output, atol=ATOL)
