"""Tests for keras_rnn_kit.utils.script_io."""

import json
import os

import pytest

from keras_rnn_kit.utils.script_io import script_parser
from keras_rnn_kit.utils.script_io import training_options
from keras_rnn_kit.utils.script_io import write_json_files


def test_flags_reach_train_as_its_keywords():
    parser = script_parser("Trains.", out="out", epochs=3)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(
        ["--out", "/tmp/o", "--seed", "4", "--strategy", "mirrored"]
    )
    assert training_options(args) == {
        "strategy": "mirrored",
        "epochs": 3,
        "global_batch_size": 8,
        "checkpoint_dir": os.path.join("/tmp/o", "checkpoints"),
        "shuffle_seed": 4,
        "verbose": 2,
    }
    # A script that picks its epochs itself (e.g. from the data) passes them.
    assert training_options(args, epochs=11)["epochs"] == 11


def test_a_script_without_strategies_has_no_strategy_flag():
    parser = script_parser("Exports.", out="out", strategy=False)
    with pytest.raises(SystemExit):
        parser.parse_args(["--strategy", "mirrored"])


def test_json_files_keep_non_ascii_text(tmp_path):
    paths = write_json_files(
        str(tmp_path), {"a.json": {"source": "三百"}, "b.json": [1.5]}
    )
    assert paths == [str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert "三百" in (tmp_path / "a.json").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "b.json").read_text()) == [1.5]
