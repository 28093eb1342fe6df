"""Op inventories: core-TF-only SavedModels, builtin-only TFLite models."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.export import ExportError
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import list_saved_model_ops
from keras_rnn_kit.export import list_tflite_ops
from keras_rnn_kit.export.ops import check_tflite_ops
from keras_rnn_kit.export.ops import forbidden_saved_model_ops


def _scorer():
    x = keras.Input((None, 3), name="features")
    h = keras.layers.RNN(VanillaRNNCell(4))(x)
    return keras.Model(x, keras.layers.Dense(1, name="score")(h))


def test_classifier_graph_lists_its_ops_and_all_are_core(classifier_export):
    ops = list_saved_model_ops(os.path.join(classifier_export, "1"))
    # The RNN loop, the string preprocessing and the lookup table are all there.
    for op in ("While", "StringSplitV2", "LookupTableFindV2", "Tanh", "Sigmoid"):
        assert op in ops
    assert ops == sorted(set(ops))
    assert forbidden_saved_model_ops(ops) == {}


def test_forbidden_ops_are_classified():
    forbidden = forbidden_saved_model_ops(
        [
            "MatMul",
            "PyFunc",
            "EagerPyFunc",
            "CudnnRNNV3",
            "WordpieceTokenizeWithOffsets",
            "SentencepieceOp",
            "RegexSplitWithOffsets",
            "SomeExtensionOp",
        ]
    )
    assert "MatMul" not in forbidden
    assert "Python callback" in forbidden["PyFunc"]
    assert "Python callback" in forbidden["EagerPyFunc"]
    assert "cuDNN" in forbidden["CudnnRNNV3"]
    for op in (
        "WordpieceTokenizeWithOffsets",
        "SentencepieceOp",
        "RegexSplitWithOffsets",
    ):
        assert "tensorflow-text" in forbidden[op]
    assert "not a core TensorFlow op" in forbidden["SomeExtensionOp"]


def _export_with(model, tmp_path, body):
    spec = [tf.TensorSpec((None,), tf.string, name="text")]
    signature = tf.function(body, input_signature=spec)
    base = tmp_path / "bad"
    with pytest.raises(ExportError) as info:
        export_saved_model(model, base, signatures={"serving_default": signature})
    assert not os.path.exists(base / "1")
    return info.value


def test_tensorflow_text_ops_fail_the_export(tmp_path):
    import tensorflow_text

    model = _scorer()

    def serve(text):
        pieces = tensorflow_text.regex_split(text, r"\s")
        return {"pieces": pieces.to_tensor()}

    error = _export_with(model, tmp_path, serve)
    assert error.ops == ["RegexSplitWithOffsets"]
    assert "`RegexSplitWithOffsets`: a tensorflow-text kernel" in str(error)


def test_python_callbacks_fail_the_export(tmp_path):
    model = _scorer()

    def serve(text):
        length = tf.py_function(lambda t: np.int64(len(t.numpy())), [text], tf.int64)
        return {"length": length}

    error = _export_with(model, tmp_path, serve)
    assert error.ops == ["EagerPyFunc"]


def test_tflite_op_codes_are_read_from_the_flatbuffer(cells_tflite):
    with open(cells_tflite, "rb") as f:
        ops = list_tflite_ops(f.read())
    # Keras 3 RNN layers convert to a WHILE loop, never to a fused LSTM op.
    assert "WHILE" in ops and "LOGISTIC" in ops and "TANH" in ops
    assert not [op for op in ops if "LSTM" in op or op.startswith("CUSTOM")]


def test_select_tf_ops_are_rejected():
    @tf.function(input_signature=[tf.TensorSpec((1,), tf.string, name="text")])
    def lower(text):
        return {"lower": tf.strings.lower(text)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [lower.get_concrete_function()]
    )
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    content = converter.convert()
    assert "CUSTOM:FlexStringLower" in list_tflite_ops(content)
    with pytest.raises(ExportError, match="FlexStringLower") as info:
        check_tflite_ops(content)
    assert info.value.ops == ["CUSTOM:FlexStringLower"]
