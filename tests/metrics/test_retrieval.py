"""Tests for keras_rnn_kit/metrics/retrieval.py (hand-computed values)."""

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


def test_ranks_and_all_metrics_by_hand():
    assert ground_truth_ranks(SCORES, GT).tolist() == [1, 4, 11]
    result = retrieval_metrics(SCORES, GT)
    assert result["r@1"] == pytest.approx(1 / 3)
    assert result["r@5"] == pytest.approx(2 / 3)
    assert result["r@10"] == pytest.approx(2 / 3)
    assert result["mean_rank"] == pytest.approx((1 + 4 + 11) / 3)
    assert result["mrr"] == pytest.approx((1 + 1 / 4 + 1 / 11) / 3)


def test_ties_count_in_favour_of_the_ground_truth():
    assert ground_truth_ranks([[0.5, 0.5, 0.9]], [1]).tolist() == [2]


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
    metrics = {
        "r@1": RecallAtK(1),
        "r@5": RecallAtK(5),
        "r@10": RecallAtK(10),
        "mrr": MeanReciprocalRank(),
        "mean_rank": MeanRank(),
    }
    for name, metric in metrics.items():
        metric.update_state(gt[:10], scores[:10])
        metric.update_state(gt[10:], scores[10:])
        assert float(metric.result()) == pytest.approx(expected[name], rel=1e-5), name
        clone = type(metric).from_config(metric.get_config())
        assert clone.name == metric.name
