import pytest

from keras_rnn_kit.data.number_translation import number_to_chinese
from keras_rnn_kit.data.number_translation import number_to_english
from keras_rnn_kit.data.number_translation import number_translation_splits

# Hand-checked readings, one per rule: digits, 10-19 at the start, "一十" after a
# higher unit, one 零 per run of zeros, trailing zeros unspoken.
KNOWN = [
    (0, "零", "zero"),
    (7, "七", "seven"),
    (10, "十", "ten"),
    (15, "十五", "fifteen"),
    (40, "四十", "forty"),
    (99, "九十九", "ninety nine"),
    (100, "一百", "one hundred"),
    (101, "一百零一", "one hundred one"),
    (110, "一百一十", "one hundred ten"),
    (321, "三百二十一", "three hundred twenty one"),
    (1000, "一千", "one thousand"),
    (1001, "一千零一", "one thousand one"),
    (1010, "一千零一十", "one thousand ten"),
    (1100, "一千一百", "one thousand one hundred"),
    (2005, "二千零五", "two thousand five"),
    (7070, "七千零七十", "seven thousand seventy"),
    (9999, "九千九百九十九", "nine thousand nine hundred ninety nine"),
]

ZH_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")}
ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
EN_WORD = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve "
        "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
EN_WORD.update(
    {
        w: 10 * i
        for i, w in enumerate(
            "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
        )
        if i > 1
    }
)


def parse_chinese(text):
    """An independent reader: digit-unit pairs add up; 零 is a placeholder."""
    total, digit = 0, None
    for char in text:
        if char in ZH_UNIT:
            total += (1 if digit is None else digit) * ZH_UNIT[char]
            digit = None
        else:
            digit = ZH_DIGIT[char]
    return total + (digit or 0)


def parse_english(text):
    total, current = 0, 0
    for word in text.split():
        if word == "thousand":
            total, current = total + current * 1000, 0
        elif word == "hundred":
            current *= 100
        else:
            current += EN_WORD[word]
    return total + current


@pytest.mark.parametrize("n, chinese, english", KNOWN)
def test_known_readings(n, chinese, english):
    assert number_to_chinese(n) == chinese
    assert number_to_english(n) == english


def test_every_number_reads_back_to_itself_in_both_languages():
    for n in range(10000):
        chinese, english = number_to_chinese(n), number_to_english(n)
        assert parse_chinese(chinese) == n, (n, chinese)
        assert parse_english(english) == n, (n, english)
        assert "零零" not in chinese and (n == 0 or not chinese.endswith("零"))


def test_every_form_is_unique():
    assert len({number_to_chinese(n) for n in range(10000)}) == 10000
    assert len({number_to_english(n) for n in range(10000)}) == 10000


def test_splits_hold_out_whole_numbers_and_are_seeded():
    splits = number_translation_splits(held_out_fraction=0.2, seed=3, max_number=999)
    train, held_out = splits["train"], splits["held_out"]
    assert (len(train[0]), len(held_out[0])) == (800, 200)
    assert not set(train[0]) & set(held_out[0])
    assert {parse_chinese(s) for s in train[0] + held_out[0]} == set(range(1000))
    for sources, targets in (train, held_out):
        assert [parse_english(t) for t in targets] == [
            parse_chinese(s) for s in sources
        ]
    assert number_translation_splits(0.2, seed=3, max_number=999) == splits
    assert number_translation_splits(0.2, seed=4, max_number=999) != splits


@pytest.mark.parametrize("n", [-1, 10000, 2.0, "5", True])
def test_out_of_range_numbers_name_the_argument(n):
    with pytest.raises(ValueError, match="`n`"):
        number_to_chinese(n)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"held_out_fraction": 0.0}, "held_out_fraction"),
        ({"held_out_fraction": 1.0}, "held_out_fraction"),
        ({"held_out_fraction": "half"}, "held_out_fraction"),
        ({"max_number": 0}, "max_number"),
        ({"max_number": 10000}, "max_number"),
    ],
)
def test_bad_split_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        number_translation_splits(**kwargs)
