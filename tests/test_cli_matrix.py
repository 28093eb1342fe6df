"""The `rnnkit` matrix: every subcommand on the model its own `train` writes, for
all five applications (issue 14).

One module-scoped fixture trains each application once, in-process and `--tiny`,
with the train flags spread across the applications (`TRAIN_FLAGS`); `evaluate`,
`predict`, `export` and `serve` then reuse its `.keras` file. Predictions are
compared line by line with the task's own Python API on the same inputs.

`rnnkit demo` runs in tests/test_demo.py; the fast, model-free CLI cases in
tests/test_cli.py.
"""

import base64
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request

import easy_vqa
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.applications import load_task_model
from keras_rnn_kit.cli import main
from keras_rnn_kit.data import load_image
from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.export.rest_server import make_server
from keras_rnn_kit.export.signatures import resolve_signatures

APPLICATIONS = ("translation", "sentiment", "captioning", "vqa", "visual-dialog")

# Besides `--tiny --out`: each train flag is used at least once. `evaluate` repeats
# the flags that choose the held-out split (`--data`, `--seed`).
TRAIN_FLAGS = {
    "translation": [],
    "sentiment": ["--epochs", "2", "--batch-size", "16", "--seed", "3"],
    "captioning": ["--epochs", "1", "--data", "scenes"],
    "vqa": ["--strategy", "one_device", "--data", "easy_vqa", "--seed", "2"],
    "visual-dialog": ["--batch-size", "32"],
}
EVALUATE_FLAGS = {
    "translation": [],
    "sentiment": ["--seed", "3"],
    "captioning": ["--data", "scenes"],
    "vqa": ["--data", "easy_vqa", "--seed", "2"],
    "visual-dialog": [],
}

QUESTION = "what shape is in the image?"
HISTORY = "what shape is it? circle | is it red? no"
TEXTS = {
    "translation": ["三百", "二十一"],
    "sentiment": ["The food was good.", "The staff was rude."],
}


def run_cli(argv):
    """`main(argv)` in-process; asserts status 0 and returns what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    assert status == 0, f"rnnkit {' '.join(argv)} -> {status}:\n{err.getvalue()}"
    return out.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`trained(app) -> (model_path, printed)`: `rnnkit train APP --tiny`, once."""
    root = tmp_path_factory.mktemp("cli_matrix")
    runs = {}

    def train(application):
        if application not in runs:
            out = os.path.join(root, application)
            argv = ["train", application, "--tiny", "--out", out]
            printed = run_cli(argv + TRAIN_FLAGS[application])
            runs[application] = os.path.join(out, f"{application}.keras"), printed
        return runs[application]

    return train


@pytest.fixture(scope="module")
def task_model(trained):
    """`task_model(app)`: the trained `.keras` file, loaded once."""
    models = {}

    def load(application):
        if application not in models:
            models[application] = load_task_model(trained(application)[0])
        return models[application]

    return load


@pytest.fixture(scope="module")
def exported(trained):
    """`exported(app, format, *flags) -> (path, printed)`: `rnnkit export MODEL
    --format FORMAT --verify *flags`, once per arguments."""
    runs = {}

    def export(application, format_, *flags):
        key = (application, format_, flags)
        if key not in runs:
            model_path = trained(application)[0]
            argv = ["export", model_path, "--format", format_, "--verify", *flags]
            printed = run_cli(argv)
            path = printed.splitlines()[-1].removeprefix("wrote ")
            runs[key] = path, printed
        return runs[key]

    return export


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    """Two easy-VQA images as PNG files of different sizes: 48x40 and 32x32."""
    folder = tmp_path_factory.mktemp("images")
    sources = [easy_vqa.get_test_image_paths()[i] for i in (0, 1)]
    paths = []
    for source, (height, width) in zip(sources, [(40, 48), (32, 32)], strict=True):
        path = os.path.join(folder, f"{width}x{height}.png")
        with open(path, "wb") as f:
            f.write(encode_png(load_image(source, size=(height, width))))
        paths.append(path)
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("application", APPLICATIONS)
def test_train_writes_model_and_metrics(trained, application):
    model_path, printed = trained(application)
    out = os.path.dirname(model_path)
    metrics_path = os.path.join(out, "metrics.json")
    assert printed.splitlines()[-2:] == [f"wrote {model_path}", f"wrote {metrics_path}"]
    assert os.path.isfile(model_path)
    with open(metrics_path, encoding="utf-8") as f:
        metrics = json.load(f)
    assert metrics["application"] == application and metrics["final_loss"] > 0
    if application == "sentiment":
        # --epochs 2 --batch-size 16 over 204 generated reviews: 2 x 13 steps.
        assert printed.count("13/13 - ") == 2


@pytest.mark.slow
@pytest.mark.parametrize("application", APPLICATIONS)
def test_evaluate_matches_the_metrics_train_wrote(trained, application):
    model_path, _ = trained(application)
    argv = ["evaluate", application, model_path, "--tiny"]
    lines = run_cli(argv + EVALUATE_FLAGS[application]).splitlines()
    assert lines[-1] == f"evaluated {model_path} (nothing written)"
    with open(os.path.join(os.path.dirname(model_path), "metrics.json")) as f:
        written = json.load(f)
    del written["application"], written["data"], written["final_loss"]
    printed = dict(line.split(": ") for line in lines[:-1])
    assert printed == {name: f"{value:.4f}" for name, value in written.items()}


def expected_lines(application, model, inputs, options):
    """What `rnnkit predict` must print, from the task's own Python API (each
    image at its own size, one call per image)."""
    if application == "translation":
        outputs = model.translate(inputs, beam_width=options.get("beam_width", 1))
        return [f"{s}\t{t}" for s, t in zip(inputs, outputs, strict=True)]
    if application == "sentiment":
        p = model.predict_text(inputs)
        return [
            f"{label}\t{probabilities.max():.3f}\t{text}"
            for text, label, probabilities in zip(
                inputs, p.labels, p.probabilities, strict=True
            )
        ]
    lines = []
    for path in inputs:
        image = load_image(path)[None]
        if application == "captioning":
            caption = model.caption(image, beam_width=options.get("beam_width", 1))
            lines.append(f"{path}\t{caption[0]}")
        elif application == "vqa":
            answers, scores = model.answer(image, [options["question"]])
            lines.append(f"{path}\t{answers[0]}\t{scores[0]:.3f}")
        else:
            rounds = [r.strip() for r in options.get("history", "").split("|")]
            ranked, _ = model.rank_answers(
                image,
                [options["question"]],
                [[r for r in rounds if r] or [""]],
                [easy_vqa.get_answers()],
            )
            lines.append(f"{path}\t{ranked[0][0]}\t{', '.join(ranked[0][:3])}")
    return lines


PREDICT_CASES = [
    ("translation", {}),
    ("translation", {"beam_width": 2}),
    ("sentiment", {}),
    ("captioning", {}),
    ("captioning", {"beam_width": 2}),
    ("vqa", {"question": QUESTION}),
    ("visual-dialog", {"question": QUESTION}),
    ("visual-dialog", {"question": QUESTION, "history": HISTORY}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("application", "options"), PREDICT_CASES)
def test_predict_matches_the_python_api(
    trained, task_model, image_files, application, options
):
    model_path, _ = trained(application)
    inputs = TEXTS.get(application, image_files)
    flags = []
    for name, value in options.items():
        flags += [f"--{name.replace('_', '-')}", str(value)]
    argv = ["predict", application, model_path, *inputs, *flags]
    *lines, last = run_cli(argv).splitlines()
    assert (
        last == f"predicted {len(inputs)} input(s) with {model_path} (nothing written)"
    )
    model = task_model(application)
    assert lines == expected_lines(application, model, inputs, options)


@pytest.mark.slow
@pytest.mark.parametrize("format_", ["saved_model", "tflite"])
@pytest.mark.parametrize("application", APPLICATIONS)
def test_export_verifies_every_signature(
    trained, task_model, exported, application, format_
):
    path, printed = exported(application, format_)
    stem = os.path.splitext(trained(application)[0])[0]
    suffix = "_saved_model/1" if format_ == "saved_model" else "_tflite"
    assert path == stem + suffix and os.path.exists(path)
    checked = path if format_ == "saved_model" else os.path.join(path, "model.tflite")
    # One passing report per signature the exporter wrote.
    signatures = resolve_signatures(task_model(application), None, format_)
    report = f"verify_export: {os.path.abspath(checked)}\n"
    assert printed.count(report) == len(signatures)


@pytest.mark.slow
def test_quantized_tflite_export_overwrites_the_given_folder(trained, exported):
    # Captioning: the tiny sentiment model has no weight tensor large enough for
    # the converter's dynamic-range quantization, so its file would stay float.
    target = os.path.join(os.path.dirname(trained("captioning")[0]), "dynamic_tflite")
    os.makedirs(target)
    with open(os.path.join(target, "stale.txt"), "w") as f:
        f.write("stale")
    flags = ("--quantization", "dynamic", "--out", target, "--overwrite")
    path, printed = exported("captioning", "tflite", *flags)
    assert path == target and not os.path.exists(os.path.join(target, "stale.txt"))
    assert os.path.getsize(os.path.join(target, "model.tflite")) > 0
    assert "tflite (quantization=dynamic)" in printed
    with open(os.path.join(target, "bundle.json"), encoding="utf-8") as f:
        assert json.load(f)["quantization"] == "dynamic"


# Runs a bundle in a process where importing tensorflow, keras or keras_rnn_kit
# fails: argv = bundle folder, inputs .json, images .npy (or ""), output .json.
NO_TENSORFLOW_SCRIPT = """
import json, sys
BLOCKED = {"tensorflow", "keras", "keras_rnn_kit", "tf_keras", "jax", "torch"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: a bundle must run without it")
sys.meta_path.insert(0, Block())
folder, inputs_path, images_path, out_path = sys.argv[1:]
sys.path.insert(0, folder)
import numpy as np
from rnnkit_bundle import Bundle
bundle = Bundle(folder)
with open(inputs_path, encoding="utf-8") as f:
    inputs = json.load(f)
images = np.load(images_path) if images_path else None
if bundle.application == "sentiment":
    labels, probabilities = bundle.classify(inputs["texts"])
    out = {"labels": labels, "probabilities": probabilities.tolist()}
elif bundle.application == "translation":
    out = {w: bundle.translate(inputs["texts"], beam_width=int(w)) for w in "12"}
elif bundle.application == "captioning":
    out = {w: bundle.caption(images, beam_width=int(w)) for w in "12"}
elif bundle.application == "vqa":
    answers, probabilities = bundle.answer(images, inputs["questions"])
    out = {"answers": answers, "probabilities": probabilities.tolist()}
else:
    scores = bundle.rank_answers(images, **inputs)
    out = {"scores": [row.tolist() for row in scores]}
out["modules"] = sorted(m.split(".")[0] for m in sys.modules)
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False)
"""
BUNDLE_INPUTS = {
    "sentiment": {"texts": TEXTS["sentiment"] + ["", "zzz qqq", "Good!<br />Bad."]},
    "translation": {"texts": TEXTS["translation"] + ["一千零五", "", "九十九"]},
    "vqa": {"questions": [QUESTION, "is there a red shape?", "zzz"]},
    "visual-dialog": {
        "questions": [QUESTION, "is it blue?", "what color is it?"],
        # Keras takes the same number of rounds per dialog ("" for none).
        "histories": [["what shape is it? circle", "is it red? no"], ["", ""]]
        + [["is it red? no", ""]],
        "candidates": [easy_vqa.get_answers()[:6]] * 3,
    },
}


def keras_outputs(application, model, inputs, images):
    """What the bundle must reproduce, from the task's own Python API."""
    if application == "sentiment":
        prediction = model.predict_text(inputs["texts"])
        return {
            "labels": list(prediction.labels),
            "probabilities": prediction.probabilities,
        }
    if application == "translation":
        return {w: model.translate(inputs["texts"], beam_width=int(w)) for w in "12"}
    if application == "captioning":
        return {w: model.caption(images, beam_width=int(w)) for w in "12"}
    if application == "vqa":
        answers, top_k = model.answer(
            images, inputs["questions"], top_k=len(model.answers)
        )
        return {"answers": [row[0] for row in answers], "sorted": top_k}
    _, scores = model.rank_answers(images, **inputs)
    return {"scores": scores}


@pytest.mark.slow
@pytest.mark.parametrize("application", APPLICATIONS)
def test_tflite_bundle_runs_like_keras_without_tensorflow(
    trained, task_model, exported, application, tmp_path
):
    path, printed = exported(application, "tflite")
    assert path == os.path.splitext(trained(application)[0])[0] + "_tflite"
    # The folder alone, somewhere else: nothing else of the export is needed.
    folder = shutil.copytree(path, tmp_path / "bundle")
    model = task_model(application)
    inputs = BUNDLE_INPUTS.get(application, {})
    images_path = ""
    images = None
    if application in ("captioning", "vqa", "visual-dialog"):
        size = model.preprocessor.image_size
        images = np.stack(
            [
                load_image(easy_vqa.get_test_image_paths()[i], size=(size, size))
                for i in range(3)
            ]
        )
        images_path = str(tmp_path / "images.npy")
        np.save(images_path, images)
    inputs_path = tmp_path / "inputs.json"
    inputs_path.write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")
    out_path = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, "-c", NO_TENSORFLOW_SCRIPT, str(folder), str(inputs_path)]
        + [images_path, str(out_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(out_path.read_text(encoding="utf-8"))
    assert not {"tensorflow", "keras", "keras_rnn_kit"} & set(got.pop("modules"))
    want = keras_outputs(application, model, inputs, images)
    if application == "sentiment":
        assert got["labels"] == want["labels"]
        np.testing.assert_allclose(
            got["probabilities"], want["probabilities"], atol=1e-5
        )
    elif application == "vqa":
        assert got["answers"] == want["answers"]
        ordered = -np.sort(-np.array(got["probabilities"]), axis=-1)
        np.testing.assert_allclose(ordered, want["sorted"], atol=1e-5)
    elif application == "visual-dialog":
        np.testing.assert_allclose(got["scores"], want["scores"], atol=1e-5)
    else:
        assert got == want
    with open(os.path.join(folder, "bundle.json"), encoding="utf-8") as f:
        config = json.load(f)
    for name in config["files"].values():
        assert os.path.isfile(os.path.join(folder, name)), name


def rest_predict(url, body):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_serve_answers_like_the_saved_model_and_the_task(
    exported, task_model, image_files
):
    version_dir, _ = exported("vqa", "saved_model")
    model_dir = os.path.dirname(version_dir)
    pngs = []
    for path in image_files:
        with open(path, "rb") as f:
            pngs.append(f.read())
    server = make_server(model_dir, port=0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = (
            f"http://127.0.0.1:{server.server_address[1]}/v1/models/"
            f"{os.path.basename(model_dir)}:predict"
        )
        instances = [
            {
                "image_bytes": {"b64": base64.b64encode(png).decode()},
                "question": QUESTION,
            }
            for png in pngs
        ]
        reply = rest_predict(url, {"instances": instances})["predictions"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)
    signature = tf.saved_model.load(version_dir).signatures["serving_default"]
    direct = signature(
        image_bytes=tf.constant(pngs), question=tf.constant([QUESTION] * len(pngs))
    )
    assert [row["answer"] for row in reply] == [
        a.decode() for a in direct["answer"].numpy()
    ]
    np.testing.assert_allclose(
        [row["probabilities"] for row in reply],
        direct["probabilities"].numpy(),
        atol=1e-6,
    )
    # The served graph decodes and resizes each image as `answer()` does.
    model = task_model("vqa")
    for path, row in zip(image_files, reply, strict=True):
        answers, scores = model.answer(load_image(path)[None], [QUESTION])
        assert row["answer"] == answers[0]
        assert row["score"] == pytest.approx(scores[0], abs=1e-5)


@pytest.mark.slow
def test_tflite_bundle_out_must_be_a_folder(trained, capsys):
    model_path = trained("sentiment")[0]
    argv = ["export", model_path, "--format", "tflite", "--out", "x.tflite"]
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert "`--out` names the bundle folder" in error and "'x_tflite'" in error


@pytest.mark.slow
def test_saved_model_overflow_flag_cuts_or_refuses_long_text(trained, exported):
    folder = os.path.dirname(trained("translation")[0])
    long_text = tf.constant(["三百 " * 200, TEXTS["translation"][0]])
    cut, _ = exported("translation", "saved_model")
    served = tf.saved_model.load(cut).signatures["serving_default"]
    both = served(text=long_text)["translation"].numpy()
    alone = served(text=long_text[1:])["translation"].numpy()
    assert both[1] == alone[0], "a long neighbour must not change a row"
    strict = os.path.join(folder, "strict_saved_model")
    refused, _ = exported(
        "translation", "saved_model", "--overflow", "error", "--out", strict
    )
    served = tf.saved_model.load(refused).signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="too short"):
        served(text=long_text)
