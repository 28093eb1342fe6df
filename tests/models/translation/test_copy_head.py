import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.models.translation import TranslationBackbone
from keras_rnn_kit.models.translation import TranslationPreprocessor
from keras_rnn_kit.models.translation import Translator
from keras_rnn_kit.models.translation.copy_head import CopyHead
from keras_rnn_kit.models.translation.copy_head import copy_maps
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS
from tests.models.translation.translation_fixtures import build_translator
from tests.test_case import xla_functions

RESERVED = ["<pad>", "<oov>", "<go>", "<eos>"]
SOURCE = RESERVED + ["▁价", "1", "▁2", "%", "猫"]
TARGET = RESERVED + ["▁price", "▁1", "1", "2", "%", "▁%"]


def test_copy_maps_pair_each_source_piece_with_its_marked_and_plain_target():
    source_columns, target_columns, count = copy_maps(SOURCE, TARGET)
    copyable = [TARGET.index(t) for t in ("▁1", "1", "2", "%", "▁%")]
    assert count == len(copyable)
    column = {target_id: target_columns[target_id] for target_id in copyable}
    assert sorted(column.values()) == list(range(count))
    assert target_columns[TARGET.index("▁price")] == count  # nothing copies to it
    none = [count, count]
    assert source_columns[:4].tolist() == [none] * 4  # reserved tokens
    assert source_columns[SOURCE.index("▁价")].tolist() == none  # not a target
    assert source_columns[SOURCE.index("猫")].tolist() == none
    one = source_columns[SOURCE.index("1")].tolist()
    assert one == [column[TARGET.index("1")], column[TARGET.index("▁1")]]
    # Only the plain "2" exists: both variants copy to it.
    two = source_columns[SOURCE.index("▁2")].tolist()
    assert two == [column[TARGET.index("2")]] * 2
    percent = source_columns[SOURCE.index("%")].tolist()
    assert percent == [column[TARGET.index("%")], column[TARGET.index("▁%")]]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference(head, logits, attentional, weights, source_ids):
    """The pointer-generator mixture, written from its equation in numpy."""
    kernel, bias = (np.asarray(w, "float64") for w in head.gates.get_weights())
    gates = _sigmoid(attentional @ kernel + bias)
    write, marked = gates[..., :1], gates[..., 1:]
    source_columns = np.asarray(head.source_columns)
    target_columns = np.asarray(head.target_columns)
    probs = write * _softmax(logits)
    batch, steps, vocab = logits.shape
    for b in range(batch):
        for t in range(steps):
            for j, source_id in enumerate(source_ids[b]):
                for variant, share in ((0, 1 - marked[b, t, 0]), (1, marked[b, t, 0])):
                    column = source_columns[source_id, variant]
                    if column == head.num_copy_targets:
                        continue
                    (target_id,) = np.flatnonzero(target_columns == column)
                    probs[b, t, target_id] += (
                        (1 - write[b, t, 0]) * weights[b, t, j] * share
                    )
    return np.log(probs / probs.sum(-1, keepdims=True))


def test_float64_head_equals_the_numpy_mixture_in_float64():
    rng = np.random.default_rng(1)
    head = CopyHead(len(SOURCE), len(TARGET), *_maps_with_count(), dtype="float64")
    logits = rng.normal(size=(2, 3, len(TARGET)))
    attentional = rng.normal(size=(2, 3, 5))
    weights = _softmax(rng.normal(size=(2, 3, 4)))
    source_ids = np.array([[4, 5, 6, 7], [8, 5, 4, 6]])
    got = head(logits, attentional, weights, source_ids)
    assert got.dtype == head.gates.kernel.dtype == "float64"
    want = reference(head, logits, attentional, weights, source_ids)
    np.testing.assert_allclose(np.asarray(got), want, atol=1e-12)


def test_head_equals_the_numpy_mixture_in_training_and_one_step():
    rng = np.random.default_rng(0)
    head = CopyHead(len(SOURCE), len(TARGET), *_maps_with_count())
    logits = rng.normal(size=(2, 3, len(TARGET))).astype("float32")
    attentional = rng.normal(size=(2, 3, 5)).astype("float32")
    weights = _softmax(rng.normal(size=(2, 3, 4))).astype("float32")
    source_ids = np.array([[4, 5, 6, 7], [8, 5, 0, 0]])
    weights[1, :, 2:] = 0.0  # padding gets no attention
    got = np.asarray(head(logits, attentional, weights, source_ids))
    want = reference(head, logits, attentional, weights, source_ids)
    np.testing.assert_allclose(got, want, atol=1e-5)  # float32 against float64
    np.testing.assert_allclose(np.exp(got).sum(-1), 1.0, atol=1e-5)
    one_step = head(logits[:, 1], attentional[:, 1], weights[:, 1], source_ids)
    np.testing.assert_allclose(one_step, got[:, 1], atol=1e-6)


def _maps_with_count():
    source_columns, target_columns, count = copy_maps(SOURCE, TARGET)
    return count, source_columns, target_columns


def test_attention_on_uncopyable_pieces_leaves_the_vocabulary_distribution():
    head = CopyHead(len(SOURCE), len(TARGET), *_maps_with_count())
    logits = np.random.default_rng(1).normal(size=(1, len(TARGET))).astype("float32")
    weights = np.array([[0.5, 0.5]], "float32")  # on "▁价" and "猫"
    got = head(logits, np.ones((1, 5), "float32"), weights, np.array([[4, 8]]))
    np.testing.assert_allclose(np.exp(got), _softmax(logits), atol=1e-6)


def test_bad_maps_name_the_argument():
    with pytest.raises(ValueError, match="`source_columns` must be an int array"):
        CopyHead(3, 4, 1, np.zeros((2, 2), "int32"), np.zeros(4, "int32"))
    with pytest.raises(ValueError, match=r"`target_columns` must hold columns in"):
        CopyHead(3, 4, 1, np.zeros((3, 2), "int32"), np.full(4, 5, "int32"))
    with pytest.raises(ValueError, match="`num_copy_targets` must be an int >= 0"):
        CopyHead(3, 4, -1)


def test_translator_copies_by_default_and_reloads_its_maps(tmp_path):
    sources, targets = ["价格12元", "增长3%"], ["It costs 12.", "Up 3%."]
    preprocessor = TranslationPreprocessor.from_corpus(sources, targets)
    backbone = TranslationBackbone(
        len(preprocessor.source_vocabulary),
        len(preprocessor.target_vocabulary),
        embedding_dim=4,
        units=4,
    )
    translator = Translator(backbone, preprocessor)
    assert translator.copy and translator.copy_head.num_copy_targets == 4  # 1 2 3 %
    path = str(tmp_path / "translator.keras")
    translator.save(path)
    again = keras.saving.load_model(path)
    for name in ("source_columns", "target_columns"):
        np.testing.assert_array_equal(
            getattr(again.copy_head, name), getattr(translator.copy_head, name)
        )
    x = preprocessor(sources)
    np.testing.assert_allclose(
        again.generate(x["token_ids"], x["padding_mask"]),
        translator.generate(x["token_ids"], x["padding_mask"]),
    )


def test_copy_needs_a_preprocessor_and_auto_follows_it():
    backbone = build_translator().backbone
    assert Translator(backbone).copy is False
    with pytest.raises(ValueError, match="`copy=True` copies source pieces"):
        Translator(backbone, copy=True)
    with pytest.raises(TypeError, match="`copy` must be a bool or 'auto'"):
        Translator(backbone, copy="yes")


def test_a_config_from_before_the_copy_head_loads_without_one():
    translator = build_translator()
    config = translator.get_config()
    assert config.pop("copy") is True
    old = Translator.from_config(config)
    assert old.copy is False and old.copy_head is None


def test_keras_export_of_a_copying_translator_serves_its_log_probabilities(tmp_path):
    """Keras's own `model.export()`: no XLA program (stock TF Serving refuses
    them), and the served teacher-forced log-probabilities equal Keras's."""
    translator = build_translator()
    assert translator.copy_head is not None
    dataset = translator.preprocessor.make_dataset(SOURCES, TARGETS, batch_size=4)
    features = next(iter(dataset))[0]
    expected = np.asarray(translator(features))
    path = str(tmp_path / "translator")
    translator.export(path, verbose=False)
    assert not xla_functions(path)
    served = tf.saved_model.load(path).signatures["serve"](**features)
    np.testing.assert_allclose(served["output_0"].numpy(), expected, atol=1e-5)
