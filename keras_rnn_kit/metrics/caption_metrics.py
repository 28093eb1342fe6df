"""Caption metrics: BLEU-1..4 over several references, and CIDEr-D.

`caption_bleu` uses sacrebleu (Post 2018) with `max_ngram_order=n` and no
smoothing, which is the cumulative BLEU-n of the COCO caption evaluation
(closest reference length for the brevity penalty). `cider_d` re-implements
CIDEr-D as in `pycocoevalcap/cider/cider_scorer.py` (tf-idf weighted n-gram
vectors, n = 1..4, clipped similarity, a Gaussian length penalty with
sigma = 6, scaled by 10), so no Java is needed. Both lower-case and split on
whitespace after removing punctuation, instead of the Java PTB tokenizer the
COCO toolkit runs first, so scores on raw COCO text can differ slightly.
"""

import collections
import math
import re

import sacrebleu

from keras_rnn_kit.utils.validation import check_positive_int

_PUNCTUATION = re.compile(r"[^\w\s]")


def tokenize_caption(text: str) -> list[str]:
    """Lower-cases, drops punctuation, splits on whitespace.

    Example:

    >>> tokenize_caption("A red circle, left of a Square.")
    ['a', 'red', 'circle', 'left', 'of', 'a', 'square']
    """
    if not isinstance(text, str):
        raise TypeError(f"captions must be str, got {text!r} ({type(text).__name__}).")
    return _PUNCTUATION.sub(" ", text.lower()).split()


def _check(hypotheses, references):
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(
            "`hypotheses` and `references` must be non-empty and of the same length, "
            f"got {len(hypotheses)} and {len(references)}."
        )
    for index, refs in enumerate(references):
        if isinstance(refs, str) or not refs:
            raise ValueError(
                f"`references[{index}]` must be a non-empty list of captions, got "
                f"{refs!r}."
            )


def caption_bleu(hypotheses, references, max_order: int = 4) -> dict:
    """Corpus BLEU-1 .. BLEU-`max_order` (0-1 scale, as COCO reports them).

    Args:
        hypotheses: list of generated captions.
        references: list of lists of reference captions (any number per image).
        max_order: int in [1, 4].

    Returns:
        Dict `{"bleu_1": ..., "bleu_n": ...}`.

    Example:

    >>> scores = caption_bleu(["a red circle"], [["a red circle", "a circle"]])
    >>> round(scores["bleu_1"], 6)
    1.0
    """
    _check(hypotheses, references)
    check_positive_int("max_order", max_order)
    if max_order > 4:
        raise ValueError(f"`max_order` must be at most 4, got {max_order}.")
    hyps = [" ".join(tokenize_caption(h)) for h in hypotheses]
    width = max(len(refs) for refs in references)
    # sacrebleu takes one stream per reference slot; None marks a missing one.
    streams = [
        [
            " ".join(tokenize_caption(refs[k])) if k < len(refs) else None
            for refs in references
        ]
        for k in range(width)
    ]
    results = {}
    for order in range(1, max_order + 1):
        bleu = sacrebleu.metrics.BLEU(
            max_ngram_order=order,
            smooth_method="none",
            tokenize="none",
            effective_order=False,
        )
        results[f"bleu_{order}"] = bleu.corpus_score(hyps, streams).score / 100.0
    return results


def _ngram_counts(tokens, n_max=4):
    counts = collections.Counter()
    for n in range(1, n_max + 1):
        for i in range(len(tokens) - n + 1):
            counts[tuple(tokens[i : i + n])] += 1
    return counts


def cider_d(hypotheses, references, sigma: float = 6.0) -> tuple[float, list[float]]:
    """CIDEr-D (Vedantam et al. 2015) as computed by the COCO caption toolkit.

    For each n in 1..4, captions become vectors of `count(g) * (log(N) -
    log(max(1, df(g))))` over n-grams g, where N is the number of images and
    df(g) the number of images whose references contain g. The similarity of
    a hypothesis h to a reference r sums `min(h_g, r_g) * r_g` over g, divides
    by both norms and multiplies by `exp(-(len_h - len_r)^2 / (2 sigma^2))`;
    the score averages over n and over references, times 10. As in the
    toolkit, "length" counts bigrams (tokens - 1).

    Args:
        hypotheses: list of generated captions, one per image.
        references: list of lists of reference captions.
        sigma: float > 0, width of the length penalty.

    Returns:
        `(corpus_score, per_image_scores)`: the mean and the list.

    Example:

    >>> score, _ = cider_d(["a red circle", "a blue square"],
    ...                    [["a red circle"], ["a blue square"]])
    >>> round(score, 3)  # only "a" is shared: the rest weighs log(2) each
    7.5

    Reference:
        Vedantam, Zitnick & Parikh, "CIDEr: Consensus-based Image Description
        Evaluation", CVPR 2015.
    """
    _check(hypotheses, references)
    if not sigma > 0:
        raise ValueError(f"`sigma` must be > 0, got {sigma!r}.")
    hyp_counts = [_ngram_counts(tokenize_caption(h)) for h in hypotheses]
    ref_counts = [
        [_ngram_counts(tokenize_caption(r)) for r in refs] for refs in references
    ]
    document_frequency = collections.Counter()
    for refs in ref_counts:
        document_frequency.update({g for counts in refs for g in counts})
    log_images = math.log(float(len(references)))

    def to_vector(counts):
        vector = [{} for _ in range(4)]
        norms = [0.0] * 4
        length = 0
        for gram, tf in counts.items():
            n = len(gram) - 1
            weight = tf * (log_images - math.log(max(1.0, document_frequency[gram])))
            vector[n][gram] = weight
            norms[n] += weight * weight
            if n == 1:
                length += tf
        return vector, [math.sqrt(x) for x in norms], length

    scores = []
    for hyp, refs in zip(hyp_counts, ref_counts, strict=True):
        h_vec, h_norm, h_len = to_vector(hyp)
        total = 0.0
        for ref in refs:
            r_vec, r_norm, r_len = to_vector(ref)
            penalty = math.exp(-((h_len - r_len) ** 2) / (2.0 * sigma**2))
            for n in range(4):
                value = sum(
                    min(w, r_vec[n].get(g, 0.0)) * r_vec[n].get(g, 0.0)
                    for g, w in h_vec[n].items()
                )
                if h_norm[n] != 0 and r_norm[n] != 0:
                    value /= h_norm[n] * r_norm[n]
                total += value * penalty / 4.0
        scores.append(10.0 * total / len(refs))
    return sum(scores) / len(scores), scores
