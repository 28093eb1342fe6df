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
from tests.test_case import run_python

# Two replicas each average half the batch and the gradients are summed across
# replicas: the same maths as one device, in another float32 summation order.
# One Adam step moves each weight by about the learning rate (1e-3, 2e-3), so
# 1e-6 is a thousand times below any update and 30 times the measured 3e-8.
ATOL = 1e-6
GLOBAL_BATCH = 8
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
    from keras_rnn_kit.training import train

    builder, data = {
        "sentiment": (build_sentiment, (np.array(REVIEWS), np.array(LABELS))),
        "translation": (build_translation, translation_data()),
    }[task]
    model, history = train(
        builder,
        data,
        strategy=strategy,
        epochs=1,
        global_batch_size=GLOBAL_BATCH,
        checkpoint_dir=checkpoint_dir,
        seed=5,
        verbose=0,
    )
    weights = {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    return {
        "replicas": model.distribute_strategy.num_replicas_in_sync,
        "loss": history.history["loss"][0],
        **weights,
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`{(task, strategy): npz}` for both tasks on both strategies (one child)."""
    folder = tmp_path_factory.mktemp("distributed")
    run_python(
        f"""
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from keras_rnn_kit.training import get_strategy
        from tests.training.test_applications_distributed import run_one_step
        # One MirroredStrategy for both tasks: a second instance in the same
        # process reuses the collective instance keys of the first and aborts.
        strategies = {{"mirrored": get_strategy("mirrored"),
                       "one_device": get_strategy("one_device")}}
        for task in ("sentiment", "translation"):
            for name, strategy in strategies.items():
                out = run_one_step(task, strategy, {str(folder)!r} + f"/{{task}}_ckpt")
                np.savez({str(folder)!r} + f"/{{task}}_{{name}}.npz", **out)
        """,
        timeout=300,
    )
    return {
        (task, strategy): np.load(folder / f"{task}_{strategy}.npz")
        for task in ("sentiment", "translation")
        for strategy in ("mirrored", "one_device")
    }


def _assert_same_step(mirrored, one_device, initial):
    assert int(mirrored["replicas"]) == 2 and int(one_device["replicas"]) == 1
    np.testing.assert_allclose(mirrored["loss"], one_device["loss"], atol=ATOL)
    names = [f"w{i}" for i in range(len(initial))]
    assert sorted(names) == sorted(k for k in one_device.files if k.startswith("w"))
    moved, largest = 0, 0.0
    for name, start in zip(names, initial, strict=True):
        np.testing.assert_allclose(mirrored[name], one_device[name], atol=ATOL)
        moved += not np.array_equal(one_device[name], start)
        difference = np.abs(mirrored[name] - one_device[name].astype("float64"))
        largest = max(largest, float(np.max(difference, initial=0.0)))
    print(f"mirrored vs one device: loss {float(mirrored['loss']):.7f} vs "
          f"{float(one_device['loss']):.7f}, max |weight diff| {largest:.3g}")
    # The step moved every weight but the preprocessors' unused int64 counters.
    assert moved >= len(initial) - 2


@pytest.mark.slow
def test_sentiment_mirrored_step_equals_one_device_step(runs):
    keras.utils.set_random_seed(5)
    initial = build_sentiment().get_weights()
    mirrored = runs[("sentiment", "mirrored")]
    one_device = runs[("sentiment", "one_device")]
    _assert_same_step(mirrored, one_device, initial)


@pytest.mark.slow
def test_translation_mirrored_step_equals_one_device_step(runs):
    keras.utils.set_random_seed(5)
    initial = build_translation().get_weights()
    mirrored = runs[("translation", "mirrored")]
    one_device = runs[("translation", "one_device")]
    _assert_same_step(mirrored, one_device, initial)
