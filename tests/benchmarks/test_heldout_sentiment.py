"""The real-review sentiment benchmark's plumbing, on a stand-in corpus (CI does not
install the `bench` extra that ships the reviews; no accuracy is asserted here)."""

import importlib.util

import numpy as np
import pytest

from benchmarks import heldout_sentiment

POSITIVE = ["质量很好，很满意", "非常喜欢这本书", "物流快，东西不错", "推荐购买"]
NEGATIVE = ["质量太差了", "很失望，不推荐", "包装破损，退货", "内容肤浅"]


def stand_in(count=40):
    texts = [(POSITIVE + NEGATIVE)[i % 8] + str(i) for i in range(count)]
    return texts, np.array([int(i % 8 < 4) for i in range(count)])


def test_split_is_seeded_stratified_and_disjoint():
    texts, labels = stand_in(200)
    train, test = heldout_sentiment.split(texts, labels, 100, 50, seed=1)
    again, _ = heldout_sentiment.split(texts, labels, 100, 50, seed=1)
    assert train[0] == again[0] and len(train[0]) == 100 and len(test[0]) == 50
    assert not set(train[0]) & set(test[0])
    assert train[1].mean() == pytest.approx(0.5, abs=0.02)


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install -e "\.\[bench\]"'):
        heldout_sentiment.load_reviews()


@pytest.mark.slow
def test_run_scores_three_models_on_the_same_split(monkeypatch):
    monkeypatch.setattr(heldout_sentiment, "load_reviews", lambda: stand_in(96))
    record = heldout_sentiment.run(train_count=64, test_count=32, epochs=1)
    for name in ("kit", "tfidf", "bilstm"):
        assert 0.0 <= record[f"{name}_accuracy"] <= 1.0 and record[f"{name}_s"] > 0
    best = max(record["tfidf_accuracy"], record["bilstm_accuracy"])
    assert record["kit_margin_points"] == pytest.approx(
        100 * (record["kit_accuracy"] - best)
    )
