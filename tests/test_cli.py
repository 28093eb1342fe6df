"""Tests for keras_rnn_kit.cli, in-process through `main`: arguments, errors and
hints, `gradient-flow`, and `export` on a small model.

Every subcommand on the models `rnnkit train` writes, for each application, runs
in tests/test_cli_matrix.py; `rnnkit demo` in tests/test_demo.py.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cli import main
from keras_rnn_kit.diagnostics import gradient_flow
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.native_logs import NATIVE_LOG_LINE
from tests.test_case import REPO_ROOT


def report_ratio(line):
    return float(line.split("ratio = ")[1])


def test_gradient_flow_writes_plot_and_prints_report(tmp_path, capsys):
    out = os.path.join(tmp_path, "flow.png")
    argv = ["gradient-flow", "--cells", "vanilla,original_lstm", "--steps", "30"]
    assert main(argv + ["--batch-size", "4", "--out", out]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"wrote {out}"
    assert [line.split()[0] for line in lines[:2]] == ["vanilla", "original_lstm"]
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # The printed numbers are the library's for the same settings.
    flow = gradient_flow("vanilla", steps=30, batch_size=4)
    assert report_ratio(lines[0]) == pytest.approx(flow[0] / flow[-2], rel=1e-3)
    assert report_ratio(lines[0]) < 1e-2 < report_ratio(lines[1])


def test_error_is_one_line_and_a_hint(tmp_path, capsys):
    out = os.path.join(tmp_path, "flow.png")
    assert main(["gradient-flow", "--steps", "0", "--out", out]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert lines[0].startswith("rnnkit gradient-flow: error: `steps`")
    assert lines[1].startswith("hint: ") and "--help" in lines[1]
    assert not os.path.exists(out)


def test_debug_shows_the_traceback(tmp_path):
    argv = ["gradient-flow", "--steps", "0", "--out", os.path.join(tmp_path, "f.png")]
    with pytest.raises(ValueError, match="steps"):
        main(["--debug"] + argv)
    with pytest.raises(ValueError, match="steps"):
        main(argv + ["--debug"])


def test_unwritable_output_hints_at_the_path(tmp_path, capsys):
    blocker = os.path.join(tmp_path, "file")
    open(blocker, "w").close()
    out = os.path.join(blocker, "flow.png")  # a folder inside a file
    argv = ["gradient-flow", "--cells", "vanilla", "--steps", "3", "--out", out]
    assert main(argv) == 1
    assert "hint: check that the output path is writable" in capsys.readouterr().err


def test_unknown_cell_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradient-flow", "--cells", "vanilla,gru"])
    assert exit_info.value.code == 2
    assert "--cells" in capsys.readouterr().err


COMMANDS = ["gradient-flow", "train", "evaluate", "predict", "export", "serve", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"example:\n  rnnkit {command}" in capsys.readouterr().out


@pytest.mark.slow
def test_python_dash_m_help_shows_no_native_log_lines():
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "keras_rnn_kit", "--help"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO_ROOT,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: rnnkit")
    for command in COMMANDS:
        assert command in result.stdout
    native = [
        line
        for line in result.stderr.splitlines()
        if NATIVE_LOG_LINE.match(line.encode())
    ]
    assert native == [], native


def one_line_error(capsys, argv, status=1):
    assert main(argv) == status
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err, err
    assert lines[1].startswith("hint: ")
    return lines


def test_unknown_application_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "speech"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'speech'" in capsys.readouterr().err


def test_missing_model_file_hints_at_the_path(tmp_path, capsys):
    missing = os.path.join(tmp_path, "nope.keras")
    lines = one_line_error(capsys, ["predict", "sentiment", missing, "good food"])
    assert lines[0].startswith("rnnkit predict: error: `model` must be a .keras file")
    assert "nope.keras" in lines[0] and "check the path" in lines[1]
    lines = one_line_error(capsys, ["export", missing, "--format", "tflite"])
    assert "nope.keras" in lines[0]


def test_option_of_another_application_is_refused(tmp_path, capsys):
    argv = ["predict", "translation", "m.keras", "三", "--question", "why?"]
    lines = one_line_error(capsys, argv)
    assert lines[0].endswith(
        "`question` does not apply to translation; it takes beam_width."
    )


def test_saved_model_takes_no_quantization(tmp_path, capsys):
    argv = ["export", "m.keras", "--format", "saved_model", "--quantization", "int8"]
    lines = one_line_error(capsys, argv)
    assert "`--quantization` applies to --format tflite only" in lines[0]


@pytest.fixture
def small_model_path(tmp_path):
    inputs = keras.Input((None, 3), name="features")
    hidden = keras.layers.RNN(LSTMCell(4))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="scores")(hidden))
    path = os.path.join(tmp_path, "small.keras")
    model.save(path)
    return path, model


@pytest.mark.parametrize("format_", ["saved_model", "tflite"])
def test_export_writes_and_verifies(small_model_path, format_, capsys):
    path, model = small_model_path
    assert main(["export", path, "--format", format_, "--verify"]) == 0
    printed = capsys.readouterr().out
    expected = path[: -len(".keras")] + (
        "_saved_model/1" if format_ == "saved_model" else ".tflite"
    )
    assert printed.splitlines()[-1] == f"wrote {expected}"
    assert f"verify_export: {os.path.abspath(expected)}" in printed
    # Independent check: the export answers like the Keras model.
    x = np.random.default_rng(0).random((1, 5, 3)).astype("float32")
    if format_ == "tflite":
        got = TFLiteRunner(expected).run(features=x)["scores"]
    else:
        got = tf.saved_model.load(expected).signatures["serving_default"](
            features=tf.constant(x)
        )["scores"]
    np.testing.assert_allclose(np.asarray(got), model(x), atol=1e-5)


def test_existing_tflite_needs_overwrite(small_model_path, capsys):
    path, _ = small_model_path
    target = path[: -len(".keras")] + ".tflite"
    open(target, "wb").close()
    lines = one_line_error(capsys, ["export", path, "--format", "tflite"])
    assert "already exists" in lines[0] and "overwrite" in lines[0]


def test_serve_missing_folder_is_one_line(tmp_path, capsys):
    missing = os.path.join(tmp_path, "exported")
    lines = one_line_error(capsys, ["serve", missing, "--port", "0"])
    assert lines[0].startswith("rnnkit serve: error:") and "exported" in lines[0]


def test_verify_samples_for_image_byte_signatures_are_decodable_pngs():
    # `rnnkit export --verify` on a vision SavedModel feeds its `image_bytes` input.
    from keras_rnn_kit.cli import _spec_samples

    @tf.function(
        input_signature=[
            tf.TensorSpec((None,), tf.string, name="image_bytes"),
            tf.TensorSpec((None,), tf.string, name="question"),
        ]
    )
    def serve(image_bytes, question):
        return {"n": tf.shape(image_bytes)}

    samples = _spec_samples(serve, 2)
    assert samples["question"].tolist() == ["good"] * 2
    for encoded in samples["image_bytes"]:
        assert tf.io.decode_png(encoded).shape == (32, 32, 3)


def test_serve_passes_its_limits_to_the_server(monkeypatch, capsys):
    from keras_rnn_kit import export

    calls = []
    monkeypatch.setattr(export, "serve", lambda *a, **k: calls.append((a, k)))
    assert main(["serve", "models/x", "--port", "9", "--workers", "4"]) == 0
    assert main(["serve", "models/x", "--timeout", "2.5"]) == 0
    assert calls == [
        (("models/x", 9), {"host": "127.0.0.1", "workers": 4}),
        (("models/x", 8501), {"host": "127.0.0.1", "timeout": 2.5}),
    ]


def test_saved_model_export_takes_a_name_a_version_and_overwrite(
    small_model_path, capsys
):
    path, _ = small_model_path
    base = path[: -len(".keras")] + "_saved_model"
    argv = ["export", path, "--format", "saved_model", "--version", "7"]
    assert main(argv + ["--model-name", "tagger"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {base}/7"
    with open(os.path.join(base, "models.config")) as f:
        assert 'name: "tagger"' in f.read()
    lines = one_line_error(capsys, argv)
    assert "already holds version 7" in lines[0]
    assert main(argv + ["--overwrite"]) == 0
    with open(os.path.join(base, "models.config")) as f:
        assert 'name: "small"' in f.read(), "the default name is the model's stem"
    tflite = ["export", path, "--format", "tflite", "--version", "2"]
    lines = one_line_error(capsys, tflite)
    assert "apply to --format saved_model only" in lines[0]
