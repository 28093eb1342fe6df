"""Retrieval metrics for ranking candidate answers (Visual Dialog, Das et al. 2017).

A discriminative dialog model scores every candidate answer; the metrics look at
where the ground-truth answer lands when the candidates are sorted by score
(rank 1 = best): recall@k, mean rank, mean reciprocal rank, and NDCG over dense
relevance annotations as defined by the VisDial v1.0 evaluation.
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


def ground_truth_ranks(scores, gt_index) -> np.ndarray:
    """Returns the 1-based rank of each ground-truth candidate.

    Rank = 1 + the number of candidates scored strictly higher; ties are
    resolved in the ground truth's favour.

    Args:
        scores: `(batch, num_candidates)` scores, higher is better.
        gt_index: `(batch,)` int, the ground-truth candidate of each row.

    Returns:
        `(batch,)` int array of ranks in `[1, num_candidates]`.

    Example:

    >>> ground_truth_ranks([[0.1, 0.7, 0.2]], [2]).tolist()
    [2]
    """
    scores, gt_index, _ = _check_scores(scores, gt_index)
    gt_scores = scores[np.arange(len(scores)), gt_index][:, None]
    return 1 + np.sum(scores > gt_scores, axis=1)


def ndcg(scores, relevance) -> float:
    """NDCG as in the VisDial v1.0 evaluation, averaged over rows.

    For each row, `k` = number of candidates with non-zero relevance;
    `DCG@k = sum_{i<=k} rel(i-th ranked) / log2(i + 1)` over the candidates
    sorted by score; the result is `DCG@k / IDCG@k`, the ideal ordering sorting
    by relevance. Rows with no relevant candidate are skipped.

    Args:
        scores: `(batch, num_candidates)` predicted scores.
        relevance: `(batch, num_candidates)` relevance in `[0, 1]` (VisDial:
            fraction of annotators who accepted each candidate).

    Returns:
        Float in `[0, 1]` (NaN if no row has a relevant candidate).

    Example:

    >>> round(ndcg([[0.9, 0.5, 0.1]], [[0.0, 1.0, 0.5]]), 4)
    0.4796
    """
    scores, _, relevance = _check_scores(scores, relevance=relevance)
    values = []
    for row_scores, row_relevance in zip(scores, relevance, strict=True):
        k = int(np.sum(row_relevance != 0))
        if k == 0:
            continue
        discounts = np.log2(np.arange(k) + 2.0)
        ranked = row_relevance[np.argsort(-row_scores, kind="stable")[:k]]
        ideal = np.sort(row_relevance)[::-1][:k]
        values.append(np.sum(ranked / discounts) / np.sum(ideal / discounts))
    return float(np.mean(values)) if values else float("nan")


def retrieval_metrics(scores, gt_index, relevance=None, ks=(1, 5, 10)) -> dict:
    """All VisDial retrieval metrics in one call.

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
    """
    ranks = ground_truth_ranks(scores, gt_index)
    results = {
        f"r@{check_positive_int('ks', k)}": float(np.mean(ranks <= k)) for k in ks
    }
    results["mean_rank"] = float(np.mean(ranks))
    results["mrr"] = float(np.mean(1.0 / ranks))
    if relevance is not None:
        results["ndcg"] = ndcg(scores, relevance)
    return results


def _in_graph_ranks(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    check_rank("y_pred", y_pred.shape, 2, "(batch, num_candidates)")
    y_true = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
    gt_scores = ops.take_along_axis(y_pred, y_true, axis=1)
    return 1.0 + ops.sum(ops.cast(y_pred > gt_scores, "float32"), axis=1)


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class RecallAtK(keras.metrics.Mean):
    """Fraction of rows whose ground-truth candidate ranks in the top `k`.

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
        ranks = _in_graph_ranks(y_true, y_pred)
        hit = ops.cast(ranks <= self.k, "float32")
        return super().update_state(hit, sample_weight=sample_weight)

    def get_config(self):
        return {"k": self.k, "name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class MeanReciprocalRank(keras.metrics.Mean):
    """Mean of `1 / rank` of the ground-truth candidate.

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
        ranks = _in_graph_ranks(y_true, y_pred)
        return super().update_state(1.0 / ranks, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class MeanRank(keras.metrics.Mean):
    """Mean 1-based rank of the ground-truth candidate (lower is better).

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
        ranks = _in_graph_ranks(y_true, y_pred)
        return super().update_state(ranks, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
