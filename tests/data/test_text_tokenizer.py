import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.data.text_tokenizer import is_cjk_char
from keras_rnn_kit.data.text_tokenizer import join_tokens
from keras_rnn_kit.data.text_tokenizer import join_tokens_tf
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
        "good", "bad", "don", "t"
    ]
    kept = TextTokenizer(strip_punctuation=False).tokenize_python("good, bad.")
    assert kept == ["good,", "bad."]


def test_lowercase_option():
    assert TextTokenizer(lowercase=False).tokenize_python("Good FOOD") == [
        "Good", "FOOD"
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
