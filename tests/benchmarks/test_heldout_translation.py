"""The held-out zh->en formatted-text task and its harness (tiny training only:
the exact-match target is for `python -m benchmarks.heldout_translation`)."""

import calendar
import re

import pytest

from benchmarks import heldout_translation as ht

FIELDS = {"name", "kit", "baseline", "phase", "size", "kit_s", "baseline_s", "speedup"}
# A whole digit run, unless it is a month number (`5` in `2023年5月`).
RUN = re.compile(r"(?<!\d)\d+(?![\d月])")


def _runs(texts):
    return {run for text in texts for run in RUN.findall(text)}


def test_no_test_number_occurs_in_training():
    (train_sources, train_targets), (test_sources, test_targets) = ht.heldout_split()
    assert (len(train_sources), len(test_sources)) == (1000, 500)
    assert len(train_targets) == 1000 and len(test_targets) == 500
    seen = _runs(train_sources + train_targets)
    for source, target in zip(test_sources, test_targets, strict=True):
        runs = _runs([source, target])
        assert runs, (source, target)
        assert not runs & seen, (source, target, runs & seen)
    # Months are words on the English side; all twelve are learnt in training.
    for name in calendar.month_name[1:]:
        assert any(name in t for t in train_targets), name


def test_check_held_out_names_a_leak():
    train = (["价格是1280元。"], ["The price is RMB 1,280."])
    with pytest.raises(AssertionError, match="1280"):
        ht.check_held_out(train, (["1280元"], ["RMB 1,280"]))
    ht.check_held_out(train, (["2281元"], ["RMB 2,281"]))


def test_pairs_are_deterministic_per_seed():
    assert ht.make_pairs(50, seed=3) == ht.make_pairs(50, seed=3)
    assert ht.make_pairs(50, seed=3) != ht.make_pairs(50, seed=4)
    assert ht.heldout_split(100, 50, seed=1) == ht.heldout_split(100, 50, seed=1)


def test_targets_use_english_formatting():
    sources, targets = ht.make_pairs(3000, seed=0)
    checked = dict.fromkeys(("date", "month", "amount", "time", "count"), 0)
    for source, target in zip(sources, targets, strict=True):
        if m := re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", source):
            year, month, day = m.groups()
            assert re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", target)
            assert target == f"{calendar.month_name[int(month)]} {day}, {year}"
            checked["date"] += 1
        elif m := re.fullmatch(r"(\d{4})年(\d{1,2})月", source):
            assert target == f"{calendar.month_name[int(m[2])]} {m[1]}"
            checked["month"] += 1
        elif m := re.fullmatch(r"(?:人民币)?([\d,]+)元", source):
            assert re.fullmatch(r"RMB [1-9]\d{0,2}(,\d{3})*", target)
            assert target == f"RMB {int(m[1].replace(',', '')):,}"
            checked["amount"] += 1
        elif m := re.fullmatch(r"(上午|下午)(\d+)点(?:(\d+)分)?", source):
            half = "a.m." if m[1] == "上午" else "p.m."
            time = m[2] if m[3] is None else f"{m[2]}:{int(m[3]):02d}"
            assert target == f"{time} {half}"
            checked["time"] += 1
        elif m := re.fullmatch(r"(\d+)([^\d。]+)", source):
            assert re.fullmatch(r"[1-9]\d{0,2}(,\d{3})* [a-z]+", target)
            assert target.split()[0] == f"{int(m[1]):,}"
            checked["count"] += 1
        elif source.endswith("。"):
            assert re.fullmatch(r"[A-Z0-9].*[^.]\.", target), target
    assert min(checked.values()) > 20, checked
    assert any(re.search(r"\d,\d{3}", t) for t in targets)
    train = r"The train leaves at \d{1,2}(:\d\d)? [ap]\.m\."
    assert any(re.fullmatch(train, t) for t in targets)  # one period, not "p.m.."


def test_run_record_and_table(monkeypatch):
    def fake(train, test, epochs, seed, max_train_seconds=None):
        return {
            "exact_match": 0.5,
            "bleu": 40.0,
            "train_seconds": 2.0 if epochs == 3 else 1.0,
            "epochs_run": epochs,
            "first_epoch_s": 0.5,
            "epoch_s": 0.1,
            "predictions": list(test[1]),
        }

    monkeypatch.setattr(ht, "evaluate_kit", fake)
    monkeypatch.setattr(ht, "evaluate_baseline", fake)
    monkeypatch.setattr(ht, "EPOCHS", {"kit": 3, "baseline": 4})
    record = ht.run(train_count=40, test_count=10, examples=2)
    assert FIELDS <= set(record) and record["phase"] == "heldout zh-en"
    assert record["kit_exact_match"] == record["baseline_exact_match"] == 0.5
    assert record["kit_bleu"] == 40.0 and record["kit_epochs_run"] == 3
    assert record["baseline_epoch_s"] == 0.1
    assert record["speedup"] == pytest.approx(0.5)
    assert len(record["examples"]) == 2
    assert record["examples"][0]["kit"] == record["examples"][0]["reference"]
    table = ht._table(record)
    assert "| 0.500 | 40.0 |" in table and record["examples"][1]["source"] in table


def test_dev_exact_match_scores_a_dev_split_and_refuses_the_test_split(monkeypatch):
    calls = []

    def fake(train, test, epochs=None, seed=0):
        calls.append((train, test, seed))
        return {"exact_match": 0.25}

    monkeypatch.setattr(ht, "evaluate_kit", fake)
    assert ht.dev_exact_match(7, test_count=20) == 0.25
    ((train, test, seed),) = calls
    dev_train, dev_test = ht.heldout_split(seed=7)
    assert seed == 7 and train == dev_train
    assert test == (dev_test[0][:20], dev_test[1][:20])
    assert test[0] != ht.heldout_split()[1][0][:20]
    with pytest.raises(ValueError, match="test split"):
        ht.dev_exact_match(0)


def test_model_seeds_score_the_test_split_once_per_seed(monkeypatch, capsys):
    calls = []

    def fake(train, test, epochs=None, seed=0):
        calls.append((train, test, seed))
        return 0.5 + seed / 10

    monkeypatch.setattr(ht, "kit_exact_match", fake)
    ht.main(["--model-seeds", "1", "2", "--train-count", "40", "--test-count", "8"])
    assert [seed for *_, seed in calls] == [1, 2]
    split = ht.heldout_split(40, 8)
    assert all((train, test) == split for train, test, _ in calls)
    assert capsys.readouterr().out.splitlines() == [
        "model seed 1: 0.600",
        "model seed 2: 0.700",
        "mean: 0.650",
    ]


@pytest.mark.slow
def test_both_models_train_and_score_on_a_tiny_split():
    train, test = ht.heldout_split(train_count=64, test_count=16)
    for score in (
        ht.baseline_exact_match(train, test, epochs=1, latent_dim=16),
        ht.kit_exact_match(train, test, epochs=1),
    ):
        assert isinstance(score, float) and 0.0 <= score <= 1.0
