"""The benchmark suite's records and report (tiny sizes; no timing assertions)."""

import json

import pytest

from benchmarks import cell_speed
from benchmarks.report import write_report

FIELDS = {"name", "kit", "baseline", "phase", "size", "kit_s", "baseline_s", "speedup"}


@pytest.mark.slow
def test_cell_speed_records_follow_the_schema(tmp_path):
    records = cell_speed.run(sizes=[[2, 4, 3, 5]], repeats=1)
    assert len(records) == 2 * len(cell_speed.PAIRS)
    for record in records:
        assert FIELDS <= set(record)
        assert record["phase"] in {"train", "infer"}
        assert record["size"] == [2, 4, 3, 5]
        assert record["speedup"] == pytest.approx(
            record["baseline_s"] / record["kit_s"]
        )
    table = write_report(records, tmp_path)
    assert table.count("\n") == len(records) + 1
    assert (tmp_path / "latest.png").stat().st_size > 1000
    json.dumps(records)


def test_train_flops_formula():
    # One LSTM step forward: 2 * B * (I + U) * 4U multiply-adds-as-FLOPs; backward 2x.
    assert cell_speed.lstm_train_flops(1, 1, 1, 1) == 3 * 2 * 2 * 4


@pytest.mark.slow
def test_bptt_scaling_measures_each_method_in_its_own_process(monkeypatch):
    from benchmarks import bptt_scaling

    monkeypatch.setattr(bptt_scaling, "BATCH", 2)
    monkeypatch.setattr(bptt_scaling, "UNITS", 4)
    (record,) = bptt_scaling.run(lengths=[30], repeats=1)
    assert record["size"] == [2, 30, bptt_scaling.INPUT, 4]
    assert record["speedup"] == pytest.approx(record["baseline_s"] / record["kit_s"])
    # Each child imported TensorFlow, so its peak resident memory is well over 100 MB.
    assert record["kit_peak_rss_mb"] > 100 and record["baseline_peak_rss_mb"] > 100


@pytest.mark.slow
def test_tflite_latency_compares_both_kit_exports_with_the_keras_lstm():
    from benchmarks import tflite_latency

    records = tflite_latency.run(size=[1, 6, 3, 4], repeats=2)
    assert [
        r["kit"].endswith(f"fuse_lstm={fused})")
        for r, fused in zip(records, (False, True), strict=True)
    ] == [True, True]
    for record in records:
        assert record["phase"] == "tflite" and record["size"] == [1, 6, 3, 4]
        assert record["kit_bytes"] > 1000 and record["baseline_bytes"] > 1000
        assert record["speedup"] == pytest.approx(
            record["baseline_s"] / record["kit_s"]
        )
