"""Tests for keras_rnn_kit.demo through `rnnkit demo --quick` (one run, shared)."""

import contextlib
import io
import json
import os

import keras
import numpy as np
import pytest

from keras_rnn_kit.cli import main
from keras_rnn_kit.data import load_easy_vqa
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.models.vqa import VQAModel
from keras_rnn_kit.models.vqa.vqa_training import answer_accuracy

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "demo_out")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", out, "--quick"]) == 0
    with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        report = f.read()
    return out, metrics, report, printed.getvalue()


@pytest.mark.slow
def test_demo_writes_every_output(demo):
    out, _, report, printed = demo
    for name in ("gradient_flow.png", "attention.png", "training_curves.png"):
        with open(os.path.join(out, name), "rb") as f:
            assert f.read(8) == PNG, name
        assert f"]({name})" in report
    for model in ("vqa", "translator"):
        assert os.path.getsize(os.path.join(out, f"{model}.keras")) > 0
        bundle = os.path.join(out, f"{model}_tflite")
        assert os.path.getsize(os.path.join(bundle, "model.tflite")) > 0
        assert os.path.isfile(os.path.join(bundle, "rnnkit_bundle.py"))
        assert os.path.isfile(
            os.path.join(out, f"{model}_saved_model", "1", "saved_model.pb")
        )
    assert sorted(os.listdir(out)) == sorted(
        ["attention.png", "gradient_flow.png", "metrics.json", "report.md"]
        + ["training_curves.png", "translator.keras", "translator_tflite"]
        + ["translator_saved_model", "vqa.keras", "vqa_tflite", "vqa_saved_model"]
    )
    for step in ("[1/4] gradient flow", "[2/4] VQA", "[3/4] zh->en", "[4/4] plots"):
        assert step in printed
    # The command ends by listing where everything went.
    assert printed.splitlines()[-1].endswith(f"s; read {out}/report.md")
    for name in os.listdir(out):
        assert f"wrote {os.path.join(out, name)}\n" in printed


@pytest.mark.slow
def test_vqa_accuracy_is_reported_and_reproducible(demo):
    out, metrics, report, _ = demo
    accuracy = metrics["vqa"]["test_accuracy"]
    assert 0.0 <= accuracy <= 1.0
    assert f"VQA test accuracy: {accuracy:.4f}" in report
    # Recomputed from the saved model with `answer()` (not `evaluate`) on the
    # same easy-VQA test images the quick run scores (the first 100).
    model = keras.saving.load_model(os.path.join(out, "vqa.keras"))
    test = load_easy_vqa("test", max_images=100)
    assert metrics["vqa"]["test_questions"] == len(test)
    assert answer_accuracy(model, test) == pytest.approx(accuracy, abs=1e-6)
    # The quick recipe (`train_easy_vqa(quick=True)`: 3 epochs on 200 images)
    # already beats always giving the most common answer.
    assert metrics["vqa"]["epochs"] == 3
    majority = max(test.answers.count(a) for a in set(test.answers)) / len(test)
    assert accuracy > majority + 0.05
    assert isinstance(model, VQAModel) and len(model.answers) == 13


@pytest.mark.slow
def test_tflite_answers_and_translations_equal_keras(demo):
    out, metrics, report, _ = demo
    vqa, translation = metrics["vqa"], metrics["translation"]
    assert vqa["tflite_equals_keras"] and translation["tflite_equals_keras"]
    assert "VQA TFLite answers equal Keras: yes" in report
    assert "TFLite translation equals Keras: yes" in report
    samples = vqa["tflite_samples"]
    assert len(samples) == 6 and all(s["tflite"] == s["keras"] for s in samples)
    assert translation["tflite_greedy"] == translation["greedy"]
    for checks in (vqa["exports"], translation["exports"]):
        assert all(c["passed"] for c in checks.values()), checks
    # The reloaded Keras translator gives the reported greedy translations.
    translator = keras.saving.load_model(os.path.join(out, "translator.keras"))
    assert translator.translate(translation["sentences"]) == translation["greedy"]
    for source, greedy in zip(
        translation["sentences"], translation["greedy"], strict=True
    ):
        assert f"| {source} | {greedy} |" in report
    # An independent TFLite run of the exported encoder matches Keras.
    x = {k: np.asarray(v) for k, v in translator.preprocessor(["三百"]).items()}
    model_path = os.path.join(out, "translator_tflite", "model.tflite")
    encoded = TFLiteRunner(model_path).run("encode", **x)
    expected = translator.encode(x["token_ids"], x["padding_mask"])
    np.testing.assert_allclose(encoded["memory"], expected["memory"], atol=1e-5)


@pytest.mark.slow
def test_gradient_flow_part_is_kept(demo):
    _, metrics, report, _ = demo
    ratios = metrics["gradient_flow"]["ratios"]
    assert sorted(ratios) == ["additive", "lstm", "original_lstm", "vanilla"]
    assert ratios["vanilla"] < 1e-2 < ratios["original_lstm"]
    for name in ratios:
        assert f"\n{name} " in report
