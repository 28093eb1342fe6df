"""Runs every example's `train.py --tiny --out <tmp>` in a fresh process and checks
what it wrote: the files exist and reload, the metrics are numbers in range, and
the reloaded models reproduce the predictions the example reported."""

import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

import keras_rnn_kit  # noqa: F401  (registers the kit's classes for loading)
from keras_rnn_kit.applications import get_application
from keras_rnn_kit.native_logs import NATIVE_LOG_LINE
from tests.test_case import REPO_ROOT

EXAMPLES = os.path.join(REPO_ROOT, "examples")
TIMEOUT = 300


def run_example(name, out, *extra, script="train.py"):
    """Runs `examples/<name>/<script> --tiny --out <out>`; returns its stdout."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, name, script), "--tiny",
         "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO_ROOT,
        env=env,
    )
    assert result.returncode == 0, (
        f"{name}/{script} failed ({result.returncode}):\n{result.stderr[-4000:]}"
    )
    # The kit hides TensorFlow's native log lines from its scripts (no --debug).
    native = [
        line for line in result.stderr.splitlines()
        if NATIVE_LOG_LINE.match(line.encode())
    ]
    assert not native, native
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith("wrote ") and last_line.endswith(f"to {out}"), last_line
    return result.stdout


def read_json(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return json.load(f)


def assert_rate(value, name):
    assert isinstance(value, float) and 0.0 <= value <= 1.0, f"{name}={value!r}"


def assert_png(path, min_aspect=0.0):
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert width > 0 and height > 0 and width / height >= min_aspect


def printed_number(stdout, prefix):
    """The number after `prefix` on the line that starts with it."""
    line = next(line for line in stdout.splitlines() if line.startswith(prefix))
    return float(line[len(prefix):].split()[0])


@pytest.mark.slow
def test_sentiment_example(tmp_path):
    stdout = run_example("sentiment", tmp_path)
    metrics = read_json(tmp_path, "metrics.json")
    assert_rate(metrics["accuracy"], "accuracy")
    assert printed_number(stdout, "test accuracy:") == pytest.approx(
        metrics["accuracy"], abs=1e-4
    )
    predictions = read_json(tmp_path, "predictions.json")
    assert len(predictions) == 4
    # The saved classifier (preprocessor included) reproduces the report.
    model = keras.saving.load_model(tmp_path / "sentiment.keras")
    reloaded = model.predict_text([p["text"] for p in predictions])
    assert reloaded.labels == [p["label"] for p in predictions]
    np.testing.assert_allclose(
        reloaded.probabilities, [p["probabilities"] for p in predictions], atol=1e-5
    )


@pytest.mark.slow
def test_truncated_bptt_example(tmp_path):
    stdout = run_example("truncated_bptt", tmp_path)
    metrics = read_json(tmp_path, "metrics.json")
    assert_rate(metrics["val_accuracy"], "val_accuracy")
    assert math.isfinite(metrics["loss"]) and metrics["loss"] > 0
    assert printed_number(stdout, "validation accuracy:") == pytest.approx(
        metrics["val_accuracy"], abs=1e-4
    )
    settings = metrics["settings"]
    model = keras.saving.load_model(tmp_path / "tbptt.keras")
    assert model.window_size == settings["window"]
    x = np.zeros((2, settings["length"], 1), "float32")
    assert model.predict(x, verbose=0).shape == (2, settings["length"], 1)


@pytest.mark.slow
def test_translation_example(tmp_path):
    run_example("translation", tmp_path)
    metrics = read_json(tmp_path, "metrics.json")
    for mode in ("greedy", "beam"):
        assert_rate(metrics[f"{mode}_exact_match"], f"{mode}_exact_match")
        assert 0.0 <= metrics[f"{mode}_bleu"] <= 100.0
    samples = read_json(tmp_path, "samples.json")
    assert len(samples) == 5 and all(s["reference"] for s in samples)
    assert_png(tmp_path / "attention.png")
    # The recipe's own metrics, and its held-out split: the first five pairs.
    assert metrics["data"].startswith("generated zh->en numbers task")
    sources, references = get_application("translation").load(None, tiny=True).test
    assert [s["source"] for s in samples] == sources[:5]
    assert [s["reference"] for s in samples] == references[:5]
    # The saved translator decodes the held-out sources as the run did.
    translator = keras.saving.load_model(tmp_path / "translation.keras")
    assert translator.translate(sources[:5], beam_width=1) == [
        s["greedy"] for s in samples
    ]


@pytest.mark.slow
def test_vqa_example(tmp_path):
    stdout = run_example("vqa", tmp_path)
    metrics = read_json(tmp_path, "metrics.json")
    assert_rate(metrics["test_accuracy"], "test_accuracy")
    assert 0.0 < metrics["majority_baseline"] <= 1.0
    assert printed_number(stdout, "test accuracy:") == pytest.approx(
        metrics["test_accuracy"], abs=1e-4
    )
    samples = read_json(tmp_path, "samples.json")
    model = keras.saving.load_model(tmp_path / "vqa.keras")
    assert samples and all(s["predicted"] in model.answers for s in samples)
    assert all(0.0 < s["probability"] <= 1.0 for s in samples)


@pytest.mark.slow
def test_captioning_example(tmp_path):
    run_example("captioning", tmp_path)
    metrics = read_json(tmp_path, "metrics.json")
    for order in range(1, 5):
        assert_rate(metrics[f"bleu_{order}"], f"bleu_{order}")
        assert_rate(metrics["beam"][f"bleu_{order}"], f"beam bleu_{order}")
    assert math.isfinite(metrics["cider_d"]) and metrics["cider_d"] >= 0.0
    samples = read_json(tmp_path, "samples.json")
    assert len(samples) == 5 and all(s["reference"].startswith("a ") for s in samples)
    # One panel for the image plus one per generated word, side by side.
    assert_png(tmp_path / "attention.png", min_aspect=1.5)
    # The saved captioner beam-decodes the held-out scenes as the run did.
    captioner = keras.saving.load_model(tmp_path / "captioning.keras")
    images, _ = get_application("captioning").load(None, tiny=True, seed=0).test
    hypotheses = captioner.caption(images[:5], beam_width=3)
    assert hypotheses == [s["caption"] for s in samples]


@pytest.mark.slow
def test_visual_dialog_example(tmp_path):
    run_example("visual_dialog", tmp_path)
    metrics = read_json(tmp_path, "metrics.json")
    for k in (1, 5, 10):
        assert_rate(metrics[f"r@{k}"], f"r@{k}")
    assert metrics["r@1"] <= metrics["r@5"] <= metrics["r@10"]
    assert 1.0 <= metrics["mean_rank"] and 0.0 < metrics["mrr"] <= 1.0
    dialog = read_json(tmp_path, "dialog.json")
    assert dialog["caption"].startswith("a ") and dialog["rounds"]
    # The saved model, fed the saved image and rounds, ranks as the run did.
    model = keras.saving.load_model(tmp_path / "visual-dialog.keras")
    assert model.candidates == dialog["candidates"]
    with Image.open(tmp_path / dialog["image"]) as image:
        pixels = np.asarray(image.convert("RGB"))
    rounds = dialog["rounds"]
    ranked, scores = model.rank_answers(
        np.stack([pixels] * len(rounds)),
        [turn["question"] for turn in rounds],
        [turn["history"] for turn in rounds],
    )
    assert scores.shape == (len(rounds), len(dialog["candidates"]))
    for turn, row, order in zip(rounds, scores, ranked, strict=True):
        # Compared by score, so that near-ties may swap places.
        top = [row[dialog["candidates"].index(answer)] for answer in turn["top_3"]]
        np.testing.assert_allclose(top, turn["top_3_scores"], atol=1e-4)
        np.testing.assert_allclose(np.sort(row)[::-1][:3], top, atol=1e-4)
        assert set(order) == set(dialog["candidates"])


@pytest.mark.slow
def test_export_and_serve_example(tmp_path):
    stdout = run_example("export_and_serve", tmp_path)
    summary = read_json(tmp_path, "export.json")
    assert summary["saved_model_passed"] and summary["tflite_passed"]
    assert os.path.isfile(os.path.join(summary["saved_model"], "saved_model.pb"))
    with open(summary["tflite"], "rb") as f:
        assert f.read(8)[4:8] == b"TFL3"  # the flatbuffer identifier
    predictions = summary["rest_reply"]["predictions"]
    assert len(predictions) == len(summary["rest_request"]) == 2
    for prediction in predictions:
        assert prediction["labels"] in ("negative", "positive")
        assert sum(prediction["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert printed_number(stdout, "largest |REST - Keras| probability difference:") < (
        1e-5
    )
    bundle = "largest |TFLite bundle - Keras| probability difference:"
    assert printed_number(stdout, bundle) < 1e-5
