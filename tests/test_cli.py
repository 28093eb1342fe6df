"""Tests for keras_rnn_kit.cli (in-process through `main`, once as `python -m`)."""

import os
import subprocess
import sys

import pytest

from keras_rnn_kit.cli import main
from keras_rnn_kit.diagnostics import gradient_flow
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


def test_demo_writes_plot_and_report(tmp_path, capsys):
    out = os.path.join(tmp_path, "demo_out")
    assert main(["demo", "--out", out, "--quick"]) == 0
    printed = capsys.readouterr().out
    plot = os.path.join(out, "gradient_flow.png")
    report = os.path.join(out, "report.md")
    assert f"wrote {plot}" in printed and f"wrote {report}" in printed
    assert os.path.getsize(plot) > 0
    with open(report, encoding="utf-8") as f:
        text = f.read()
    for name in ("vanilla", "additive", "original_lstm", "lstm"):
        assert f"\n{name} " in text
    assert "](gradient_flow.png)" in text


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


@pytest.mark.parametrize("command", ["gradient-flow", "demo"])
def test_each_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"example:\n  rnnkit {command}" in capsys.readouterr().out


@pytest.mark.slow
def test_python_dash_m_help():
    result = subprocess.run(
        [sys.executable, "-m", "keras_rnn_kit", "--help"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO_ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: rnnkit")
    for command in ("gradient-flow", "demo"):
        assert command in result.stdout
