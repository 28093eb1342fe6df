"""The app_tflite section on one tiny application (no timing assertions: speed
targets are for `python -m benchmarks`, not for unit tests)."""

import pytest

from benchmarks import application_tflite
from benchmarks import bundle_trimming
from benchmarks.report import markdown_table

FIELDS = {"name", "kit", "baseline", "phase", "size", "kit_s", "baseline_s", "speedup"}
APP_FIELDS = {"app", "fusable", "variants", "check", "batch8", "verdict"}


@pytest.mark.slow
def test_sentiment_masked_trimmed_and_fused_files():
    # One application: the five share the measuring code; sentiment is the
    # smallest and the one whose every LSTM fuses once trimmed.
    records = application_tflite.run(names=["sentiment"], repeats=1, tiny=True)
    assert [r["phase"] for r in records] == ["app tflite trim", "app tflite fuse"]
    for record in records:
        assert FIELDS | APP_FIELDS | {"kit_bytes", "baseline_bytes"} <= set(record)
        assert record["kit_s"] > 0 and record["baseline_s"] > 0
        assert record["speedup"] == pytest.approx(
            record["baseline_s"] / record["kit_s"]
        )
        assert record["size"].endswith("(tiny)")
    variants, check = records[0]["variants"], records[0]["check"]
    assert check["trimmed_matches_masked"] and check["fused_matches_masked"]
    assert check["trimmed_loop_max_abs_diff"] <= application_tflite.TOLERANCE
    assert variants["masked_loop"]["while_loop"]
    assert variants["trimmed_loop"]["while_loop"]
    assert not variants["trimmed_loop"]["fused_lstm"]
    assert variants["trimmed_fused"]["fused_lstm"]
    assert not variants["trimmed_fused"]["while_loop"]
    for variant in variants.values():
        assert variant["bytes"] > 0 and variant["seconds"] > 0
        assert variant["seconds_without_xnnpack"] > 0
    batch8 = records[0]["batch8"]
    assert batch8["supported"] == ("batch8_s" in batch8)
    table = markdown_table(records)
    assert "| sentiment |" in table and records[0]["verdict"] in table


@pytest.mark.slow
def test_bundle_padding_cut_keeps_the_outputs():
    (record,) = bundle_trimming.run(sizes=((8, 12, 4),), repeats=2)
    assert record["phase"] == "bundle trim" and record["max_abs_diff"] <= 1e-6
    assert record["speedup"] == pytest.approx(record["baseline_s"] / record["kit_s"])
    assert FIELDS <= set(record)
