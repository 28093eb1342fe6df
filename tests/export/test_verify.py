"""verify_export: parity, size, ops and latency for SavedModel and TFLite."""

import os

import keras
import numpy as np
import pytest

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import verify_export
from tests.export.conftest import TEXTS

SAMPLES = np.random.default_rng(4).normal(size=(3, 5, 3)).astype("float32")


def test_saved_model_report(text_classifier, classifier_export, capsys):
    report = verify_export(text_classifier, classifier_export, TEXTS, repeats=3)
    assert report["format"] == "saved_model"
    assert report["path"] == os.path.join(classifier_export, "2")
    assert report["passed"] and report["max_abs_diff"] <= 1e-5
    assert report["tolerance"] == pytest.approx(1e-5)
    assert list(report["per_output"]) == ["probs"]
    assert "While" in report["ops"] and report["size_bytes"] > 10_000
    assert report["median_latency_ms"] > 0
    table = capsys.readouterr().out
    assert "probs" in table and "median latency" in table and "While" in table


def test_tflite_report_per_cell(cells_model, cells_tflite):
    report = verify_export(cells_model, cells_tflite, SAMPLES, repeats=3, verbose=False)
    assert report["format"] == "tflite" and report["quantization"] is None
    assert sorted(report["per_output"]) == sorted(CELLS)
    assert report["passed"] and report["max_abs_diff"] <= 1e-5
    assert report["size_bytes"] == os.path.getsize(cells_tflite)
    assert "WHILE" in report["ops"]


@pytest.mark.slow
def test_float16_bound_and_a_wrong_model_fails(cells_model, tmp_path):
    path = export_tflite(cells_model, tmp_path / "f16.tflite", "float16")
    report = verify_export(cells_model, path, SAMPLES, repeats=3, verbose=False)
    assert report["quantization"] == "float16"
    assert report["tolerance"] == pytest.approx(1e-2)
    assert report["passed"] and 0 < report["max_abs_diff"] <= 1e-2
    other = keras.models.clone_model(cells_model)
    report = verify_export(other, path, SAMPLES, repeats=3, verbose=False)
    assert not report["passed"] and report["max_abs_diff"] > 1e-2


def test_bad_arguments_are_named(cells_model, cells_tflite, tmp_path):
    with pytest.raises(ValueError, match=r"`samples` must have keys \['x'\]"):
        verify_export(cells_model, cells_tflite, {"y": SAMPLES}, verbose=False)
    with pytest.raises(ValueError, match="`signature` must be one of"):
        verify_export(cells_model, cells_tflite, SAMPLES, "encode", verbose=False)
    with pytest.raises(FileNotFoundError, match="`exported_path` must be"):
        verify_export(cells_model, tmp_path, SAMPLES, verbose=False)
