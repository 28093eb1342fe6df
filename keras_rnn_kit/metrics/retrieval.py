"""Retrieval metrics for ranking candidate answers (Visual Dialog, Das et al. 2017).

A discriminative dialog model scores every candidate answer; the metrics look at
where the ground-truth answer lands when the candidates are sorted by score
(rank 1 = best): recall@k, mean rank, mean reciprocal rank, and NDCG over dense
relevance annotations as defined by the VisDial v1.0 evaluation.

Tied scores are averaged: every metric is its expected value when the ties are
broken uniformly at random (McSherry & Najork 2008). The official VisDial
evaluation sorts the scores and reads the ground truth's position, so it breaks
ties by whatever order the sort leaves them in; the average is that number's
expectation, independent of candidate order. A model that gives every one of `N`
candidates the same score therefore scores exactly chance: R@1 = `1 / N`, mean
rank `(N + 1) / 2`, MRR `H_N / N`. (Counting ties in the ground truth's favour
gave it R@1 = MRR = 1; counting them against it would put it below chance.) The
numpy functions and the in-graph Keras metrics apply the same rule.

Reference:
    Das et al. 2017, "Visual Dialog".
    McSherry & Najork 2008, "Computing Information Retrieval Performance
    Measures Efficiently in the Presence of Tied Scores".
"""

import keras
import numpy as np
from keras import ops

from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank


def _check_scores(scores, gt_index=None, relevance=None):
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(
            "`scores` must have rank 2 (batch, num_candidates), got shape "
            f"{scores.shape}."
        )
    if gt_index is not None:
        gt_index = np.asarray(gt_index)
        if gt_index.shape != (scores.shape[0],):
            raise ValueError(
                f"`gt_index` must have shape ({scores.shape[0]},), got "
                f"{gt_index.shape}."
            )
        if gt_index.min() < 0 or gt_index.max() >= scores.shape[1]:
            raise ValueError(
                f"`gt_index` must lie in [0, {scores.shape[1]}), got values in "
                f"[{gt_index.min()}, {gt_index.max()}]."
            )
    if relevance is not None:
        relevance = np.asarray(relevance, dtype=np.float64)
        if relevance.shape != scores.shape:
            raise ValueError(
                f"`relevance` must have the shape of `scores` {scores.shape}, got "
                f"{relevance.shape}."
            )
    return scores, gt_index, relevance


def _rank_probabilities(scores, gt_index):
    """`(batch, num_candidates)`: P(ground truth at rank `r + 1`) over tie orders."""
    gt_scores = scores[np.arange(len(scores)), gt_index][:, None]
    greater = np.sum(scores > gt_scores, axis=1, keepdims=True)
    tied = np.sum(scores == gt_scores, axis=1, keepdims=True)
    positions = np.arange(1, scores.shape[1] + 1)
    inside = (positions > greater) & (positions <= greater + tied)
    return inside / tied


def ground_truth_ranks(scores, gt_index) -> np.ndarray:
    """Returns the 1-based rank of each ground-truth candidate, ties averaged.

    Rank = 1 + the number of candidates scored strictly higher + half the
    number of other candidates scored the same: the expected rank when ties are
    broken at random.

    Args:
        scores: `(batch, num_candidates)` scores, higher is better.
        gt_index: `(batch,)` int, the ground-truth candidate of each row.

    Returns:
        `(batch,)` float array of ranks in `[1, num_candidates]`.

    Example:

    >>> ground_truth_ranks([[0.1, 0.7, 0.2], [0.5, 0.5, 0.5]], [2, 0]).tolist()
    [2.0, 2.0]
    """
    scores, gt_index, _ = _check_scores(scores, gt_index)
    probabilities = _rank_probabilities(scores, gt_index)
    return probabilities @ np.arange(1.0, scores.shape[1] + 1)


def ndcg(scores, relevance) -> float:
    """NDCG as in the VisDial v1.0 evaluation, averaged over rows.

    For each row, `k` = number of candidates with non-zero relevance;
    `DCG@k = sum_{i<=k} rel(i-th ranked) / log2(i + 1)` over the candidates
    sorted by score; the result is `DCG@k / IDCG@k`, the ideal ordering sorting
    by relevance. Candidates with tied scores share the mean discount of the
    positions they occupy (the expected DCG over random tie orders). Rows with
    no relevant candidate are skipped.

    Args:
        scores: `(batch, num_candidates)` predicted scores.
        relevance: `(batch, num_candidates)` relevance in `[0, 1]` (VisDial:
            fraction of annotators who accepted each candidate).

    Returns:
        Float in `[0, 1]` (NaN if no row has a relevant candidate).

    Example:

    >>> round(ndcg([[0.9, 0.5, 0.1]], [[0.0, 1.0, 0.5]]), 4)
    0.4796
    >>> round(ndcg([[0.5, 0.5]], [[1.0, 0.0]]), 4)  # the tie costs half a place
    0.5
    """
    scores, _, relevance = _check_scores(scores, relevance=relevance)
    values = []
    for row_scores, row_relevance in zip(scores, relevance, strict=True):
        k = int(np.sum(row_relevance != 0))
        if k == 0:
            continue
        positions = np.arange(len(row_scores))
        discounts = np.where(positions < k, 1.0 / np.log2(positions + 2.0), 0.0)
        order = np.argsort(-row_scores, kind="stable")
        # Tie groups of the sorted scores; each member gets the group's mean.
        groups = np.concatenate([[0], np.cumsum(np.diff(row_scores[order]) != 0)])
        shared = np.bincount(groups, discounts) / np.bincount(groups)
        dcg = np.sum(row_relevance[order] * shared[groups])
        ideal = np.sort(row_relevance)[::-1]
        values.append(dcg / np.sum(ideal * discounts))
    return float(np.mean(values)) if values else float("nan")


def retrieval_metrics(scores, gt_index, relevance=None, ks=(1, 5, 10)) -> dict:
    """All VisDial retrieval metrics in one call, ties averaged.

    Args:
        scores: `(batch, num_candidates)` scores, higher is better.
        gt_index: `(batch,)` int, the ground-truth candidate of each row.
        relevance: optional `(batch, num_candidates)` dense relevance for NDCG.
        ks: the `k` of each recall@k.

    Returns:
        Dict with `"r@k"` for each `k`, `"mean_rank"`, `"mrr"` and, with
        `relevance`, `"ndcg"`.

    Example:

    >>> retrieval_metrics([[0.1, 0.7, 0.2], [0.3, 0.2, 0.1]], [2, 0], ks=(1,))
    {'r@1': 0.5, 'mean_rank': 1.5, 'mrr': 0.75}
    >>> retrieval_metrics([[0.0, 0.0, 0.0, 0.0]], [1], ks=(1,))  # chance level
    {'r@1': 0.25, 'mean_rank': 2.5, 'mrr': 0.5208333333333333}
    """
    scores, gt_index, _ = _check_scores(scores, gt_index)
    probabilities = _rank_probabilities(scores, gt_index)
    positions = np.arange(1.0, scores.shape[1] + 1)
    results = {
        f"r@{check_positive_int('ks', k)}": float(
            np.mean(np.sum(probabilities[:, :k], axis=1))
        )
        for k in ks
    }
    results["mean_rank"] = float(np.mean(probabilities @ positions))
    results["mrr"] = float(np.mean(probabilities @ (1.0 / positions)))
    if relevance is not None:
        results["ndcg"] = ndcg(scores, relevance)
    return results


def _in_graph_rank_probabilities(y_true, y_pred):
    """In-graph `_rank_probabilities`, plus the `(batch, num_candidates)` ranks."""
    y_pred = ops.convert_to_tensor(y_pred)
    check_rank("y_pred", y_pred.shape, 2, "(batch, num_candidates)")
    y_true = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
    gt_scores = ops.take_along_axis(y_pred, y_true, axis=1)
    greater = ops.sum(ops.cast(y_pred > gt_scores, "float32"), axis=1, keepdims=True)
    tied = ops.sum(ops.cast(y_pred == gt_scores, "float32"), axis=1, keepdims=True)
    positions = ops.cumsum(ops.ones_like(y_pred, dtype="float32"), axis=1)
    inside = ops.logical_and(positions > greater, positions <= greater + tied)
    return ops.cast(inside, "float32") / tied, positions


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class RecallAtK(keras.metrics.Mean):
    """Fraction of rows whose ground-truth candidate ranks in the top `k`.

    Ties are averaged: a row whose ground truth ties with others at the `k`-th
    place counts the chance that a random tie order keeps it in the top `k`.

    Args:
        k: int > 0.
        name: metric name, default `"r@{k}"`.
        dtype: metric dtype.

    Call arguments (of `update_state`):
        y_true: `(batch,)` int ground-truth candidate index.
        y_pred: `(batch, num_candidates)` scores.
        sample_weight: optional `(batch,)` weights.

    Example:

    >>> metric = RecallAtK(1)
    >>> metric.update_state([2, 0], [[0.1, 0.7, 0.2], [0.3, 0.2, 0.1]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, k=1, name=None, dtype=None):
        self.k = check_positive_int("k", k)
        super().__init__(name=name or f"r@{k}", dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        probabilities, positions = _in_graph_rank_probabilities(y_true, y_pred)
        hit = ops.sum(probabilities * ops.cast(positions <= self.k, "float32"), axis=1)
        return super().update_state(hit, sample_weight=sample_weight)

    def get_config(self):
        return {"k": self.k, "name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class MeanReciprocalRank(keras.metrics.Mean):
    """Mean of `1 / rank` of the ground-truth candidate, ties averaged.

    Args:
        name: metric name.
        dtype: metric dtype.

    Call arguments (of `update_state`):
        y_true: `(batch,)` int ground-truth candidate index.
        y_pred: `(batch, num_candidates)` scores.
        sample_weight: optional `(batch,)` weights.

    Example:

    >>> metric = MeanReciprocalRank()
    >>> metric.update_state([2, 0], [[0.1, 0.7, 0.2], [0.3, 0.2, 0.1]])
    >>> float(metric.result())
    0.75
    """

    def __init__(self, name="mrr", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        probabilities, positions = _in_graph_rank_probabilities(y_true, y_pred)
        reciprocal = ops.sum(probabilities / positions, axis=1)
        return super().update_state(reciprocal, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class MeanRank(keras.metrics.Mean):
    """Mean 1-based rank of the ground-truth candidate (lower is better).

    Ties are averaged: the rank is the expected one over random tie orders.

    Args:
        name: metric name.
        dtype: metric dtype.

    Call arguments (of `update_state`):
        y_true: `(batch,)` int ground-truth candidate index.
        y_pred: `(batch, num_candidates)` scores.
        sample_weight: optional `(batch,)` weights.

    Example:

    >>> metric = MeanRank()
    >>> metric.update_state([2, 0], [[0.1, 0.7, 0.2], [0.3, 0.2, 0.1]])
    >>> float(metric.result())
    1.5
    """

    def __init__(self, name="mean_rank", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        probabilities, positions = _in_graph_rank_probabilities(y_true, y_pred)
        ranks = ops.sum(probabilities * positions, axis=1)
        return super().update_state(ranks, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
