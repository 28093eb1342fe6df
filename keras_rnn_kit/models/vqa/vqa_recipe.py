"""The VQA recipe behind `rnnkit train vqa`, `rnnkit demo` (`train_easy_vqa`) and
the VQA example.

`VQARecipe` reads easy-VQA (shipped inside the `easy-vqa` package) or the kit's
generated scenes, builds the question preprocessor from the training split and
the model through `vqa_training.build_vqa_model` (its sizes, epochs, batch size
and cosine-decayed learning rate are `vqa_training`'s constants), and scores
exact-match accuracy on the test split.

Example:

>>> recipe = VQARecipe()
>>> prepared = recipe.load(None, tiny=True)
>>> prepared.description
'easy_vqa: 333 training questions, 81 test'
>>> recipe.build(prepared, tiny=True).backbone.image_size == IMAGE_SIZE
True
"""

import dataclasses
import time
from typing import ClassVar

import keras

from keras_rnn_kit.data.easy_vqa_dataset import VQASplit
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.image_io import load_image_files
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.scene_generator import scenes_to_vqa_split
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.recipe import sized_examples
from keras_rnn_kit.models.vqa import vqa_training
from keras_rnn_kit.models.vqa.vqa_preprocessor import VQAPreprocessor
from keras_rnn_kit.models.vqa.vqa_training import IMAGE_SIZE
from keras_rnn_kit.models.vqa.vqa_training import answer_accuracy
from keras_rnn_kit.models.vqa.vqa_training import build_vqa_model
from keras_rnn_kit.models.vqa.vqa_training import preprocessed_dataset
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int


@dataclasses.dataclass
class VQAData(PreparedData):
    """`PreparedData` for VQA.

    Attributes:
        train_split: the training `VQASplit` (answers, question vocabulary).
        preprocessor: the `VQAPreprocessor` built from its questions.
    """

    train_split: VQASplit | None = None
    preprocessor: VQAPreprocessor | None = None


@dataclasses.dataclass(frozen=True)
class VQARecipe(Recipe):
    """Visual question answering: images and questions -> `VQAModel`.

    Attributes:
        image_size: side easy-VQA's 64x64 scenes are read at (the generated
            scenes keep their own 64).
        generated_scenes: training scenes with `data="scenes"` (a quarter as
            many more are held out).
        max_images: cap on the easy-VQA training images (`None`: all 4,000;
            `tiny`: 32).
        max_test_images: cap on the easy-VQA test images; `None`: a quarter of
            `max_images` (all with no `max_images`).
    """

    name: ClassVar[str] = "vqa"
    data_help: ClassVar[str] = (
        "`easy_vqa` (default, shipped with the easy-vqa package) or `scenes`"
    )
    options: ClassVar[tuple[str, ...]] = ("question",)

    epochs: int = vqa_training.EPOCHS
    batch_size: int = vqa_training.BATCH_SIZE
    image_size: int = IMAGE_SIZE
    generated_scenes: int = 2000
    max_images: int | None = None
    max_test_images: int | None = None

    def load(self, data, tiny=False, seed=0) -> VQAData:
        data = data or "easy_vqa"
        check_choice("data", data, ("easy_vqa", "scenes"))
        if data == "easy_vqa":
            cap = 32 if tiny else self.max_images
            test_cap = None if tiny else self.max_test_images
            train = load_easy_vqa("train", max_images=cap)
            test = load_easy_vqa(
                "test", max_images=test_cap or (cap and max(1, cap // 4))
            )
        else:
            count = 64 if tiny else self.generated_scenes
            generator = SceneGenerator(image_size=64, seed=seed)
            scenes = generator.generate(count + count // 4)
            vocabulary = generator.answer_vocabulary()
            train = scenes_to_vqa_split(scenes[:count], vocabulary)
            test = scenes_to_vqa_split(scenes[count:], vocabulary)
        # The generated scenes (several shapes, positions) keep their own size.
        small = tiny or data == "easy_vqa"
        image_size = self.image_size if small else int(train.images.shape[1])
        preprocessor = VQAPreprocessor.from_questions(train.questions, image_size)
        examples = preprocessed_dataset(
            preprocessor, train.answer_vocabulary, train, 1024, True, seed
        )
        return VQAData(
            f"{data}: {len(train)} training questions, {len(test)} test",
            sized_examples(examples, len(train)),
            test,
            train_split=train,
            preprocessor=preprocessor,
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        return build_vqa_model(
            prepared.train_split,
            quick=tiny,
            epochs=epochs or self.epochs,
            batch_size=batch_size or self.batch_size,
            preprocessor=prepared.preprocessor,
        )

    def evaluate(self, model, test):
        return {"accuracy": answer_accuracy(model, test)}

    def predict(self, model, inputs, options):
        question = options.get("question")
        if not question:
            raise ValueError(
                "`--question` is required for vqa: rnnkit predict vqa MODEL.keras "
                '--question "what color is the shape?" IMAGE.png'
            )
        images = load_image_files(inputs, model.backbone.image_size)
        answers, scores = model.answer(images, [question] * len(inputs))
        return [
            f"{path}\t{answer}\t{score:.3f}"
            for path, answer, score in zip(inputs, answers, scores, strict=True)
        ]


def train_easy_vqa(
    quick: bool = False,
    epochs: int | None = None,
    batch_size: int = vqa_training.BATCH_SIZE,
    max_images: int | None = None,
    seed: int = 0,
    verbose: int = 2,
):
    """Trains `VQARecipe` on easy-VQA and scores it on the official test split
    (what `rnnkit demo` runs; `rnnkit train vqa` runs the same recipe through
    `keras_rnn_kit.training.train`).

    Args:
        quick: a smoke-test run for demos: small model, 200 train / 100 test
            images, three epochs (about 15 s; around 50% test accuracy, against
            37% for always answering "yes").
        epochs: number of epochs; default 3 (quick) or the recipe's.
        batch_size: int > 0.
        max_images: cap on the training images, the test split reading a
            quarter as many (`None`: all; quick: 200 and 100 test images).
        seed: seed of the weights and the shuffling.
        verbose: Keras `fit` verbosity.

    Returns:
        `(model, results)`; `results` has `test_accuracy`, `train_seconds`,
        `epochs`, `train_questions` and `test_questions`.

    Example:

    >>> model, results = train_easy_vqa(quick=True, epochs=1, max_images=20,
    ...                                 verbose=0)
    >>> results["epochs"], 0.0 <= results["test_accuracy"] <= 1.0
    (1, True)
    """
    keras.utils.set_random_seed(seed)
    caps = (200, 100) if quick and max_images is None else (max_images, None)
    recipe = VQARecipe(max_images=caps[0], max_test_images=caps[1])
    epochs = check_positive_int("epochs", epochs or (3 if quick else recipe.epochs))
    check_positive_int("batch_size", batch_size)
    prepared = recipe.load("easy_vqa", seed=seed)
    model = recipe.build(prepared, tiny=quick, epochs=epochs, batch_size=batch_size)
    start = time.perf_counter()
    model.fit(
        prepared.train.batch(batch_size), epochs=epochs, verbose=verbose, shuffle=False
    )
    train_seconds = time.perf_counter() - start
    return model, {
        "test_accuracy": recipe.evaluate(model, prepared.test)["accuracy"],
        "train_seconds": float(train_seconds),
        "epochs": epochs,
        "train_questions": len(prepared.train_split),
        "test_questions": len(prepared.test),
    }
