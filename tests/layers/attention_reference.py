"""Numpy references for the attention layers (equations in their docstrings)."""

import numpy as np


def masked_softmax(scores, mask):
    scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(-1, keepdims=True)


def attend(scores, memory, mask):
    """`scores` `(batch, target, source)` -> (context, weights)."""
    weights = masked_softmax(scores, mask[:, None, :])
    return np.einsum("bts,bsd->btd", weights, memory), weights


def bahdanau_scores(query, memory, query_kernel, memory_kernel, bias, score_kernel):
    # e_{t,s} = v . tanh(q_t W_q + m_s W_m + b)
    q = query @ query_kernel  # (batch, target, units)
    m = memory @ memory_kernel + bias  # (batch, source, units)
    return np.tanh(q[:, :, None, :] + m[:, None, :, :]) @ score_kernel


def luong_scores(query, memory, kernel=None, scale=False):
    # dot: q_t . m_s; general: q_t . (m_s W_a)
    keys = memory if kernel is None else memory @ kernel
    scores = np.einsum("btd,bsd->bts", query, keys)
    return scores / np.sqrt(query.shape[-1]) if scale else scores
