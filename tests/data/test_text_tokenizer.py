import random
import string

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.data import text_rules
from keras_rnn_kit.data.text_tokenizer import is_cjk_char
from keras_rnn_kit.data.text_tokenizer import join_tokens
from keras_rnn_kit.data.text_tokenizer import join_tokens_tf
from keras_rnn_kit.export.ops import forbidden_saved_model_ops
from tests.test_case import assert_config_round_trip

MIXED = [
    "我爱机器学习 with Keras",
    "The food was really good!",
    "İSTANBUL Straße ΣΑΣ",
    "a\u3000b\u00a0c\td\ne",
    "don't <br />stop…",
    "",
    "   ",
    "日本語のテキスト、カタカナ 한국어 텍스트",
    "price: $5 + 3€ = ok?",
    "x\x1fy",
]


def tf_tokens(tokenizer, texts):
    return tf_tokens_from(tokenizer.tokenize(texts))


def test_mixed_chinese_english_auto_mode():
    tokenizer = TextTokenizer()
    want = ["我", "爱", "机", "器", "学", "习", "with", "keras"]
    assert tf_tokens(tokenizer, ["我爱机器学习 with Keras"]) == [want]
    assert tokenizer.tokenize_python("我爱机器学习 with Keras") == want


def test_japanese_and_korean_characters_are_single_tokens():
    tokens = TextTokenizer().tokenize_python("カタカナ ひらがな 한국")
    assert tokens == ["カ", "タ", "カ", "ナ", "ひ", "ら", "が", "な", "한", "국"]


@pytest.mark.parametrize("mode", ["auto", "word", "char"])
@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("strip_punctuation", [True, False])
def test_tf_path_equals_python_path(mode, lowercase, strip_punctuation):
    tokenizer = TextTokenizer(mode, lowercase, strip_punctuation)
    assert tf_tokens(tokenizer, MIXED) == [tokenizer.tokenize_python(t) for t in MIXED]


def test_word_and_char_modes():
    text = "我爱 ML!"
    assert TextTokenizer("word").tokenize_python(text) == ["我爱", "ml"]
    assert TextTokenizer("char").tokenize_python(text) == ["我", "爱", "m", "l"]


def test_punctuation_becomes_separator_or_is_kept():
    assert TextTokenizer().tokenize_python("good,bad. don't") == [
        "good",
        "bad",
        "don",
        "t",
    ]
    kept = TextTokenizer(strip_punctuation=False).tokenize_python("good, bad.")
    assert kept == ["good,", "bad."]


def test_lowercase_option():
    assert TextTokenizer(lowercase=False).tokenize_python("Good FOOD") == [
        "Good",
        "FOOD",
    ]
    assert TextTokenizer().tokenize_python("Good FOOD") == ["good", "food"]


def test_unicode_whitespace_separates_tokens():
    assert TextTokenizer().tokenize_python("a\u3000b\u00a0c\td") == ["a", "b", "c", "d"]


def test_accepts_lists_numpy_and_tensors_and_works_in_graph():
    tokenizer = TextTokenizer()
    want = [["hi", "there"], []]
    assert tf_tokens(tokenizer, ["Hi there", ""]) == want
    assert tf_tokens(tokenizer, np.array(["Hi there", ""])) == want
    graph = tf.function(tokenizer.tokenize)
    assert tf_tokens_from(graph(tf.constant(["Hi there", ""]))) == want


def tf_tokens_from(ragged):
    return [[t.decode("utf-8") for t in row] for row in ragged.to_list()]


def test_scalar_input_gives_flat_tokens():
    tokens = TextTokenizer().tokenize("Hello world")
    assert [t.decode() for t in tokens.numpy()] == ["hello", "world"]


@pytest.mark.parametrize("bad", [[1, 2], ["ok", None], 3.5])
def test_non_string_input_raises_naming_argument(bad):
    with pytest.raises(TypeError, match="`strings`"):
        TextTokenizer().tokenize(bad)
    with pytest.raises(TypeError, match="`text`"):
        TextTokenizer().tokenize_python(bad)


def test_numeric_tensor_and_rank_two_rejected():
    with pytest.raises(TypeError, match="dtype int32"):
        TextTokenizer().tokenize(tf.constant([1, 2]))
    with pytest.raises(ValueError, match=r"shape \(batch,\)"):
        TextTokenizer().tokenize([["a"], ["b"]])


def test_invalid_constructor_arguments():
    with pytest.raises(ValueError, match="`mode`.*'auto'.*'sentence'"):
        TextTokenizer(mode="sentence")
    with pytest.raises(ValueError, match="`lowercase`"):
        TextTokenizer(lowercase="yes")


def test_config_round_trip():
    clone = assert_config_round_trip(TextTokenizer("char", False, False))
    assert clone.mode == "char"
    assert not clone.lowercase and not clone.strip_punctuation


def test_join_tokens_python_and_tf_agree():
    tokenizer = TextTokenizer()
    token_lists = [tokenizer.tokenize_python(t) for t in MIXED]
    joined_tf = join_tokens_tf(tf.ragged.constant(token_lists, dtype=tf.string))
    got = [s.decode("utf-8") for s in joined_tf.numpy()]
    assert got == [join_tokens(tokens) for tokens in token_lists]
    assert join_tokens(["我", "爱", "机", "器", "ml", "很", "好"]) == "我爱机器 ml 很好"


def test_is_cjk_char():
    assert all(is_cjk_char(c) for c in "我カひ한𠀀")
    assert not any(is_cjk_char(c) for c in "aé1,ß")


COMBINATIONS = [
    (mode, lowercase, strip_punctuation)
    for mode in ("auto", "word", "char", "pieces")
    for lowercase in (True, False)
    for strip_punctuation in (True, False)
]

# Pieces of text the generator mixes, each drawn uniformly.
ALPHABETS = [
    string.ascii_letters + string.digits,
    string.punctuation,
    "\t\n\r\x0b\x0c \u00a0\u3000\u2028\u2029\u1680\u200b\ufeff",
    "\x00\x01\x07\x1b\x1c\x1f\x7f\x85\x9f\u00ad",
    "".join(map(chr, range(0x4E00, 0x4E40))),  # CJK
    "".join(map(chr, range(0xAC00, 0xAC40))) + "\u1100\u3131",  # Hangul
    "".join(map(chr, range(0x3041, 0x3060))) + "\u30a2\u30f3\uff71",  # Kana
    "".join(map(chr, range(0x1F600, 0x1F620))) + "\U0001f44d\U0001f3fd\u200d",
    "".join(map(chr, range(0x0300, 0x0320))) + "\u0345\u20dd",  # combining
    # Case edge cases: final sigma and its context, one-to-many and new mappings.
    "\u03a3\u03c3\u03c2\u0391\u03b1'\u00b7.:\u02b0\u0130\u00df\u1e9e"
    "\u01c5\u2160\u24b6\u2c2f\U00010570\u00aa\u0149",
]
INVALID_UTF8 = [
    b"\x80",
    b"\xbf\x80",  # lone continuation bytes
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98",  # truncated sequences
    b"\xc0\xaf",
    b"\xc1\xbf",
    b"\xe0\x80\xaf",
    b"\xf0\x80\x80\x80",  # overlongs
    b"\xed\xa0\x80",
    b"\xed\xbf\xbf",  # UTF-8-encoded surrogates
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xfe",
    b"\xff",  # above U+10FFFF, never-valid bytes
]


def random_texts(count, seed=0):
    """Byte strings mixing every alphabet, random code points and invalid UTF-8."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(0, 12)):
            kind = rng.random()
            if kind < 0.1:
                pieces.append(rng.choice(INVALID_UTF8))
            elif kind < 0.2:
                code = rng.choice(
                    [rng.randrange(0x80, 0x3000), rng.randrange(0x110000)]
                )
                if not 0xD800 <= code <= 0xDFFF:
                    pieces.append(chr(code).encode())
            else:
                alphabet = rng.choice(ALPHABETS)
                run = "".join(rng.choices(alphabet, k=rng.randint(1, 4)))
                pieces.append(run.encode())
        texts.append(b"".join(pieces))
    return texts


def graph_and_python_tokens(tokenizer, texts):
    graph = tokenizer.tokenize(tf.constant(texts, tf.string)).to_list()
    python = [[t.encode() for t in tokenizer.tokenize_python(x)] for x in texts]
    return graph, python


@pytest.mark.parametrize("mode,lowercase,strip_punctuation", COMBINATIONS)
def test_graph_equals_python_on_random_unicode(mode, lowercase, strip_punctuation):
    tokenizer = TextTokenizer(mode, lowercase, strip_punctuation)
    texts = random_texts(2000, seed=len(mode) + 2 * lowercase + 4 * strip_punctuation)
    graph, python = graph_and_python_tokens(tokenizer, texts)
    mismatches = [
        (t, g, p) for t, g, p in zip(texts, graph, python, strict=True) if g != p
    ]
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize("mode,lowercase,strip_punctuation", COMBINATIONS)
def test_graph_equals_python_on_nul_and_invalid_utf8(
    mode, lowercase, strip_punctuation
):
    texts = [b"a\x00b", b"\x00", b"\xff\xfe", b"caf\xc3", b"", b"\x00\xc3\x00"]
    texts += INVALID_UTF8
    tokenizer = TextTokenizer(mode, lowercase, strip_punctuation)
    graph, python = graph_and_python_tokens(tokenizer, texts)
    assert graph == python


def test_nul_separates_tokens():
    tokenizer = TextTokenizer()
    assert tokenizer.tokenize_python("A\x00b") == ["a", "b"]
    assert tf_tokens(tokenizer, ["A\x00b", "\x00", ""]) == [["a", "b"], [], []]


def test_invalid_utf8_becomes_replacement_characters():
    kept = TextTokenizer(strip_punctuation=False)
    assert kept.tokenize_python(b"caf\xc3") == ["caf\ufffd"]
    assert kept.tokenize_python(b"\xff\xfe") == ["\ufffd\ufffd"]
    assert kept.tokenize_python(b"\xe0\x80\xaf") == ["\ufffd" * 3]
    assert tf_tokens(kept, [b"caf\xc3", b"\xff\xfe"]) == [
        ["caf\ufffd"],
        ["\ufffd\ufffd"],
    ]
    # U+FFFD is a symbol, so by default it separates tokens like punctuation.
    assert TextTokenizer().tokenize_python(b"caf\xc3s") == ["caf", "s"]
    # A str with a lone surrogate reads as its (invalid) UTF-8 bytes.
    assert kept.tokenize_python("a\ud800") == ["a\ufffd\ufffd\ufffd"]


def test_transcode_replaces_exactly_like_python():
    rng = random.Random(1)
    alphabet = [0x00, 0x41, 0x7F, 0x80, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED]
    alphabet += [0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
    texts = [bytes(rng.choices(alphabet, k=rng.randint(0, 8))) for _ in range(5000)]
    texts += INVALID_UTF8
    graph = tf.strings.unicode_transcode(
        texts, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD
    )
    python = [t.decode("utf-8", errors="replace").encode() for t in texts]
    assert graph.numpy().tolist() == python


@pytest.mark.parametrize(
    "text",
    [
        "\u03a3\u0391\u03a3",
        "\u03a3\u03a3",
        "A\u03a3'\u03a3",
        "\u03a3.",
        "A\u0345\u03a3b",
    ],
)
def test_final_sigma_follows_str_lower(text):
    tokenizer = TextTokenizer("word", strip_punctuation=False)
    assert tf_tokens(tokenizer, [text])[0] == [text.lower()]
    assert tokenizer.tokenize_python(text) == [text.lower()]


@pytest.mark.slow
def test_every_code_point_lowers_and_classifies_like_python():
    codes = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = [f"A{chr(c)}\u03a3{chr(c)}".encode() for c in codes]
    tokenizer = TextTokenizer("char")
    graph, python = graph_and_python_tokens(tokenizer, texts)
    assert graph == python


def test_graph_uses_only_core_ops():
    tokenizer = TextTokenizer()
    traced = tf.function(tokenizer.tokenize).get_concrete_function(
        tf.TensorSpec([None], tf.string)
    )
    ops = {node.op for node in traced.graph.as_graph_def().node}
    assert {"UnicodeTranscode", "UnicodeDecode", "UnicodeEncode"} <= ops
    assert forbidden_saved_model_ops(ops) == {}


def test_pieces_join_back_to_the_text_with_normalized_whitespace():
    tokenizer = TextTokenizer("pieces", lowercase=False, strip_punctuation=False)
    texts = [
        t.decode("utf-8", "replace").replace(text_rules.PIECE_MARK, "")
        for t in random_texts(1000, seed=7)
    ] + ["Paid RMB 3,450.", "  The meeting was held on March 8, 2021. ", "3:15 p.m."]
    tokens = tokenizer.tokenize(tf.constant(texts))
    joined = [t.decode() for t in tokenizer.join(tokens).numpy()]
    for text, got, pieces in zip(texts, joined, tokens.to_list(), strict=True):
        spaced = "".join(" " if text_rules.is_separator(c) else c for c in text)
        want = " ".join(word for word in spaced.split(" ") if word)
        assert got == want == text_rules.join(
            [p.decode() for p in pieces], "pieces"
        ), text
    assert tokenizer.tokenize_python("May 17, 2023") == [
        "▁May", "▁1", "7", ",", "▁2", "0", "2", "3"
    ]  # fmt: skip
