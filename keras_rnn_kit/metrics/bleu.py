"""Corpus BLEU (via sacrebleu) and exact-match accuracy for generated text."""

import sacrebleu

from keras_rnn_kit.utils.validation import check_choice

TOKENIZE_MODES = ("auto", "13a", "zh", "intl", "char", "none")


def _check_corpora(hypotheses, references):
    for name, value in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"`{name}` must be a list of str, got {value!r}.")
    if len(hypotheses) != len(references):
        raise ValueError(
            "`hypotheses` and `references` must have the same length, got "
            f"{len(hypotheses)} and {len(references)}."
        )
    if not hypotheses:
        raise ValueError("`hypotheses` must not be empty, got [].")


def _has_cjk(texts):
    return any(
        "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
        for text in texts
        for char in text
    )


def corpus_bleu(hypotheses, references, tokenize="auto"):
    """Corpus-level BLEU (0–100) of `hypotheses` against one reference each.

    Computed by `sacrebleu` (Post 2018), so scores are comparable with published
    numbers. With `tokenize="auto"`, sacrebleu's `"zh"` tokenizer is used when the
    references contain Chinese characters and `"13a"` otherwise.

    Args:
        hypotheses: list of str, the system outputs.
        references: list of str, one reference per hypothesis.
        tokenize: `"auto"` or a sacrebleu tokenizer name (`"13a"`, `"zh"`,
            `"intl"`, `"char"`, `"none"`).

    Returns:
        float, the BLEU score in [0, 100].

    Example:

    >>> round(corpus_bleu(["three hundred twenty one"], ["three hundred twenty one"]))
    100

    Reference:
        Papineni et al., "BLEU: a Method for Automatic Evaluation of Machine
        Translation", ACL 2002; Post, "A Call for Clarity in Reporting BLEU
        Scores", WMT 2018.
    """
    _check_corpora(hypotheses, references)
    check_choice("tokenize", tokenize, TOKENIZE_MODES)
    if tokenize == "auto":
        tokenize = "zh" if _has_cjk(references) else "13a"
    return float(
        sacrebleu.corpus_bleu(
            list(hypotheses), [list(references)], tokenize=tokenize
        ).score
    )


def exact_match(hypotheses, references, strip=True):
    """Share (0–1) of hypotheses equal to their reference.

    Args:
        hypotheses: list of str.
        references: list of str, same length.
        strip: bool, compare with surrounding whitespace removed and inner runs of
            whitespace collapsed.

    Returns:
        float in [0, 1].

    Example:

    >>> exact_match(["one hundred", "two"], ["one  hundred", "three"])
    0.5
    """
    _check_corpora(hypotheses, references)

    def norm(text):
        return " ".join(text.split()) if strip else text

    hits = sum(norm(h) == norm(r) for h, r in zip(hypotheses, references, strict=True))
    return hits / len(hypotheses)
