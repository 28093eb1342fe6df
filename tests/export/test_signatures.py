"""Signature resolution: defaults from model inputs, output names, the protocol."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.export.signatures import default_signature
from keras_rnn_kit.export.signatures import frozen
from keras_rnn_kit.export.signatures import iter_layers
from keras_rnn_kit.export.signatures import named_outputs
from keras_rnn_kit.export.signatures import resolve_signatures


@pytest.fixture(scope="module")
def two_input_model():
    """Dict inputs `tokens` and `features`, list outputs `summary` and `tags`."""
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    features = keras.Input((None, 2), name="features")
    x = keras.layers.Concatenate()([keras.layers.Embedding(5, 2)(tokens), features])
    h = keras.layers.RNN(VanillaRNNCell(3), return_sequences=True, name="rnn")(x)
    summary = keras.layers.GlobalAveragePooling1D(name="summary")(h)
    tags = keras.layers.Dense(2, name="tags")(h)
    return keras.Model({"tokens": tokens, "features": features}, [summary, tags])


def _inputs(batch):
    rng = np.random.default_rng(0)
    return {
        "features": rng.normal(size=(batch, 4, 2)).astype("float32"),
        "tokens": rng.integers(0, 5, size=(batch, 4)).astype("int32"),
    }


def test_default_signature_names_inputs_and_outputs(two_input_model):
    signature = default_signature(two_input_model)
    specs = {s.name: s for s in signature.input_signature}
    assert sorted(specs) == ["features", "tokens"]
    assert specs["tokens"].shape.as_list() == [None, None]
    assert specs["features"].dtype == tf.float32
    inputs = _inputs(3)
    outputs = signature(*[inputs[s.name] for s in signature.input_signature])
    assert sorted(outputs) == ["summary", "tags"]
    want = two_input_model(inputs)
    np.testing.assert_allclose(outputs["tags"], want[1], atol=1e-6)
    batch_1 = default_signature(two_input_model, batch_size=1)
    assert {s.shape[0] for s in batch_1.input_signature} == {1}


def test_frozen_signature_reads_no_variables(two_input_model):
    signature = frozen(two_input_model, default_signature(two_input_model, 1))
    inputs = _inputs(1)
    graph = signature.get_concrete_function().graph.as_graph_def()
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops.update(node.op for node in function.node_def)
    assert not ops & {"ReadVariableOp", "VarHandleOp"}
    outputs = signature(*[inputs[s.name] for s in signature.input_signature])
    np.testing.assert_allclose(
        outputs["summary"], two_input_model(inputs)[0], atol=1e-6
    )


def test_named_outputs_fall_back_to_positions(two_input_model):
    assert list(named_outputs(two_input_model, [1, 2])) == ["summary", "tags"]
    assert list(named_outputs(two_input_model, [1, 2, 3])) == [
        "output_0",
        "output_1",
        "output_2",
    ]
    assert list(named_outputs(two_input_model, {"a": 1})) == ["a"]


def test_protocol_methods_win_over_the_default(two_input_model):
    class WithProtocol(keras.Model):
        def call(self, x):
            return x

        def tflite_signatures(self):
            spec = [tf.TensorSpec((1, 2), tf.float32, name="x")]
            return {"encode": tf.function(lambda x: {"y": x}, input_signature=spec)}

    model = WithProtocol()
    model.build((None, 2))
    assert list(resolve_signatures(model, None, "tflite")) == ["encode"]
    with pytest.raises(ValueError, match="has no symbolic inputs"):
        resolve_signatures(model, None, "saved_model")
    with pytest.raises(ValueError, match="non-empty dict"):
        resolve_signatures(two_input_model, {}, "tflite")


def test_iter_layers_reaches_cells(two_input_model):
    names = {layer.name for layer in iter_layers(two_input_model)}
    assert {"rnn", "summary", "tags"} <= names
    rnn = two_input_model.get_layer("rnn")
    assert any(layer is rnn.cell for layer in iter_layers(two_input_model))
