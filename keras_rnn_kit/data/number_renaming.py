"""More training pairs for numbers a model must copy: the same pairs, numbers renamed.

In `这座桥建于1956年。` -> `This bridge was built in 1956.` or `人民币3450元` ->
`RMB 3,450` the number crosses over unchanged: whatever its value, the target
writes the source's digits. A model that learns this from a thousand pairs still
meets numbers at test time that it never saw, and unseen digits around a word it
must *read* (the `5` of `2097年5月8日` -> `May 8, 2097`) throw it off. Renaming
the copied numbers, the same way on both sides (`1956` -> `7302` everywhere in
the pair), gives a pair that is just as right and teaches that the rest of the
sentence does not depend on their values.

A number (a run of ASCII digits) is copied when it occurs as often in the source
as in the target, where the target may group it with commas (`3450` and
`3,450`). Numbers the target does not write (`5月` -> `May`) stay as they are;
a pair where a number occurs a different number of times on the two sides is
ambiguous and gets no copy. A new number has the old one's length, does not
start with `0` unless the old one did, and holds only digits that occur in the
pairs given (a vocabulary built from them knows every digit of the copies).

Reference: data augmentation by consistent substitution, as in Jia & Liang,
"Data Recombination for Neural Semantic Parsing", ACL 2016.
"""

import collections
import random
import re

from keras_rnn_kit.utils.validation import check_non_negative_int

NUMBER = re.compile("[0-9]+")
# A number as a target may write it: digits, possibly grouped by commas.
WRITTEN_NUMBER = re.compile("[0-9]+(?:,[0-9]{3})*")


def copied_numbers(source: str, target: str) -> list[str] | None:
    """The numbers `target` copies from `source`, or None if the pair is ambiguous.

    Example:

    >>> copied_numbers("2097年5月8日", "May 8, 2097")
    ['2097', '8']
    >>> copied_numbers("人民币3450元", "RMB 3,450"), copied_numbers("5月5日", "May 5")
    (['3450'], None)
    """
    in_source = collections.Counter(NUMBER.findall(source))
    in_target = collections.Counter(
        number.replace(",", "") for number in WRITTEN_NUMBER.findall(target)
    )
    copied = []
    for number, count in in_source.items():
        if in_target[number] not in (0, count):
            return None
        if in_target[number]:
            copied.append(number)
    return copied


def renamed_number_copies(
    sources: list[str], targets: list[str], copies: int = 1, seed: int = 0
) -> tuple[list[str], list[str]]:
    """`copies` new pairs from every pair that copies a number, numbers renamed.

    Args:
        sources, targets: parallel lists of strings.
        copies: int >= 0, new pairs made from each pair that copies a number.
        seed: int, seeds a generator of its own (the global state is untouched).

    Returns:
        `(new_sources, new_targets)`: only the new pairs, in the order of the pairs
        they come from.

    Raises:
        ValueError: `copies` is negative, or the lists differ in length.

    Example:

    >>> renamed_number_copies(["人民币3450元", "5月"], ["RMB 3,450", "May"])
    (['人民币4504元'], ['RMB 4,504'])
    """
    check_non_negative_int("copies", copies)
    if len(sources) != len(targets):
        raise ValueError(
            "`sources` and `targets` must hold the same number of sentences, got "
            f"{len(sources)} and {len(targets)}."
        )
    rng = random.Random(seed)
    # Only digits the pairs hold, so their vocabulary covers the copies too.
    digits = "".join(sorted(set(re.findall("[0-9]", "".join(sources + targets)))))
    new_sources, new_targets = [], []
    for source, target in zip(sources, targets, strict=True):
        numbers = copied_numbers(source, target)
        if not numbers:
            continue
        for _ in range(copies):
            names = {number: _new_number(rng, number, digits) for number in numbers}
            new_sources.append(_renamed(NUMBER, source, names))
            new_targets.append(_renamed(WRITTEN_NUMBER, target, names))
    return new_sources, new_targets


def _new_number(rng, number, digits):
    """A random string of `digits` as long as `number`, led by `0` only if it is."""
    first = "0" if number[0] == "0" else rng.choice(digits.replace("0", ""))
    return first + "".join(rng.choice(digits) for _ in number[1:])


def _renamed(pattern, text, names):
    """`text` with each `pattern` match that `names` renames (commas ignored)
    rewritten digit by digit, so `3,450` -> `7,302` keeps its comma."""

    def rename(match):
        new = names.get(match[0].replace(",", ""))
        if new is None:
            return match[0]
        digits = iter(new)
        return "".join(char if char == "," else next(digits) for char in match[0])

    return pattern.sub(rename, text)
