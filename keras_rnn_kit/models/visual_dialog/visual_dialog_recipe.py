"""The visual-dialog recipe behind `rnnkit train visual-dialog`, its example and
the `train_easy_vqa_dialog` / `train_scene_dialog` helpers.

`VisualDialogRecipe` reads one of two offline dialog sets: easy-VQA's questions
as six-round dialogs about each image (`easy_vqa`, shipped inside the
`easy-vqa` package; easy-VQA's 13 answers are the candidates), or generated
scenes (`scenes`: a caption and up to seven rounds per scene, among them
follow-ups such as "what about the square?" that only the history answers; the
generator's answers are the candidates). It builds the dialog preprocessor from
the training rounds and a hierarchical-encoder (`hre`) model that keeps its
candidates, and scores R@k, MRR, mean rank and NDCG on the held-out rounds.

Example:

>>> recipe = VisualDialogRecipe()
>>> prepared = recipe.load(None, tiny=True)
>>> prepared.description
'easy_vqa dialogs: 96 training rounds, 24 test'
>>> recipe.build(prepared, tiny=True).preprocessor is prepared.preprocessor
True
>>> scenes = recipe.load("scenes", tiny=True)    # generated, with follow-ups
>>> scenes.description, scenes.epochs            # 15 epochs by default here
('scenes dialogs: 287 training rounds, 68 test', 15)
"""

import dataclasses
import time
from typing import ClassVar

import keras
import numpy as np

from keras_rnn_kit.data.easy_vqa_dataset import easy_vqa_answers
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.image_io import load_image_files
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.visdial_easy_vqa import DialogExamples
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view
from keras_rnn_kit.data.visdial_easy_vqa import scene_dialog_view
from keras_rnn_kit.metrics.retrieval import retrieval_metrics
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.recipe import sized_examples
from keras_rnn_kit.models.visual_dialog.visual_dialog_backbone import (
    VisualDialogBackbone,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_model import VisualDialogModel
from keras_rnn_kit.models.visual_dialog.visual_dialog_preprocessor import (
    VisualDialogPreprocessor,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import dialog_dataset
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import score_dialogs
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

# Offline dialog sets `load` reads (`--data`).
DATA = ("easy_vqa", "scenes")


@dataclasses.dataclass
class VisualDialogData(PreparedData):
    """`PreparedData` for visual dialog.

    Attributes:
        train_split: the training `DialogExamples`.
        preprocessor: the `VisualDialogPreprocessor` built from the training
            rounds (lengths from both splits; the model shares it).
    """

    train_split: DialogExamples | None = None
    preprocessor: VisualDialogPreprocessor | None = None


@dataclasses.dataclass(frozen=True)
class VisualDialogRecipe(Recipe):
    """Visual dialog: images, questions and histories -> `VisualDialogModel`.

    Attributes:
        rounds: easy-VQA rounds per dialog (scene dialogs keep all theirs).
        units: the encoders' units (the embedding has half as many).
        filters: the image encoder's convolution filters.
        encoder: `"hre"` (hierarchical) or `"late_fusion"`.
        cell: the recurrent cell (`"vanilla"`, `"additive"`, `"original_lstm"`
            or `"lstm"`).
        max_images: easy-VQA training images (`None`: all 4,000); the test
            split reads a quarter as many.
        num_scenes: generated training scenes (a quarter as many more are
            held out).
        scene_image_size: side of the generated scene images.
        scene_epochs: default epochs on the scene dialogs (`epochs` is
            easy-VQA's).
    """

    name: ClassVar[str] = "visual-dialog"
    data_help: ClassVar[str] = (
        "`easy_vqa` (default: easy-VQA's questions as dialogs) or `scenes` "
        "(generated scenes with captions and follow-up questions)"
    )
    options: ClassVar[tuple[str, ...]] = ("question", "history")

    epochs: int = 6
    rounds: int = 6
    units: int = 64
    filters: tuple[int, ...] = (16, 32, 64)
    encoder: str = "hre"
    cell: str = "lstm"
    max_images: int | None = None
    num_scenes: int = 3000
    scene_image_size: int = 32
    scene_epochs: int = 15

    def load(self, data, tiny=False, seed=0) -> VisualDialogData:
        data = check_choice("data", data or "easy_vqa", DATA)
        if data == "easy_vqa":
            cap = 16 if tiny else self.max_images
            train = dialog_view(load_easy_vqa("train", max_images=cap), self.rounds)
            test_cap = cap and max(1, cap // 4)
            test = dialog_view(load_easy_vqa("test", max_images=test_cap), self.rounds)
            image_size = 32 if tiny else int(train.images.shape[1])
        else:
            count = 48 if tiny else check_positive_int("num_scenes", self.num_scenes)
            image_size = self.scene_image_size
            generator = SceneGenerator(image_size=image_size, seed=seed)
            scenes = generator.generate(count + max(1, count // 4))
            candidates = generator.answer_vocabulary()
            train = scene_dialog_view(scenes[:count], candidates)
            test = scene_dialog_view(scenes[count:], candidates)
        preprocessor = VisualDialogPreprocessor.from_dialogs(
            train, image_size=image_size, lengths_from=[test]
        )
        batches = dialog_dataset(preprocessor, train, 1024, shuffle=True, seed=seed)
        return VisualDialogData(
            f"{data} dialogs: {len(train)} training rounds, {len(test)} test",
            sized_examples(batches, len(train)),
            test,
            train_split=train,
            preprocessor=preprocessor,
            epochs=None if data == "easy_vqa" else self.scene_epochs,
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        preprocessor = prepared.preprocessor
        units = 8 if tiny else self.units
        image_size = preprocessor.image_size
        backbone = VisualDialogBackbone(
            preprocessor.vocabulary_size,
            encoder=self.encoder,
            embedding_dim=units // 2,
            units=units,
            cell=self.cell,
            image_encoder=ImageEncoder(
                filters=(8, 16) if tiny else self.filters, image_size=image_size
            ),
            image_size=image_size,
            answer_length=preprocessor.answer_length,
        )
        candidates = prepared.train_split.candidates
        model = VisualDialogModel(backbone, preprocessor, candidates=candidates)
        model.compile()
        return model

    def evaluate(self, model, test: DialogExamples):
        batches = dialog_dataset(model.preprocessor, test, 256, shuffle=False)
        scores = model.predict(batches, verbose=0)
        return retrieval_metrics(np.asarray(scores), test.answer_ids)

    def predict(self, model, inputs, options):
        question = options.get("question")
        if not question:
            raise ValueError(
                "`--question` is required for visual-dialog: rnnkit predict "
                'visual-dialog MODEL.keras --question "what color is it?" --history '
                '"what shape is it? circle" IMAGE.png'
            )
        rounds = [r.strip() for r in options.get("history", "").split("|") if r.strip()]
        # A model saved before it kept its candidates ranks easy-VQA's answers.
        candidates = None if model.candidates else [easy_vqa_answers()] * len(inputs)
        ranked, _ = model.rank_answers(
            load_image_files(inputs, model.backbone.image_size),
            [question] * len(inputs),
            [rounds or [""]] * len(inputs),
            candidates,
        )
        return [
            f"{path}\t{best[0]}\t{', '.join(best[:3])}"
            for path, best in zip(inputs, ranked, strict=True)
        ]


def train_easy_vqa_dialog(
    quick: bool = False,
    encoder: str = "hre",
    epochs: int | None = None,
    max_images: int | None = None,
    max_rounds: int = 6,
    seed: int = 0,
    verbose: int = 0,
):
    """Trains `VisualDialogRecipe` on easy-VQA dialogs; scores the test split
    with `score_dialogs` (the history ablation included).

    Args:
        quick: smoke run (100 train / 25 test images, 1 epoch, 16 units).
        encoder: `"hre"` or `"late_fusion"`.
        epochs: default 1 (quick) or the recipe's 6.
        max_images: images per split (`None`: all; test gets a quarter).
        max_rounds: rounds per dialog.
        seed: weight and shuffle seed.
        verbose: Keras `fit` verbosity.

    Returns:
        `(model, results)`, `results` as `score_dialogs` returns them plus
        `train_seconds` and `epochs`.
    """
    recipe = VisualDialogRecipe(
        encoder=encoder,
        rounds=max_rounds,
        units=16 if quick else 64,
        max_images=max_images or (100 if quick else None),
    )
    return _fit_and_score(
        recipe, "easy_vqa", epochs or (1 if quick else None), seed, verbose
    )


def train_scene_dialog(
    quick: bool = False,
    encoder: str = "hre",
    epochs: int | None = None,
    num_scenes: int | None = None,
    image_size: int = 32,
    seed: int = 0,
    verbose: int = 0,
):
    """Trains `VisualDialogRecipe` on generated-scene dialogs (`SceneGenerator`)
    and scores the held-out scenes with `score_dialogs`.

    The histories open with the caption; a quarter as many scenes as
    `num_scenes` (from the same generator, after the training ones) are held
    out.

    Args:
        quick: smoke run (100 scenes, 1 epoch, 16 units).
        encoder: `"hre"` or `"late_fusion"`.
        epochs: default 1 (quick) or the recipe's `scene_epochs` (15).
        num_scenes: training scenes, default 100 (quick) or 3000.
        image_size: int >= 16.
        seed: scene, weight and shuffle seed.
        verbose: Keras `fit` verbosity.

    Returns:
        `(model, results)`, `results` as `score_dialogs` returns them (with
        `history_dependent`) plus `train_seconds` and `epochs`.

    Example:

    >>> model, results = train_scene_dialog(quick=True, num_scenes=8)
    >>> results["epochs"], sorted(model.candidates) == sorted(
    ...     SceneGenerator().answer_vocabulary())
    (1, True)
    """
    recipe = VisualDialogRecipe(
        encoder=encoder,
        units=16 if quick else 64,
        num_scenes=num_scenes or (100 if quick else 3000),
        scene_image_size=image_size,
    )
    return _fit_and_score(
        recipe, "scenes", epochs or (1 if quick else None), seed, verbose
    )


def _fit_and_score(recipe, data, epochs, seed, verbose):
    """Loads `data`, builds and fits `recipe`'s model (`epochs`: None for the
    recipe's on that data), and scores the held-out rounds (`score_dialogs`)."""
    if epochs is not None:
        check_positive_int("epochs", epochs)
    keras.utils.set_random_seed(seed)
    prepared = recipe.load(data, seed=seed)
    epochs = epochs or prepared.epochs or recipe.epochs
    model = recipe.build(prepared, epochs=epochs, batch_size=recipe.batch_size)
    start = time.perf_counter()
    model.fit(
        prepared.train.batch(recipe.batch_size),
        epochs=epochs,
        verbose=verbose,
    )
    train_seconds = time.perf_counter() - start
    results = score_dialogs(model, prepared.test)
    results.update(train_seconds=train_seconds, epochs=epochs)
    return model, results
