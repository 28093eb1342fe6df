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

from tests.training.distributed_step import GLOBAL_BATCH
from tests.training.distributed_step import assert_same_step
from tests.training.distributed_step import one_step
from tests.training.distributed_step import run_both_strategies

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
    from tests.models.captioning.captioning_fixtures import tiny_captioner

    model = tiny_captioner(CAPTIONS, SIZE, units=6, image_encoder=_encoder())
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
    return one_step(BUILDERS[task], task_data(task), strategy, checkpoint_dir)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`{(task, strategy): npz}` for the three tasks on both strategies."""
    return run_both_strategies(
        tmp_path_factory.mktemp("vision_distributed"),
        "tests.training.test_vision_distributed",
        TASKS,
    )


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_mirrored_step_equals_one_device_step(runs, task):
    keras.utils.set_random_seed(5)
    initial = BUILDERS[task]().get_weights()
    mirrored, one_device = runs[(task, "mirrored")], runs[(task, "one_device")]
    unmoved = assert_same_step(task, mirrored, one_device, initial)
    # The step moved every float weight; only the text preprocessors' int64
    # counters of truncated texts stay.
    assert all(dtype == np.int64 for dtype in unmoved), unmoved
