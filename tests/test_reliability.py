"""The README's reliability table: each bad input names the real problem and the fix.

The rows that no module test covers live here; `test_every_readme_row_names_a_test`
checks that every row of the table points at a test that exists.
"""

import ast
import os
import re
import socket

import keras
import pytest

from keras_rnn_kit.applications import load_task_model
from keras_rnn_kit.cli import _hint
from keras_rnn_kit.cli import main
from keras_rnn_kit.export.rest_http import JSONRequestHandler
from keras_rnn_kit.export.rest_http import PooledHTTPServer
from tests.test_case import REPO_ROOT

ROW_TEST = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _error_lines(capsys, argv):
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2, lines
    return lines


def _reliability_rows():
    with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("### Reliability: bad inputs and what they get", 1)[1]
    table = section[section.index("\n| ") :].split("\n\n", 1)[0]
    return [line for line in table.splitlines() if line.startswith("| ")][2:]


def test_every_readme_row_names_a_test():
    rows = _reliability_rows()
    assert len(rows) >= 20
    for row in rows:
        references = ROW_TEST.findall(row)
        assert references, f"the row names no test: {row}"
        for path, name in references:
            with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as f:
                tree = ast.parse(f.read())
            defined = {
                node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            }
            assert name in defined, f"{path} has no {name} (README row: {row})"


def test_a_truncated_keras_file_is_called_truncated_not_missing(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    whole = tmp_path / "whole.keras"
    model.save(whole)
    cut = tmp_path / "cut.keras"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ValueError, match="not one. It may be truncated"):
        load_task_model(str(cut))
    assert load_task_model(str(whole)).count_params() == 4


def test_a_data_path_that_does_not_exist_is_not_read_as_a_tfds_name(
    tmp_path, capsys
):
    missing = str(tmp_path / "reviews.csv")
    argv = ["train", "sentiment", "--tiny", "--data", missing, "--out", str(tmp_path)]
    error, hint = _error_lines(capsys, argv)
    assert f"`--data` names a file or folder that does not exist: {missing!r}" in error
    assert "tensorflow-datasets" in error and hint == (
        "hint: check the path: it must exist."
    )
    assert sorted(os.listdir(tmp_path)) == [], "nothing is written"


def test_a_port_in_use_names_the_port_and_the_fix():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(OSError) as error:
            PooledHTTPServer(("127.0.0.1", port), JSONRequestHandler, workers=1)
    assert f"port {port} on 127.0.0.1 is already in use" in str(error.value)
    assert "--port" in _hint(error.value, "serve")
