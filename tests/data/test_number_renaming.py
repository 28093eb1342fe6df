"""Tests for keras_rnn_kit.data.number_renaming."""

import re

import pytest

from keras_rnn_kit.data.number_renaming import copied_numbers
from keras_rnn_kit.data.number_renaming import renamed_number_copies

SOURCES = [
    "人民币3450元",  # copied, grouped by a comma in the target
    "这座桥建于1956年。",
    "2097年5月8日",  # the year and the day are copied, the month is read
    "下午3点5分",  # the hour is copied, the minute is written 05
    "增长了0.5%",  # copied, one number starts with 0
    "5月5日",  # ambiguous: two 5s in the source, one in the target
    "你好",  # no numbers
    "五月",
]
TARGETS = [
    "RMB 3,450",
    "This bridge was built in 1956.",
    "May 8, 2097",
    "3:05 p.m.",
    "grew by 0.5%",
    "May 5",
    "Hello",
    "May",
]
COPIED = [["3450"], ["1956"], ["2097", "8"], ["3"], ["0", "5"], None, [], []]


def _renames(original, renamed):
    """`{old number: new number}` between two texts alike but for their digits."""
    assert re.sub("[0-9]", "#", original) == re.sub("[0-9]", "#", renamed)
    pairs = zip(
        re.findall("[0-9,]+", original), re.findall("[0-9,]+", renamed), strict=True
    )
    names = {}
    for old, new in pairs:
        old, new = old.replace(",", ""), new.replace(",", "")
        assert names.setdefault(old, new) == new, f"{old} renamed two ways"
    return names


def test_copied_numbers_and_ambiguous_pairs():
    assert [copied_numbers(s, t) for s, t in zip(SOURCES, TARGETS, strict=True)] == (
        COPIED
    )


def test_copies_rename_copied_numbers_alike_on_both_sides():
    copies = 3
    new_sources, new_targets = renamed_number_copies(SOURCES, TARGETS, copies, seed=4)
    originals = [i for i, numbers in enumerate(COPIED) if numbers for _ in "abc"]
    assert len(new_sources) == len(new_targets) == len(originals)
    for i, source, target in zip(originals, new_sources, new_targets, strict=True):
        source_names = _renames(SOURCES[i], source)
        target_names = _renames(TARGETS[i], target)
        for number in COPIED[i]:
            # One new name per copied number, the same on both sides, as long and
            # led by 0 only if the old one was.
            new = source_names[number]
            assert target_names[number] == new and len(new) == len(number)
            assert (new[0] == "0") == (number[0] == "0")
        for number, new in source_names.items():
            if number not in COPIED[i]:
                assert new == number  # read, not copied: the month, the minute
    # Commas stay where the target put them; the copies differ.
    amounts = new_targets[:copies]
    assert all(re.fullmatch("RMB [1-9],[0-9]{3}", amount) for amount in amounts)
    assert len(set(amounts)) == copies and TARGETS[0] not in amounts


def test_new_digits_are_digits_the_pairs_hold():
    sources, targets = (
        ["共有47名学生。", "共有7只猫。"],
        ["There are 47 students.", "There are 7 cats."],
    )
    new_sources, new_targets = renamed_number_copies(sources, targets, 20, seed=0)
    assert set(re.findall("[0-9]", "".join(new_sources + new_targets))) == {"4", "7"}


def test_seeded_and_zero_copies():
    first = renamed_number_copies(SOURCES, TARGETS, 2, seed=9)
    assert renamed_number_copies(SOURCES, TARGETS, 2, seed=9) == first
    assert renamed_number_copies(SOURCES, TARGETS, 2, seed=10) != first
    assert renamed_number_copies(SOURCES, TARGETS, 0) == ([], [])


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="`copies`"):
        renamed_number_copies(SOURCES, TARGETS, -1)
    with pytest.raises(ValueError, match="got 8 and 7"):
        renamed_number_copies(SOURCES, TARGETS[:7])
