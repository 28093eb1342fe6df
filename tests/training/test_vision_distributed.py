"""The vision-and-language applications train under MirroredStrategy like on one
device.

A child process splits the CPU into two logical devices, then runs one step of
`keras_rnn_kit.training.train` for the VQA model, the captioner and the visual
dialog model, once with `strategy="mirrored"` (two replicas, half of the global
batch each) and once with `strategy="one_device"`, from the same seed and on the
same global batch. The parent compares the weights. The image encoders keep their
batch normalisation: it is synchronized across replicas, so two half batches are
normalised with the statistics of the whole batch, as on one device.
"""

import keras
import numpy as np
import pytest

from tests.test_case import run_python

# Two replicas each average half the batch and the gradients are summed across
# replicas: the same maths as one device, in another float32 summation order.
# One Adam step moves each weight by about the learning rate (1e-3), so 1e-6 is
# a thousand times below any update.
ATOL = 1e-6
GLOBAL_BATCH = 8
SIZE = 8
TASKS = ("vqa", "captioning", "visual_dialog")
QUESTIONS = [
    "what color is the shape?",
    "is there a circle?",
    "what shape is it",
    "is it red",
] * 2
CAPTIONS = [
    "a red circle",
    "a blue square",
    "a green triangle",
    "a red circle above a blue square",
] * 2
HISTORIES = [["", ""], ["is it red yes", ""], ["is it red yes", "what shape circle"]]
HISTORIES = (HISTORIES * 3)[:GLOBAL_BATCH]
# Two-word candidates, so the answer RNN's recurrent kernel gets a gradient.
CANDIDATES = [["yes it is", "no", "a circle"]] * GLOBAL_BATCH


def _images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (GLOBAL_BATCH, SIZE, SIZE, 3)).astype("uint8")


def _encoder():
    from keras_rnn_kit.models.image_encoder import ImageEncoder

    return ImageEncoder(filters=(4,), image_size=SIZE, batch_norm=True)


def build_vqa():
    from keras_rnn_kit.models.vqa import VQABackbone
    from keras_rnn_kit.models.vqa import VQAModel
    from keras_rnn_kit.models.vqa import VQAPreprocessor

    pre = VQAPreprocessor.from_questions(QUESTIONS, image_size=SIZE)
    backbone = VQABackbone(
        pre.vocabulary_size,
        embedding_dim=4,
        hidden_dim=6,
        num_layers=2,
        fusion_dim=6,
        image_size=SIZE,
        image_encoder=_encoder(),
    )
    model = VQAModel(backbone, ["yes", "no", "red"], pre, hidden_dim=6, dropout=0.0)
    model.compile()
    return model


def build_captioning():
    from keras_rnn_kit.models.captioning import CaptioningBackbone
    from keras_rnn_kit.models.captioning import CaptioningPreprocessor
    from keras_rnn_kit.models.captioning import ImageCaptioner

    pre = CaptioningPreprocessor.from_captions(CAPTIONS, image_size=SIZE)
    backbone = CaptioningBackbone(
        len(pre.vocabulary),
        embedding_dim=4,
        units=6,
        attention="bahdanau",
        image_size=SIZE,
        image_encoder=_encoder(),
    )
    model = ImageCaptioner(backbone, pre)
    model.compile()
    return model


def build_visual_dialog():
    from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
    from keras_rnn_kit.models.visual_dialog import VisualDialogModel
    from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor

    texts = QUESTIONS + [h for row in HISTORIES for h in row] + CANDIDATES[0]
    pre = VisualDialogPreprocessor.from_texts(texts, image_size=SIZE)
    backbone = VisualDialogBackbone(
        pre.vocabulary_size,
        encoder="hre",
        embedding_dim=4,
        units=6,
        image_size=SIZE,
        answer_length=pre.answer_length,
        image_encoder=_encoder(),
    )
    model = VisualDialogModel(backbone, pre)
    model.compile()
    return model


BUILDERS = {
    "vqa": build_vqa,
    "captioning": build_captioning,
    "visual_dialog": build_visual_dialog,
}


def task_data(task):
    """The global batch as numpy `(x, y)` or `(x, y, sample_weight)`."""
    model = BUILDERS[task]()
    images = _images()
    if task == "vqa":
        x = model.preprocessor({"images": images, "questions": QUESTIONS})
        y = np.arange(GLOBAL_BATCH) % 3
        data = (x, y)
    elif task == "captioning":
        data = model.preprocessor({"images": images, "captions": CAPTIONS})
    else:
        x = model.preprocessor(
            {
                "images": images,
                "questions": QUESTIONS,
                "histories": HISTORIES,
                "candidates": CANDIDATES,
            }
        )
        data = (x, np.arange(GLOBAL_BATCH) % 3)
    return keras.tree.map_structure(np.asarray, data)


def run_one_step(task, strategy, checkpoint_dir):
    """`train` one step of `task` under `strategy` (a name or a
    `tf.distribute.Strategy`); returns the weights, the loss and the replicas."""
    from keras_rnn_kit.training import train

    model, history = train(
        BUILDERS[task],
        task_data(task),
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
    """`{(task, strategy): npz}` for the three tasks on both strategies."""
    folder = tmp_path_factory.mktemp("vision_distributed")
    run_python(
        f"""
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from keras_rnn_kit.training import get_strategy
        from tests.training.test_vision_distributed import TASKS, run_one_step
        # One MirroredStrategy for all tasks: a second instance in the same
        # process reuses the collective instance keys of the first and aborts.
        strategies = {{"mirrored": get_strategy("mirrored"),
                       "one_device": get_strategy("one_device")}}
        for task in TASKS:
            for name, strategy in strategies.items():
                out = run_one_step(task, strategy, {str(folder)!r} + f"/{{task}}_ckpt")
                np.savez({str(folder)!r} + f"/{{task}}_{{name}}.npz", **out)
        """,
        timeout=300,
    )
    return {
        (task, strategy): np.load(folder / f"{task}_{strategy}.npz")
        for task in TASKS
        for strategy in ("mirrored", "one_device")
    }


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_mirrored_step_equals_one_device_step(runs, task):
    keras.utils.set_random_seed(5)
    initial = BUILDERS[task]().get_weights()
    mirrored, one_device = runs[(task, "mirrored")], runs[(task, "one_device")]
    assert int(mirrored["replicas"]) == 2 and int(one_device["replicas"]) == 1
    np.testing.assert_allclose(mirrored["loss"], one_device["loss"], atol=ATOL)
    names = [f"w{i}" for i in range(len(initial))]
    assert sorted(names) == sorted(k for k in one_device.files if k.startswith("w"))
    unmoved, largest = [], 0.0
    for name, start in zip(names, initial, strict=True):
        np.testing.assert_allclose(mirrored[name], one_device[name], atol=ATOL)
        if np.array_equal(one_device[name], start):
            unmoved.append(start.dtype)
        difference = np.abs(mirrored[name] - one_device[name].astype("float64"))
        largest = max(largest, float(np.max(difference, initial=0.0)))
    print(
        f"{task}: mirrored vs one device: loss {float(mirrored['loss']):.7f} vs "
        f"{float(one_device['loss']):.7f}, max |weight diff| {largest:.3g}"
    )
    # The step moved every float weight; only the text preprocessors' int64
    # counters of truncated texts stay.
    assert all(dtype == np.int64 for dtype in unmoved), unmoved
