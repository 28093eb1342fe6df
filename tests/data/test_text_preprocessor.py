import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data import TextPreprocessor
from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.data import Vocabulary
from tests.test_case import assert_config_round_trip
from tests.test_case import run_python


@pytest.fixture(scope="module")
def vocab():
    # ids: 4 food, 5 good, 6 the, 7 was, then the CJK characters.
    return Vocabulary.build(["the food was good", "我爱机器学习"])


def make(vocab, length=6, **kwargs):
    return TextPreprocessor(TextTokenizer(), vocab, length, **kwargs)


def expected_ids(vocab, text, length, go=False, eos=False):
    """Independent reference: Python tokenizer + Vocabulary.encode + padding."""
    ids = vocab.encode(TextTokenizer().tokenize_python(text))
    ids = ([vocab.go_id] if go else []) + ids + ([vocab.eos_id] if eos else [])
    return ids + [vocab.pad_id] * (length - len(ids))


def test_shapes_dtypes_and_ids_match_python_reference(vocab):
    texts = ["The food was GREAT", "", "我爱 food", "zzz qqq"]
    out = make(vocab, 6, add_go=True, add_eos=True)(texts)
    assert out["token_ids"].dtype == tf.int32 and out["token_ids"].shape == (4, 6)
    assert out["padding_mask"].dtype == tf.bool
    want = [expected_ids(vocab, t, 6, go=True, eos=True) for t in texts]
    assert out["token_ids"].numpy().tolist() == want
    np.testing.assert_array_equal(out["padding_mask"], np.array(want) != 0)


def test_reserved_token_text_maps_to_oov(vocab):
    pre = TextPreprocessor(TextTokenizer(strip_punctuation=False), vocab, 3)
    assert pre(["<eos> <pad> good"])["token_ids"].numpy().tolist() == [[1, 1, 5]]


def test_overflow_error_names_argument_eager_and_graph(vocab):
    pre = make(vocab, 4, add_eos=True)
    pre(["the food was"])  # 3 tokens + <eos> fit exactly
    with pytest.raises(ValueError, match="`sequence_length`=4.*rows \\[1\\]"):
        pre(["good", "the food was good"])
    graph = tf.function(lambda x: pre(x))
    with pytest.raises(tf.errors.InvalidArgumentError, match="`sequence_length`=4"):
        graph(tf.constant(["the food was good"]))


def test_overflow_truncate_keeps_markers_and_counts(vocab, caplog):
    pre = make(vocab, 4, add_go=True, add_eos=True, overflow="truncate")
    with caplog.at_level(logging.WARNING):
        out = pre(["the food was good", "good", "food was good"])
    want = [[2, 6, 4, 3], [2, 5, 3, 0], [2, 4, 7, 3]]
    assert out["token_ids"].numpy().tolist() == want
    assert int(pre.truncated_count.numpy()) == 2
    assert "truncated 2 of 3 inputs" in caplog.text
    dataset = tf.data.Dataset.from_tensor_slices(["a b c d"] * 3).batch(2).map(pre)
    assert sum(batch["token_ids"].shape[0] for batch in dataset) == 3
    assert int(pre.truncated_count.numpy()) == 5


def test_detokenize_strips_markers_and_joins_cjk(vocab):
    pre = make(vocab, 8, add_go=True, add_eos=True)
    ids = pre(["我爱 the food", "good"])["token_ids"]
    texts = [s.decode("utf-8") for s in pre.detokenize(ids).numpy()]
    assert texts == ["我爱 the food", "good"]
    after_eos = np.array([[2, 5, 3, 6, 6]])
    assert pre.detokenize(after_eos).numpy().tolist() == [b"good"]
    with pytest.raises(ValueError, match=r"\[0, 14\)"):
        pre.detokenize(np.array([[4, 99]]))


def test_input_errors(vocab):
    pre = make(vocab)
    with pytest.raises(TypeError, match="`inputs`"):
        pre([1, 2])
    with pytest.raises(ValueError, match=r"shape \(batch,\)"):
        pre("just one string")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sequence_length": 0}, ValueError, "`sequence_length`"),
        ({"sequence_length": 2, "add_go": True, "add_eos": True}, ValueError, "exceed"),
        ({"overflow": "drop"}, ValueError, "`overflow`.*'error', 'truncate'"),
        ({"tokenizer": str.split}, TypeError, "`tokenizer`"),
        ({"vocabulary": 42}, TypeError, "`vocabulary`"),
    ],
)
def test_constructor_errors(vocab, kwargs, error, match):
    args = {"tokenizer": TextTokenizer(), "vocabulary": vocab, "sequence_length": 5}
    with pytest.raises(error, match=match):
        TextPreprocessor(**{**args, **kwargs})


def test_vocabulary_from_file_and_config_round_trip(vocab, tmp_path):
    path = str(tmp_path / "vocab.txt")
    vocab.save(path)
    pre = TextPreprocessor(TextTokenizer("word"), path, 5, add_go=True)
    clone = assert_config_round_trip(pre)
    assert clone.vocabulary == vocab and clone.tokenizer.mode == "word"
    texts = ["the food", "我爱"]
    np.testing.assert_array_equal(clone(texts)["token_ids"], pre(texts)["token_ids"])


def test_get_vocabulary_lists_tokens_in_id_order(vocab):
    tokens = make(vocab).get_vocabulary()
    assert tokens == vocab.tokens
    assert tokens[:4] == ["<pad>", "<oov>", "<go>", "<eos>"]
    assert [vocab.encode([t])[0] for t in tokens[4:]] == list(range(4, len(tokens)))


def test_keras_file_round_trip_in_fresh_process(vocab, tmp_path):
    inputs = keras.Input(shape=(), dtype="string")
    pre = make(vocab, 6, add_eos=True)
    model = keras.Model(inputs, pre(inputs))
    texts = ["the food was good", "我爱 soup"]
    path = str(tmp_path / "pre.keras")
    model.save(path)
    out = run_python(
        f"""
        import keras, keras_rnn_kit.data  # registers TextPreprocessor
        import tensorflow as tf
        model = keras.saving.load_model({path!r})
        print(model(tf.constant({texts!r}))["token_ids"].numpy().tolist())
        """
    )
    assert out.strip().splitlines()[-1] == str(pre(texts)["token_ids"].numpy().tolist())


def test_saved_model_round_trip_restores_vocabulary(vocab, tmp_path):
    pre = make(vocab, 6, add_go=True)

    class Serving(tf.Module):
        def __init__(self, preprocessor):
            super().__init__()
            self.preprocessor = preprocessor

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def serve(self, texts):
            return self.preprocessor(texts)

    tf.saved_model.save(Serving(pre), str(tmp_path))
    del pre
    reloaded = tf.saved_model.load(str(tmp_path))
    out = reloaded.serve(tf.constant(["The food was good", "我 x"]))
    want = [expected_ids(vocab, t, 6, go=True) for t in ["the food was good", "我 x"]]
    assert out["token_ids"].numpy().tolist() == want
