"""A generated zh→en task with one right answer per input: numbers 0–9999.

Every integer `n` in [0, 9999] is written in Chinese characters (the source) and
in English words (the target)::

    321   三百二十一        three hundred twenty one
    1010  一千零一十        one thousand ten
    2005  二千零五          two thousand five

Chinese follows the standard reading: `十` alone for 10–19 at the start of the
number (`十五`), `一十` after a higher unit (`一百一十`), one `零` for every run of
zeros between non-zero digits, trailing zeros unspoken, and `二` (not `两`)
before every unit so each number has exactly one form. English uses no "and" and
no hyphens. `number_translation_splits` holds out whole numbers, so a model that
scores on the held-out split has learned the composition, not memorised it.
"""

import random

from keras_rnn_kit.utils.validation import check_non_negative_int

MAX_NUMBER = 9999
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _check_number(n) -> int:
    n = check_non_negative_int("n", n)
    if n > MAX_NUMBER:
        raise ValueError(f"`n` must be an integer in [0, {MAX_NUMBER}], got {n}.")
    return n


def number_to_chinese(n: int) -> str:
    """Returns `n` (0–9999) in Chinese characters, e.g. `1010 -> "一千零一十"`."""
    n = _check_number(n)
    if n == 0:
        return _ZH_DIGITS[0]
    parts, rest, pending_zero = [], n, False
    for value, unit in _ZH_UNITS:
        digit, rest = divmod(rest, value)
        if digit:
            if pending_zero:
                parts.append(_ZH_DIGITS[0])
            if not (value == 10 and digit == 1 and not parts):
                parts.append(_ZH_DIGITS[digit])
            parts.append(unit)
            pending_zero = False
        elif parts:
            pending_zero = True
    if rest:
        if pending_zero:
            parts.append(_ZH_DIGITS[0])
        parts.append(_ZH_DIGITS[rest])
    return "".join(parts)


def _english_below_100(n: int) -> list[str]:
    if n < 20:
        return [_EN_ONES[n]]
    tens, ones = divmod(n, 10)
    return [_EN_TENS[tens]] + ([_EN_ONES[ones]] if ones else [])


def number_to_english(n: int) -> str:
    """Returns `n` (0–9999) in English words, e.g. `1010 -> "one thousand ten"`."""
    n = _check_number(n)
    if n == 0:
        return _EN_ONES[0]
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    words = []
    if thousands:
        words += [_EN_ONES[thousands], "thousand"]
    if hundreds:
        words += [_EN_ONES[hundreds], "hundred"]
    if rest:
        words += _english_below_100(rest)
    return " ".join(words)


def number_translation_splits(
    held_out_fraction: float = 0.1, seed: int = 0, max_number: int = MAX_NUMBER
) -> dict[str, tuple[list[str], list[str]]]:
    """Splits the numbers 0..max_number into train and held-out translation pairs.

    The numbers are shuffled with `random.Random(seed)` and the first
    `round(held_out_fraction * count)` are held out; no number appears in both.

    Args:
        held_out_fraction: float in (0, 1), share of numbers held out.
        seed: int, the shuffle seed (the split is identical for the same seed).
        max_number: int in [1, 9999], the largest number used.

    Returns:
        `{"train": (sources, targets), "held_out": (sources, targets)}`, where
        sources are Chinese strings and targets English strings.

    Example:

    >>> splits = number_translation_splits(held_out_fraction=0.1, seed=0)
    >>> len(splits["train"][0]), len(splits["held_out"][0])
    (9000, 1000)
    """
    if isinstance(held_out_fraction, bool) or not isinstance(
        held_out_fraction, int | float
    ):
        raise ValueError(
            "`held_out_fraction` must be a float in (0, 1), got "
            f"{held_out_fraction!r} ({type(held_out_fraction).__name__})."
        )
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(
            f"`held_out_fraction` must be a float in (0, 1), got {held_out_fraction!r}."
        )
    max_number = check_non_negative_int("max_number", max_number)
    if not 1 <= max_number <= MAX_NUMBER:
        raise ValueError(
            f"`max_number` must be an integer in [1, {MAX_NUMBER}], got {max_number}."
        )
    numbers = list(range(max_number + 1))
    random.Random(seed).shuffle(numbers)
    held_out_count = max(1, round(held_out_fraction * len(numbers)))
    if held_out_count >= len(numbers):
        raise ValueError(
            f"`held_out_fraction={held_out_fraction}` leaves no training numbers out "
            f"of {len(numbers)}."
        )

    def pairs(subset):
        return [number_to_chinese(n) for n in subset], [
            number_to_english(n) for n in subset
        ]

    return {
        "train": pairs(numbers[held_out_count:]),
        "held_out": pairs(numbers[:held_out_count]),
    }
