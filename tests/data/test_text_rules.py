"""`text_rules`, the TF-free reference, against the graph it stands in for.

Every string here goes through both `TextEncoder` (pure Python) and
`TextPreprocessor` (the TF graph the SavedModel serves); ids, masks and decoded
text must be equal, including overflow, markers, unknown and reserved-looking
tokens, CJK and invalid UTF-8.
"""

import ast
import sys

import numpy as np
import pytest

from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.data import text_rules
from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.data.vocabulary import Vocabulary
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import LINE_BREAK
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SENTENCE_END
from keras_rnn_kit.models.vqa.vqa_export import text_preprocessor_assets
from tests.data.test_text_tokenizer import MIXED

TEXTS = MIXED + [
    "the food was good",
    "<pad> <eos> <go> <oov> the",
    "the the the the the the the the the the food",
    b"caf\xc3\xa9 \xff broken bytes",
    "三百二十一 块 钱",
    "The FOOD, was: GOOD!!!",
]
CORPUS = ["the food was good", "the staff was rude", "三百二十一", "café fine"]


def preprocessor(mode="auto", **kwargs):
    tokenizer = TextTokenizer(mode=mode)
    vocabulary = Vocabulary.build(CORPUS, tokenizer=tokenizer)
    return TextPreprocessor(tokenizer, vocabulary, **kwargs)


def preprocessor_12():
    return preprocessor(sequence_length=12, overflow="truncate")


CASES = [
    {"sequence_length": 12, "overflow": "truncate"},
    {"sequence_length": 6, "overflow": "truncate", "add_go": True, "add_eos": True},
    {"sequence_length": 7, "overflow": "truncate", "add_eos": True, "mode": "char"},
    {"sequence_length": 40, "overflow": "error", "mode": "word"},
    {"sequence_length": 30, "overflow": "truncate", "add_eos": True, "mode": "pieces"},
]


@pytest.mark.parametrize("case", CASES)
def test_encoder_equals_the_graph_on_every_text(case):
    case = dict(case)
    layer = preprocessor(case.pop("mode", "auto"), **case)
    encoder = text_rules.TextEncoder(text_preprocessor_assets(layer))
    graph = layer(TEXTS)
    want_ids = np.asarray(graph["token_ids"])
    got = np.array([encoder.encode(text) for text in TEXTS])
    np.testing.assert_array_equal(got, want_ids)
    np.testing.assert_array_equal(got != 0, np.asarray(graph["padding_mask"]))
    decoded = [text.decode() for text in layer.detokenize(want_ids).numpy()]
    assert [encoder.decode(row) for row in got] == decoded


def test_overflow_error_raises_like_the_graph():
    layer = preprocessor(sequence_length=3, overflow="error", add_eos=True)
    encoder = text_rules.TextEncoder(text_preprocessor_assets(layer))
    want = layer(["the food"])["token_ids"][0].numpy().tolist()
    assert encoder.encode("the food") == want
    with pytest.raises(ValueError, match="too short"):
        layer(["the food was"])
    with pytest.raises(ValueError, match=r"sequence_length`=3 is too short.*3 tokens"):
        encoder.encode("the food was")


def test_decode_stops_at_eos_and_refuses_ids_outside_the_vocabulary():
    encoder = text_rules.TextEncoder(text_preprocessor_assets(preprocessor_12()))
    vocabulary = encoder.vocabulary
    ids = [2, vocabulary.index("三"), vocabulary.index("百"), 0, 3]
    ids += [vocabulary.index("the")]
    assert encoder.decode(ids) == "三百"
    with pytest.raises(ValueError, match=r"`ids` must lie in \[0, \d+\).*got 999"):
        encoder.decode([999])


def test_sentence_split_equals_the_hierarchical_preprocessor():
    layer = SentimentPreprocessor.from_texts(
        CORPUS, sequence_length=5, max_sentences=3, overflow="truncate"
    )
    encoder = text_rules.TextEncoder(text_preprocessor_assets(layer.text_preprocessor))
    documents = [
        "The food was good. The staff was rude!<br />Fine?",
        "one. two. three. four.",
        "",
        "no end mark",
        "三百。二十一！",
    ]
    want = np.asarray(layer(documents)["token_ids"])
    for document, rows in zip(documents, want, strict=True):
        sentences = [
            encoder.encode(sentence)
            for sentence in text_rules.split_sentences(
                document, LINE_BREAK, SENTENCE_END
            )
            if encoder.tokens(sentence)
        ][:3]
        got = np.zeros_like(rows)
        if sentences:
            got[: len(sentences)] = sentences
        np.testing.assert_array_equal(got, rows, err_msg=document)


def test_the_module_imports_only_the_standard_library():
    with open(text_rules.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names), imported


def test_bad_settings_and_inputs_are_named():
    settings = text_preprocessor_assets(preprocessor_12())
    with pytest.raises(ValueError, match="`overflow` must be one of"):
        text_rules.TextEncoder({**settings, "overflow": "cut"})
    with pytest.raises(ValueError, match="`mode` must be one of"):
        text_rules.tokenize("x", mode="words")
    with pytest.raises(TypeError, match="`text` must be a str or bytes, got 3"):
        text_rules.tokenize(3)
