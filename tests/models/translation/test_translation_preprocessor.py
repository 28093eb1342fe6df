import keras
import numpy as np
import pytest

from keras_rnn_kit.data import TextPreprocessor
from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.models.translation import TranslationPreprocessor
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS


@pytest.fixture(scope="module")
def preprocessor():
    return TranslationPreprocessor.from_corpus(SOURCES, TARGETS)


def test_teacher_forcing_shift_and_weights(preprocessor):
    x, y, weights = preprocessor(["三百零五"], ["three hundred five"])
    vocabulary = preprocessor.target_vocabulary
    # Pieces, each word marked as following whitespace: "▁three" ...
    words = vocabulary.encode(["▁three", "▁hundred", "▁five"])
    assert min(words) > 3, "every piece is in the vocabulary"
    length = preprocessor.target_sequence_length
    assert length == max(len(t.split()) for t in TARGETS) + 1  # + <eos>
    pad = [0] * (length - 4)
    # <go> w1 w2 w3 <eos> <pad>.. shifted: the <eos> input is never scored.
    assert x["decoder_token_ids"].numpy().tolist() == [[2] + words + [3] + pad[1:]]
    assert y.numpy().tolist() == [words + [3] + pad]
    assert weights.numpy().tolist() == [[1.0] * 4 + [0.0] * len(pad)]
    source = preprocessor.source_vocabulary.encode(["▁三", "百", "零", "五"])
    assert x["token_ids"].numpy().tolist() == [source + [0] * 3]
    assert x["padding_mask"].numpy().tolist() == [[True] * 4 + [False] * 3]


def test_source_only_call_and_detokenize(preprocessor):
    x = preprocessor(SOURCES[:3])
    assert set(x) == {"token_ids", "padding_mask"}
    _, y, _ = preprocessor(SOURCES[:3], TARGETS[:3])
    texts = [t.decode() for t in preprocessor.detokenize(y).numpy()]
    assert texts == TARGETS[:3]


def test_dataset_batches_match_direct_calls(preprocessor):
    dataset = preprocessor.make_dataset(SOURCES, TARGETS, batch_size=8, shuffle=False)
    batches = list(dataset)
    assert [b[1].shape[0] for b in batches] == [8, 8, 4]
    x, y, weights = preprocessor(SOURCES[:8], TARGETS[:8])
    np.testing.assert_array_equal(
        batches[0][0]["decoder_token_ids"], x["decoder_token_ids"]
    )
    np.testing.assert_array_equal(batches[0][1], y)
    np.testing.assert_array_equal(batches[0][2], weights)


def test_overlong_source_raises_naming_sequence_length(preprocessor):
    with pytest.raises(ValueError, match="sequence_length"):
        preprocessor(["九千九百九十九九九九"])


def test_serialization_round_trip(preprocessor):
    clone = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(preprocessor)
    )
    for got, want in zip(
        keras.tree.flatten(clone(SOURCES, TARGETS)),
        keras.tree.flatten(preprocessor(SOURCES, TARGETS)),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


def test_bad_arguments_are_explained(preprocessor):
    with pytest.raises(ValueError, match="same length"):
        TranslationPreprocessor.from_corpus(SOURCES, TARGETS[:3])
    with pytest.raises(ValueError, match="`sources`"):
        TranslationPreprocessor.from_corpus([], [])
    with pytest.raises(ValueError, match="`target_sequence_length`"):
        TranslationPreprocessor.from_corpus(SOURCES, TARGETS, target_sequence_length=0)
    marked = TextPreprocessor(
        TextTokenizer(), preprocessor.source_vocabulary, 5, add_eos=True
    )
    with pytest.raises(ValueError, match="`source_preprocessor`"):
        TranslationPreprocessor(marked, preprocessor.target_preprocessor)
    with pytest.raises(ValueError, match="`target_preprocessor`"):
        TranslationPreprocessor(
            preprocessor.source_preprocessor, preprocessor.source_preprocessor
        )
    with pytest.raises(TypeError, match="`source_preprocessor`"):
        TranslationPreprocessor("vocab.txt", preprocessor.target_preprocessor)
    with pytest.raises(ValueError, match="`batch_size`"):
        preprocessor.make_dataset(SOURCES, TARGETS, batch_size=0)
