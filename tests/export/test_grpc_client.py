"""predict_grpc against an in-process PredictionService that runs the SavedModel."""

import socket
from concurrent import futures

import grpc
import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export.grpc_client import predict_grpc
from tests.export.conftest import TEXTS


class _SavedModelServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    """`Predict` the way TF Serving does it: look up the model and signature, run
    it on the request's tensors, answer with the outputs as TensorProtos."""

    def __init__(self, models: dict):
        self.models = {name: tf.saved_model.load(path) for name, path in models.items()}

    def Predict(self, request, context):
        spec = request.model_spec
        if spec.name not in self.models:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Servable {spec.name} not found")
        signature = self.models[spec.name].signatures[spec.signature_name]
        inputs = {
            name: tf.constant(tf.make_ndarray(proto))
            for name, proto in request.inputs.items()
        }
        response = predict_pb2.PredictResponse()
        response.model_spec.CopyFrom(spec)
        for name, value in signature(**inputs).items():
            response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
        return response


@pytest.fixture(scope="module")
def lstm_export(tmp_path_factory):
    keras.utils.set_random_seed(5)
    features = keras.Input((None, 3), name="features")
    x = keras.layers.RNN(LSTMCell(4))(features)
    model = keras.Model(features, keras.layers.Dense(2, name="scores")(x))
    return export_saved_model(model, tmp_path_factory.mktemp("grpc") / "tagger")


@pytest.fixture(scope="module")
def server(lstm_export, classifier_export):
    servicer = _SavedModelServicer(
        {"tagger": lstm_export, "classifier": f"{classifier_export}/2"}
    )
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        servicer, grpc_server
    )
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    yield f"127.0.0.1:{port}", servicer
    grpc_server.stop(grace=None)


def test_outputs_equal_the_saved_model_called_directly(server):
    target, servicer = server
    features = np.random.default_rng(0).random((3, 6, 3)).astype("float32")
    outputs = predict_grpc(target, "tagger", {"features": features})
    direct = servicer.models["tagger"].signatures["serving_default"](
        features=tf.constant(features)
    )
    assert list(outputs) == ["scores"]
    np.testing.assert_array_equal(outputs["scores"], direct["scores"].numpy())


def test_raw_strings_go_through(server):
    target, servicer = server
    outputs = predict_grpc(target, "classifier", {"text": list(TEXTS)})
    direct = servicer.models["classifier"].signatures["serving_default"](
        text=tf.constant(TEXTS)
    )
    np.testing.assert_array_equal(outputs["probs"], direct["probs"].numpy())


def test_unknown_model_is_a_value_error_naming_it(server):
    target, _ = server
    with pytest.raises(ValueError, match=r"refused model 'nope'.*NOT_FOUND"):
        predict_grpc(target, "nope", {"features": np.zeros((1, 2, 3), "float32")})


def test_unreachable_server_names_the_target_and_status():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(
        ConnectionError, match=rf"{target} did not answer \(UNAVAILABLE"
    ):
        predict_grpc(target, "tagger", {"x": np.zeros((1, 2, 3))}, timeout=5.0)
