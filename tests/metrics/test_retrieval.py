"""Tests for keras_rnn_kit/metrics/retrieval.py (hand-computed values)."""

import itertools
import math

import numpy as np
import pytest

from keras_rnn_kit.metrics.retrieval import MeanRank
from keras_rnn_kit.metrics.retrieval import MeanReciprocalRank
from keras_rnn_kit.metrics.retrieval import RecallAtK
from keras_rnn_kit.metrics.retrieval import ground_truth_ranks
from keras_rnn_kit.metrics.retrieval import ndcg
from keras_rnn_kit.metrics.retrieval import retrieval_metrics

# Three rows, 12 candidates; ground truth ranked 1st, 4th and 11th.
SCORES = np.array(
    [
        np.linspace(1.0, 0.0, 12),
        np.linspace(1.0, 0.0, 12),
        np.linspace(1.0, 0.0, 12),
    ]
)
GT = np.array([0, 3, 10])


def test_ranks_and_all_metrics_by_hand_without_ties():
    assert ground_truth_ranks(SCORES, GT).tolist() == [1, 4, 11]
    result = retrieval_metrics(SCORES, GT)
    assert result["r@1"] == pytest.approx(1 / 3)
    assert result["r@5"] == pytest.approx(2 / 3)
    assert result["r@10"] == pytest.approx(2 / 3)
    assert result["mean_rank"] == pytest.approx((1 + 4 + 11) / 3)
    assert result["mrr"] == pytest.approx((1 + 1 / 4 + 1 / 11) / 3)


def _keras_metrics():
    return {
        "r@1": RecallAtK(1),
        "r@5": RecallAtK(5),
        "r@10": RecallAtK(10),
        "mrr": MeanReciprocalRank(),
        "mean_rank": MeanRank(),
    }


def _brute_force(scores, gt, ks):
    """Each metric averaged over every order of the tied candidates."""
    totals = dict.fromkeys([*(f"r@{k}" for k in ks), "mean_rank", "mrr"], 0.0)
    for row, truth in zip(scores, gt, strict=True):
        others = np.delete(row, truth)
        greater = int(np.sum(others > row[truth]))
        tied = int(np.sum(others == row[truth]))
        # The ground truth is equally likely at each place within its ties.
        for rank in range(greater + 1, greater + tied + 2):
            for k in ks:
                totals[f"r@{k}"] += (rank <= k) / (tied + 1)
            totals["mean_rank"] += rank / (tied + 1)
            totals["mrr"] += 1 / rank / (tied + 1)
    return {name: total / len(scores) for name, total in totals.items()}


def test_ties_are_averaged():
    # 0.9 beats the ground truth; one other candidate ties it: rank 2 or 3.
    assert ground_truth_ranks([[0.5, 0.5, 0.9]], [1]).tolist() == [2.5]
    result = retrieval_metrics([[0.5, 0.5, 0.9]], [1], ks=(1, 2))
    assert result == pytest.approx(
        {"r@1": 0.0, "r@2": 0.5, "mean_rank": 2.5, "mrr": (1 / 2 + 1 / 3) / 2}
    )


@pytest.mark.parametrize("num_candidates", [1, 4, 100])
def test_constant_scores_are_chance_level(num_candidates):
    scores = np.zeros((5, num_candidates))
    gt = np.arange(5) % num_candidates
    harmonic = sum(1 / r for r in range(1, num_candidates + 1))
    chance = {
        "r@1": 1 / num_candidates,
        "r@5": min(5, num_candidates) / num_candidates,
        "r@10": min(10, num_candidates) / num_candidates,
        "mean_rank": (num_candidates + 1) / 2,
        "mrr": harmonic / num_candidates,
    }
    assert retrieval_metrics(scores, gt) == pytest.approx(chance)
    for name, metric in _keras_metrics().items():
        metric.update_state(gt, scores.astype("float32"))
        assert float(metric.result()) == pytest.approx(chance[name], rel=1e-5), name
    # With one relevant candidate, NDCG is R@1.
    relevance = np.eye(num_candidates)[gt]
    assert ndcg(scores, relevance) == pytest.approx(1 / num_candidates)


def test_numpy_and_keras_metrics_agree_on_many_ties(rng):
    scores = rng.integers(0, 3, size=(40, 12)).astype("float32")
    gt = rng.integers(0, 12, size=40)
    expected = retrieval_metrics(scores, gt)
    assert expected == pytest.approx(_brute_force(scores, gt, (1, 5, 10)))
    for name, metric in _keras_metrics().items():
        metric.update_state(gt[:15], scores[:15])
        metric.update_state(gt[15:], scores[15:])
        assert float(metric.result()) == pytest.approx(expected[name], rel=1e-5), name


def test_ndcg_averages_over_tie_orders():
    scores = np.array([[2.0, 1.0, 1.0, 1.0, 0.0]])
    relevance = np.array([[0.0, 1.0, 0.5, 0.0, 0.25]])
    values = []
    for order in itertools.permutations([1, 2, 3]):
        # Breaking the tie in `order` is what a tiny score offset does.
        broken = scores.copy()
        broken[0, list(order)] += [3e-3, 2e-3, 1e-3]
        values.append(ndcg(broken, relevance))
    assert ndcg(scores, relevance) == pytest.approx(np.mean(values))


def test_ndcg_by_hand():
    # Scores rank candidates c0, c1, c2, c3; relevance (0, 1, 0.5, 0): k = 2.
    scores = [[0.9, 0.8, 0.7, 0.1]]
    relevance = [[0.0, 1.0, 0.5, 0.0]]
    dcg = 0.0 / math.log2(2) + 1.0 / math.log2(3)
    idcg = 1.0 / math.log2(2) + 0.5 / math.log2(3)
    assert ndcg(scores, relevance) == pytest.approx(dcg / idcg)
    # A perfect ranking scores 1; a row without relevant answers is skipped.
    two_rows = [[0.1, 0.9, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]]
    assert ndcg(two_rows, [relevance[0], [0.0] * 4]) == pytest.approx(1.0)
    both = retrieval_metrics(scores, [1], relevance=relevance)
    assert both["ndcg"] == pytest.approx(dcg / idcg)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="`scores`"):
        ground_truth_ranks([0.1, 0.2], [0])
    with pytest.raises(ValueError, match="`gt_index`"):
        ground_truth_ranks([[0.1, 0.2]], [2])
    with pytest.raises(ValueError, match="`relevance`"):
        ndcg([[0.1, 0.2]], [[1.0]])
    with pytest.raises(ValueError, match="`k`"):
        RecallAtK(0)


def test_keras_metrics_match_numpy_over_batches(rng):
    scores = rng.normal(size=(30, 100)).astype("float32")
    gt = rng.integers(0, 100, size=30)
    expected = retrieval_metrics(scores, gt)
    for name, metric in _keras_metrics().items():
        metric.update_state(gt[:10], scores[:10])
        metric.update_state(gt[10:], scores[10:])
        assert float(metric.result()) == pytest.approx(expected[name], rel=1e-5), name
        clone = type(metric).from_config(metric.get_config())
        assert clone.name == metric.name
