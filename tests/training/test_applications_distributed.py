"""The text applications train under MirroredStrategy like on one device.

A child process splits the CPU into two logical devices, then runs one step of
`keras_rnn_kit.training.train` for the sentiment classifier and the translator,
once with `strategy="mirrored"` (two replicas, half of the global batch each) and
once with `strategy="one_device"`, from the same seed and on the same global
batch. The parent compares the weights.
"""

import keras
import numpy as np
import pytest

from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS
from tests.models.translation.translation_fixtures import build_translator
from tests.training.distributed_step import GLOBAL_BATCH
from tests.training.distributed_step import assert_same_step
from tests.training.distributed_step import one_step
from tests.training.distributed_step import run_both_strategies

REVIEWS = [
    "the food was really good",
    "the chicken crossed the road because it was uncooked",
    "great soup",
    "the staff was rude and the room was cold",
    "lovely",
    "bland pizza",
    "the service was friendly and the food was fresh",
    "not good",
]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]


def build_sentiment():
    """A tiny compiled classifier; `sequence_length` 6 truncates two reviews."""
    from keras_rnn_kit.models.sentiment import SentimentBackbone
    from keras_rnn_kit.models.sentiment import SentimentClassifier
    from keras_rnn_kit.models.sentiment import SentimentPreprocessor

    preprocessor = SentimentPreprocessor.from_texts(REVIEWS, sequence_length=6)
    backbone = SentimentBackbone(
        len(preprocessor.vocabulary), 8, units=8, structure="bidirectional",
        num_layers=1,
    )
    model = SentimentClassifier(backbone, preprocessor=preprocessor)
    model.compile()
    return model


def build_translation():
    translator = build_translator()
    translator.compile()
    return translator


def translation_data():
    """Teacher-forcing arrays `(x, y, sample_weight)` of the first 8 pairs."""
    x, y, weight = build_translator().preprocessor(
        SOURCES[:GLOBAL_BATCH], TARGETS[:GLOBAL_BATCH]
    )
    return {k: np.asarray(v) for k, v in x.items()}, np.asarray(y), np.asarray(weight)


def run_one_step(task, strategy, checkpoint_dir):
    """`train` one step of `task` ("sentiment" or "translation") under `strategy`
    (a name or a `tf.distribute.Strategy`); returns the weights and the loss."""
    builder, data = {
        "sentiment": (build_sentiment, (np.array(REVIEWS), np.array(LABELS))),
        "translation": (build_translation, translation_data()),
    }[task]
    return one_step(builder, data, strategy, checkpoint_dir)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`{(task, strategy): npz}` for both tasks on both strategies (one child)."""
    return run_both_strategies(
        tmp_path_factory.mktemp("distributed"),
        "tests.training.test_applications_distributed",
        ("sentiment", "translation"),
    )


def _assert_same_step(name, mirrored, one_device, initial):
    unmoved = assert_same_step(name, mirrored, one_device, initial)
    # The step moved every float weight. Integer ones have no gradient: the
    # preprocessors' int64 counters and the translator's int32 copy maps.
    assert all(np.issubdtype(dtype, np.integer) for dtype in unmoved), unmoved
    assert len(unmoved) <= 4


@pytest.mark.slow
def test_sentiment_mirrored_step_equals_one_device_step(runs):
    keras.utils.set_random_seed(5)
    initial = build_sentiment().get_weights()
    mirrored = runs[("sentiment", "mirrored")]
    one_device = runs[("sentiment", "one_device")]
    _assert_same_step("sentiment", mirrored, one_device, initial)


@pytest.mark.slow
def test_translation_mirrored_step_equals_one_device_step(runs):
    keras.utils.set_random_seed(5)
    initial = build_translation().get_weights()
    mirrored = runs[("translation", "mirrored")]
    one_device = runs[("translation", "one_device")]
    _assert_same_step("translation", mirrored, one_device, initial)
