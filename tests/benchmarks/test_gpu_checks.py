"""The GPU check script at tiny sizes (on a CPU: checks only, timing skipped)."""

import json

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import gpu_checks


def test_the_cases_cover_every_mask_direction_and_output():
    cases = gpu_checks.correctness_cases(
        gpu_checks.SIZES["tiny"]["check"], np.random.default_rng(0)
    )
    names = [case["name"] for case in cases]
    # Every mask x go_backwards x return_sequences, then the two structures.
    assert len(names) == len(set(names)) == len(gpu_checks.MASKS) * 4 + 2
    assert names[-2].startswith("HierarchicalRNN")
    assert names[-1].startswith("BidirectionalRNN")


@pytest.mark.slow
def test_tiny_run_records_every_case_within_tolerance(tmp_path, capsys, monkeypatch):
    # On a CPU "auto" is the XLA kernel, whose every mask the layer tests check
    # (tests/layers/test_compiled_sequence_masks.py): two masks keep this run of
    # the script itself short (each case compiles its own programs).
    masks = ("right_padded", "empty_row")
    if not tf.config.list_physical_devices("GPU"):
        monkeypatch.setattr(gpu_checks, "MASKS", masks)
    out = tmp_path / "results" / "gpu_checks.json"
    assert gpu_checks.main(["--tiny", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    names = [r["name"] for r in results["checks"]]
    assert len(names) == len(set(names)) == len(gpu_checks.MASKS) * 4 + 2
    for record in results["checks"]:
        assert record["status"] == "PASS", record
        assert record["max_diff"] < record["tolerance"] == gpu_checks.TOLERANCE
    assert results["passed"]
    if not tf.config.list_physical_devices("GPU"):
        assert results["timing"] == []
        assert "timing skipped: no GPU found" in capsys.readouterr().out


def test_masks_have_every_promised_shape():
    make = gpu_checks.make_mask
    assert make("none", 5, 6) is None
    assert make("full_length", 5, 6).all()
    right = make("right_padded", 5, 6)
    lengths = right.sum(axis=1)
    assert len(set(lengths)) == 5 and lengths.max() == 6 and lengths.min() >= 1
    assert (np.sort(right, axis=1)[:, ::-1] == right).all()
    left = make("left_padded", 5, 6)
    assert (left == right[:, ::-1]).all()
    empty = make("empty_row", 5, 6)
    assert (~empty.any(axis=1)).sum() == 1
    assert (np.sort(empty, axis=1)[:, ::-1] == empty).all()


def test_a_failing_or_crashing_case_does_not_stop_the_others(monkeypatch, tmp_path):
    diffs = iter([RuntimeError("boom"), 1.0])

    def fake_compare(case, rng):
        diff = next(diffs, 0.0)
        if isinstance(diff, Exception):
            raise diff
        return {"max_diff": diff}

    monkeypatch.setattr(gpu_checks, "compare", fake_compare)
    records = gpu_checks.run_checks((2, 3, 2, 2))
    statuses = [r["status"] for r in records]
    assert statuses[:2] == ["ERROR", "FAIL"] and set(statuses[2:]) == {"PASS"}
    assert records[0]["error"] == "RuntimeError: boom"
    monkeypatch.setattr(gpu_checks, "run_checks", lambda size: records[1:2])
    monkeypatch.setattr(gpu_checks, "format_table", lambda results: "")
    out = tmp_path / "g.json"
    assert gpu_checks.main(["--tiny", "--out", str(out)]) == 1
    assert json.loads(out.read_text())["passed"] is False


@pytest.mark.slow
def test_timing_reports_keras_over_kit_ratios():
    records = gpu_checks.run_timing(gpu_checks.SIZES["tiny"], repeats=1)
    assert len(records) == 2
    for record in records:
        assert record["status"] == "PASS", record
        assert record["speedup"] == pytest.approx(record["keras_s"] / record["kit_s"])
