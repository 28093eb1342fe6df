"""The TF Serving warmup file: layout, records, and requests the export runs."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.export import ExportError
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export.warmup import spec_samples


def _lstm_model():
    """`(batch, time, 3)` -> kit RNN(LSTMCell(4)) -> Dense(2)."""
    keras.utils.set_random_seed(3)
    features = keras.Input((None, 3), name="features")
    x = keras.layers.RNN(LSTMCell(4))(features)
    return keras.Model(features, keras.layers.Dense(2, name="scores")(x))


def _read_warmup(version_dir):
    """The `PredictionLog` records of `version_dir`'s warmup file."""
    path = os.path.join(version_dir, "assets.extra", "tf_serving_warmup_requests")
    logs = []
    for record in tf.data.TFRecordDataset(path):
        log = prediction_log_pb2.PredictionLog()
        log.ParseFromString(record.numpy())
        logs.append(log)
    return logs


def _replay(version_dir):
    """Runs every warmup request through the SavedModel, as TF Serving does."""
    signatures = tf.saved_model.load(version_dir).signatures
    results = []
    for log in _read_warmup(version_dir):
        request = log.predict_log.request
        inputs = {
            name: tf.constant(tf.make_ndarray(proto))
            for name, proto in request.inputs.items()
        }
        outputs = signatures[request.model_spec.signature_name](**inputs)
        results.append((request, inputs, outputs))
    return results


def test_text_classifier_warmup_runs_on_the_saved_model(classifier_export):
    version_dir = os.path.join(classifier_export, "2")
    assert os.listdir(os.path.join(version_dir, "assets.extra")) == [
        "tf_serving_warmup_requests"
    ]
    results = _replay(version_dir)
    assert [inputs["text"].shape.as_list() for _, inputs, _ in results] == [[1], [8]]
    for request, inputs, outputs in results:
        assert request.model_spec.name == "classifier"
        assert request.model_spec.signature_name == "serving_default"
        assert inputs["text"].numpy()[0] == b"good"
        assert outputs["probs"].shape == (len(inputs["text"]), 2)


def test_float_sequence_warmup_uses_the_export_model_name(tmp_path):
    path = export_saved_model(_lstm_model(), tmp_path / "base", model_name="tagger")
    results = _replay(path)
    assert [tuple(inputs["features"].shape) for _, inputs, _ in results] == [
        (1, 5, 3),
        (8, 5, 3),
    ]
    for request, inputs, outputs in results:
        assert request.model_spec.name == "tagger"
        np.testing.assert_array_equal(inputs["features"].numpy(), 0.5)
        assert outputs["scores"].shape == (inputs["features"].shape[0], 2)


def test_fixed_batch_gets_one_request_and_own_inputs_are_kept(tmp_path):
    model = _lstm_model()
    spec = tf.TensorSpec((2, 4, 3), tf.float32, name="features")
    fixed = {"serving_default": tf.function(model, input_signature=[spec])}
    path = export_saved_model(model, tmp_path / "fixed", signatures=fixed)
    assert [tuple(i["features"].shape) for _, i, _ in _replay(path)] == [(2, 4, 3)]

    mine = {"features": np.arange(12, dtype="float32").reshape(1, 4, 3)}
    path = export_saved_model(model, tmp_path / "mine", warmup=mine)
    [(_, inputs, _)] = _replay(path)
    np.testing.assert_array_equal(inputs["features"].numpy(), mine["features"])

    path = export_saved_model(model, tmp_path / "none", warmup=False)
    assert not os.path.exists(os.path.join(path, "assets.extra"))


def test_a_failing_warmup_request_fails_the_export(tmp_path):
    model = _lstm_model()
    with pytest.raises(ExportError, match="must be named \\['features'\\]"):
        export_saved_model(model, tmp_path / "a", warmup={"x": np.zeros((1, 2, 3))})
    with pytest.raises(ExportError, match="TF Serving would refuse to load"):
        export_saved_model(
            model, tmp_path / "b", warmup={"features": np.zeros((1, 2, 5), "float32")}
        )
    assert not (tmp_path / "a" / "1").exists() and not (tmp_path / "b" / "1").exists()


def test_spec_samples_cover_every_dtype():
    specs = [
        tf.TensorSpec((None, None), tf.int32, name="token_ids"),
        tf.TensorSpec((None, None), tf.bool, name="padding_mask"),
        tf.TensorSpec((None,), tf.string, name="image_bytes"),
        tf.TensorSpec((None,), tf.string, name="question"),
        tf.TensorSpec((None, 3), tf.float16, name="x"),
    ]
    samples = spec_samples(specs, rows=2, steps=4)
    assert samples["token_ids"].dtype == np.int32
    np.testing.assert_array_equal(samples["token_ids"], np.ones((2, 4)))
    assert samples["padding_mask"].all() and samples["padding_mask"].shape == (2, 4)
    assert samples["image_bytes"][0][:4] == b"\x89PNG"
    decoded = tf.io.decode_png(samples["image_bytes"][1]).numpy()
    assert decoded.shape == (32, 32, 3)
    assert list(samples["question"]) == ["good", "good"]
    assert samples["x"].dtype == np.float16 and samples["x"].shape == (2, 3)
