"""The converter worker: representative data round trip and error exit code."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.export import tflite_convert_worker
from keras_rnn_kit.export.tflite import _write_representative


def _signature(*names):
    specs = [tf.TensorSpec((1, None), tf.float32, name=name) for name in names]
    return tf.function(lambda *args: {"y": args[0]}, input_signature=specs)


def test_representative_samples_reach_each_signature_row_by_row(tmp_path):
    signatures = {"encode": _signature("x"), "step": _signature("a", "b")}
    x = np.arange(6, dtype="float32").reshape(2, 3)
    a = np.ones((3, 1), "float32")
    path = _write_representative(
        signatures, {"encode": x, "step": [{"a": a, "b": 2 * a}]}, str(tmp_path)
    )
    samples = list(tflite_convert_worker.representative_dataset(path)())
    encode = [inputs for name, inputs in samples if name == "encode"]
    step = [inputs for name, inputs in samples if name == "step"]
    assert len(encode) == 2 and len(step) == 3
    np.testing.assert_array_equal(encode[1]["x"], x[1:2])
    assert all(s["a"].shape == (1, 1) and float(s["b"][0, 0]) == 2.0 for s in step)


def test_representative_data_errors_name_what_is_missing(tmp_path):
    signatures = {"encode": _signature("x"), "step": _signature("a", "b")}
    with pytest.raises(ValueError, match="keyed by signature names"):
        _write_representative(signatures, np.ones((2, 3)), str(tmp_path))
    with pytest.raises(ValueError, match=r"lacks inputs \['b'\]"):
        _write_representative(
            signatures, {"step": {"a": np.ones((1, 1))}}, str(tmp_path)
        )
    with pytest.raises(ValueError, match=r"must be a dict with keys \['a', 'b'\]"):
        _write_representative(signatures, {"step": np.ones((1, 1))}, str(tmp_path))


def test_a_failed_conversion_exits_with_the_error_code(tmp_path, capsys):
    code = tflite_convert_worker.main(
        [str(tmp_path / "missing"), str(tmp_path / "out.tflite"), "none", '["x"]']
    )
    assert code == tflite_convert_worker.ERROR_EXIT_CODE
    assert "missing" in capsys.readouterr().err
    assert not (tmp_path / "out.tflite").exists()
