"""The captioning recipe behind `rnnkit train captioning`, the captioning example
and `train_scene_captioner`.

`CaptioningRecipe` generates shape scenes with captions (`SceneGenerator`, one or
two shapes on 32x32 images), builds the caption preprocessor from the training
captions and a show-attend-and-tell captioner (`build_captioner`, Bahdanau
attention), trains it with teacher forcing and scores BLEU-1..4 of the greedy
captions of held-out scenes.

Example:

>>> recipe = CaptioningRecipe()
>>> prepared = recipe.load(None, tiny=True)
>>> prepared.description
'generated scenes: 64 training, 16 test'
>>> recipe.build(prepared, tiny=True).preprocessor is prepared.preprocessor
True
"""

import dataclasses
import time
from typing import ClassVar

import keras
import numpy as np

from keras_rnn_kit.data.image_io import load_image_files
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.metrics.caption_metrics import caption_bleu
from keras_rnn_kit.metrics.caption_metrics import cider_d
from keras_rnn_kit.models.captioning.captioning_preprocessor import (
    CaptioningPreprocessor,
)
from keras_rnn_kit.models.captioning.captioning_training import build_captioner
from keras_rnn_kit.models.captioning.captioning_training import caption_dataset
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.recipe import sized_examples
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int


@dataclasses.dataclass
class CaptioningData(PreparedData):
    """`PreparedData` for captioning.

    Attributes:
        train_split: the training `(images, captions)`.
        preprocessor: the `CaptioningPreprocessor` built from the training
            captions (the captioner shares it).
    """

    train_split: tuple = ()
    preprocessor: CaptioningPreprocessor | None = None


@dataclasses.dataclass(frozen=True)
class CaptioningRecipe(Recipe):
    """Image captioning: images -> `ImageCaptioner`.

    Attributes:
        scenes: generated training scenes (a quarter as many more are held
            out; `tiny`: 64).
        image_size: side of the generated images.
        units: the decoder's units (the embedding has half as many).
        filters: the image encoder's convolution filters.
        attention: `"bahdanau"`, `"luong_general"` or `None` (show and tell).
    """

    name: ClassVar[str] = "captioning"
    data_help: ClassVar[str] = "`scenes` (default: the kit's generated shape scenes)"
    options: ClassVar[tuple[str, ...]] = ("beam_width",)

    epochs: int = 30
    batch_size: int = 32
    scenes: int = 3000
    image_size: int = 32
    units: int = 64
    filters: tuple[int, ...] = (16, 32)
    attention: str | None = "bahdanau"

    def load(self, data, tiny=False, seed=0) -> CaptioningData:
        check_choice("data", data or "scenes", ("scenes",))
        count = 64 if tiny else self.scenes
        generator = SceneGenerator(image_size=self.image_size, max_objects=2, seed=seed)
        scenes = generator.generate(count + count // 4)
        train, test = scenes[:count], scenes[count:]
        images, captions = (
            np.stack([s.image for s in train]),
            [s.caption for s in train],
        )
        preprocessor = CaptioningPreprocessor.from_captions(
            captions, image_size=self.image_size
        )
        batches = caption_dataset(preprocessor, images, captions, 1024, True, seed)
        return CaptioningData(
            f"generated scenes: {len(train)} training, {len(test)} test",
            sized_examples(batches, count),
            (np.stack([s.image for s in test]), [s.caption for s in test]),
            train_split=(images, captions),
            preprocessor=preprocessor,
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        return build_captioner(
            None,
            image_size=self.image_size,
            attention=self.attention,
            units=16 if tiny else self.units,
            filters=(8, 16) if tiny else self.filters,
            preprocessor=prepared.preprocessor,
        )

    def evaluate(self, model, test):
        images, captions = test
        return caption_bleu(model.caption(images), [[c] for c in captions])

    def predict(self, model, inputs, options):
        images = load_image_files(inputs, model.backbone.image_size)
        captions = model.caption(images, beam_width=options.get("beam_width", 1))
        return [
            f"{path}\t{caption}" for path, caption in zip(inputs, captions, strict=True)
        ]


def train_scene_captioner(
    quick: bool = False,
    attention: str | None = "bahdanau",
    epochs: int | None = None,
    num_scenes: int | None = None,
    beam_width: int = 3,
    seed: int = 0,
    verbose: int = 0,
):
    """Trains `CaptioningRecipe` on generated scenes and scores held-out scenes.

    Args:
        quick: seconds-long smoke run (200 scenes, 2 epochs).
        attention: `None` (show and tell), `"bahdanau"` or `"luong_general"`.
        epochs: default 2 (quick) or the recipe's 30.
        num_scenes: training scenes; default 200 (quick) or the recipe's 3,000.
            A quarter as many further scenes (other indices) are held out.
        beam_width: beam width for the held-out captions.
        seed: scene and weight seed.
        verbose: Keras `fit` verbosity.

    Returns:
        `(captioner, results)`; `results` has `bleu_1`..`bleu_4`, `cider_d` (of the
        beam-search captions), `greedy` (the same scores for greedy decoding, so
        beam search can be checked against it), `train_seconds`, `epochs` and
        `examples` (three `(caption, reference)`).

    Example:

    >>> _, results = train_scene_captioner(quick=True, epochs=1, num_scenes=16)
    >>> results["epochs"], sorted(results["greedy"])[0]
    (1, 'bleu_1')
    """
    keras.utils.set_random_seed(seed)
    recipe = CaptioningRecipe(attention=attention)
    recipe = dataclasses.replace(
        recipe, scenes=num_scenes or (200 if quick else recipe.scenes)
    )
    check_positive_int("num_scenes", recipe.scenes)
    epochs = check_positive_int("epochs", epochs or (2 if quick else recipe.epochs))
    prepared = recipe.load("scenes", seed=seed)
    captioner = recipe.build(prepared)
    start = time.perf_counter()
    captioner.fit(
        prepared.train.batch(recipe.batch_size),
        epochs=epochs,
        verbose=verbose,
        shuffle=False,
    )
    train_seconds = time.perf_counter() - start
    test_images, captions = prepared.test
    references = [[c] for c in captions]

    def scores(width):
        hypotheses = captioner.caption(test_images, beam_width=width)
        result = caption_bleu(hypotheses, references)
        result["cider_d"] = cider_d(hypotheses, references)[0]
        return hypotheses, result

    hypotheses, results = scores(beam_width)
    results["greedy"] = scores(1)[1]
    results.update(
        train_seconds=train_seconds,
        epochs=epochs,
        examples=list(zip(hypotheses[:3], captions[:3], strict=True)),
    )
    return captioner, results
